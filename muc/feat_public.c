/* feat_public.c - public rooms are listed in the service's disco#items;
 * hidden ones are not. */
#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_publicroom", "Make room publicly searchable",
                   public_list),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q, room->cfg.public_list ? "muc_public" : "muc_hidden");
}

const room_feature_t feat_public = {
    .name = "public", .fields = fields, .nfields = NFIELDS(fields), .disco = disco};
