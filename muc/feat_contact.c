/* feat_contact.c - the room's contact addresses. */
#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_TEXT_DEF("muc#roomconfig_contactjid", "jid-multi",
                   "Contact addresses (normally room owners)", contacts),
};

const room_feature_t feat_contact = {
    .name = "contact", .fields = fields, .nfields = NFIELDS(fields)};
