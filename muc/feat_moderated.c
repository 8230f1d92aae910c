/* feat_moderated.c - in a moderated room only members and up get voice on
 * entering (perm_default_role); visitors cannot send groupchat. */
#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_moderatedroom", "Make room moderated", moderated),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q, room->cfg.moderated ? "muc_moderated" : "muc_unmoderated");
}

const room_feature_t feat_moderated = {
    .name = "moderated", .fields = fields, .nfields = NFIELDS(fields), .disco = disco};
