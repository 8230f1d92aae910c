/* feat_invites.c - whether occupants may invite others (moderators always
 * may; message.c asks muc_may_invite). */
#include "muc/feature.h"
#include "muc/muc.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_allowinvites", "Allow occupants to invite others",
                   allow_invites),
};

bool muc_may_invite(const room_t *room, const occupant_t *occ)
{
    affiliation_t aff = room_affiliation(room, occ->bare_jid);
    return occ->role >= ROLE_MODERATOR || aff >= AFF_ADMIN ||
           (room->cfg.allow_invites && occ->role >= ROLE_PARTICIPANT);
}

const room_feature_t feat_invites = {
    .name = "invites", .fields = fields, .nfields = NFIELDS(fields)};
