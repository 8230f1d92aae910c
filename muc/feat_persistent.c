/* feat_persistent.c - persistent rooms outlive their last occupant. */
#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_persistentroom", "Make room persistent", persistent),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q, room->cfg.persistent ? "muc_persistent" : "muc_temporary");
}

const room_feature_t feat_persistent = {
    .name = "persistent", .fields = fields, .nfields = NFIELDS(fields), .disco = disco};
