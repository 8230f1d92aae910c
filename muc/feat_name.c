/* feat_name.c - the room's name, description and language. */
#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_TEXT_DEF("muc#roomconfig_roomname", "text-single", "Room name", title),
    FIELD_TEXT_DEF("muc#roomconfig_roomdesc", "text-single", "Room description",
                   description),
    FIELD_TEXT_DEF("muc#roomconfig_lang", "text-single",
                   "Natural language of the discussion (e.g. en)", lang),
};

const room_feature_t feat_name = {
    .name = "name", .fields = fields, .nfields = NFIELDS(fields)};
