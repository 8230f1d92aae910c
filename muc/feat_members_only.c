/* feat_members_only.c - only members (and up) may enter; switching it on
 * removes the others with status 322 (§9.? / §15.6). */
#include "muc/feature.h"
#include "muc/muc.h"
#include "muc/ns.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_membersonly", "Make room members-only", members_only),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q, room->cfg.members_only ? "muc_membersonly" : "muc_open");
}

static muc_err_t check_join(const room_t *room, const join_info_t *j, const char **text)
{
    if (!room->cfg.members_only || j->affiliation >= AFF_MEMBER) return MUC_OK;
    *text = "This room is members-only";
    return ERR_REGISTRATION_REQUIRED;
}

static void changed(room_t *room, const room_config_t *old, int *codes, out_sink_t *out)
{
    (void)codes;
    if (old->members_only || !room->cfg.members_only) return;
    static const int removed[] = {STATUS_MEMBERS_ONLY, 0};
    muc_change_t c = {.codes = removed};
    for (occupant_t *o = room->first, *next; o; o = next) {
        next = o->next;
        if (room_affiliation(room, o->bare_jid) < AFF_MEMBER)
            muc_presence_remove(room, o, &c, out);
    }
}

const room_feature_t feat_members_only = {.name = "members-only",
                                          .fields = fields,
                                          .nfields = NFIELDS(fields),
                                          .disco = disco,
                                          .check_join = check_join,
                                          .changed = changed};
