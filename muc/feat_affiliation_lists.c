/* feat_affiliation_lists.c - the owner form's full lists of owners and
 * admins (muc#roomconfig_roomowners / _roomadmins). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "muc/feature.h"
#include "muc/muc.h"
#include "muc/stanza.h"

static void render_list(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *field,
                        affiliation_t aff)
{
    for (hash_iter_t it = hash_iter(room->affiliations); hash_next(&it);)
        if ((affiliation_t)((intptr_t)it.value - 2) == aff)
            form_add_value(ctx, field, it.key);
}

static void render_owners(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *field)
{
    render_list(room, ctx, field, AFF_OWNER);
}

static void render_admins(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *field)
{
    render_list(room, ctx, field, AFF_ADMIN);
}

/* Reads every <value/> as a JID into a NULL-terminated list of bare JIDs. */
static muc_err_t parse_list(xmpp_stanza_t *field, char ***out, const char *var,
                            const char **why)
{
    size_t n = 0;
    for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v;
         v = xmpp_stanza_get_next(v))
        n++;
    char **list = calloc(n + 1, sizeof *list);
    if (!list) return ERR_RESOURCE_CONSTRAINT;
    size_t k = 0;
    for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v;
         v = xmpp_stanza_get_next(v)) {
        if (!xmpp_stanza_is_tag(v) || strcmp(xmpp_stanza_get_name(v), "value") != 0)
            continue;
        char *text = xmpp_stanza_get_text(v);
        jid_t j;
        char bare[JID_MAX_LEN];
        int bad = jid_parse(text, &j);
        if (text) xmpp_free(xmpp_stanza_get_context(v), text);
        if (bad) {
            jid_list_free(list);
            *why = var;
            return ERR_JID_MALFORMED;
        }
        list[k++] = strdup(muc_bare_jid(&j, bare));
    }
    jid_list_free(*out);
    *out = list;
    return MUC_OK;
}

static muc_err_t parse_owners(const room_t *room, config_draft_t *d, xmpp_stanza_t *field,
                              const char **why)
{
    (void)room;
    muc_err_t err =
        parse_list(field, &d->owners, "muc#roomconfig_roomowners: bad JID", why);
    if (!err && !d->owners[0]) {
        *why = "muc#roomconfig_roomowners: a room needs at least one owner";
        return ERR_NOT_ACCEPTABLE;
    }
    return err;
}

static muc_err_t parse_admins(const room_t *room, config_draft_t *d, xmpp_stanza_t *field,
                              const char **why)
{
    (void)room;
    return parse_list(field, &d->admins, "muc#roomconfig_roomadmins: bad JID", why);
}

static const form_field_t fields[] = {
    {.var = "muc#roomconfig_roomowners",
     .type = "jid-multi",
     .label = "Full list of room owners",
     .kind = FIELD_CUSTOM,
     .render = render_owners,
     .parse = parse_owners},
    {.var = "muc#roomconfig_roomadmins",
     .type = "jid-multi",
     .label = "Full list of room admins",
     .kind = FIELD_CUSTOM,
     .render = render_admins,
     .parse = parse_admins},
};

const room_feature_t feat_affiliation_lists = {
    .name = "affiliation-lists", .fields = fields, .nfields = NFIELDS(fields)};
