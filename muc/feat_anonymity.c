/* feat_anonymity.c - who sees occupants' real JIDs: moderators only
 * (semi-anonymous) or everyone (non-anonymous); a change is announced with
 * status 172 / 173. */
#include <string.h>

#include "muc/feature.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/stanza.h"

static void render(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *field)
{
    static const char *const opts[][2] = {{"moderators", "Moderators only"},
                                          {"anyone", "Anyone"}};
    for (int i = 0; i < 2; i++) {
        xmpp_stanza_t *o = stanza_add_child(ctx, field, "option", NULL);
        xmpp_stanza_set_attribute(o, "label", opts[i][1]);
        stanza_add_text(ctx, stanza_add_child(ctx, o, "value", NULL), opts[i][0]);
    }
    stanza_add_text(ctx, stanza_add_child(ctx, field, "value", NULL),
                    room->cfg.whois_anyone ? "anyone" : "moderators");
}

static muc_err_t parse(const room_t *room, config_draft_t *d, xmpp_stanza_t *field,
                       const char **why)
{
    (void)room;
    char *v = form_field_text(field);
    muc_err_t err = MUC_OK;
    if (v && strcmp(v, "anyone") == 0)
        d->cfg.whois_anyone = true;
    else if (v && strcmp(v, "moderators") == 0)
        d->cfg.whois_anyone = false;
    else {
        *why = "muc#roomconfig_whois: must be 'moderators' or 'anyone'";
        err = ERR_BAD_REQUEST;
    }
    form_free_text(v);
    return err;
}

static const form_field_t fields[] = {
    {.var = "muc#roomconfig_whois",
     .type = "list-single",
     .label = "Who may discover real JIDs of occupants",
     .kind = FIELD_CUSTOM,
     .render = render,
     .parse = parse},
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q,
                room->cfg.whois_anyone ? "muc_nonanonymous" : "muc_semianonymous");
}

static void changed(room_t *room, const room_config_t *old, int *codes, out_sink_t *out)
{
    (void)out;
    if (old->whois_anyone != room->cfg.whois_anyone)
        feature_add_code(codes, room->cfg.whois_anyone ? STATUS_NOW_NON_ANONYMOUS
                                                       : STATUS_NOW_SEMI_ANONYMOUS);
}

const room_feature_t feat_anonymity = {.name = "anonymity",
                                       .fields = fields,
                                       .nfields = NFIELDS(fields),
                                       .disco = disco,
                                       .changed = changed};
