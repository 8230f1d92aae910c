/* feat_subject.c - whether participants may change the subject (moderators
 * always may; message.c asks muc_may_change_subject). */
#include "muc/feature.h"
#include "muc/muc.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_changesubject",
                   "Allow occupants to change the subject", change_subject),
};

bool muc_may_change_subject(const room_t *room, const occupant_t *occ)
{
    return occ->role >= ROLE_MODERATOR ||
           (room->cfg.change_subject && occ->role >= ROLE_PARTICIPANT);
}

const room_feature_t feat_subject = {
    .name = "subject", .fields = fields, .nfields = NFIELDS(fields)};
