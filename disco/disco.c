/* disco.c - XEP-0030 service discovery for the service domain. */
#include <stdlib.h>

#include "muc/handlers.h"
#include "muc/ns.h"
#include "muc/stanza.h"

/* Features of the service JID, in the order they are listed. */
static const char *const service_features[] = {
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, NS_VERSION,
};

static void add_feature(xmpp_ctx_t *ctx, xmpp_stanza_t *query, const char *var)
{
    xmpp_stanza_set_attribute(stanza_add_child(ctx, query, "feature", NULL), "var", var);
}

muc_err_t disco_service_info(request_t *req)
{
    if (xmpp_stanza_get_attribute(req->payload, "node")) return ERR_ITEM_NOT_FOUND;
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_DISCO_INFO);
    xmpp_stanza_t *id = stanza_add_child(req->ctx, q, "identity", NULL);
    xmpp_stanza_set_attribute(id, "category", "conference");
    xmpp_stanza_set_attribute(id, "type", "text");
    xmpp_stanza_set_attribute(id, "name", req->svc->name);
    for (size_t i = 0; i < sizeof service_features / sizeof service_features[0]; i++)
        add_feature(req->ctx, q, service_features[i]);
    out_send(req->out, res);
    return MUC_OK;
}

/* The room list arrives with rooms; until then the service has no items. */
muc_err_t disco_service_items(request_t *req)
{
    if (xmpp_stanza_get_attribute(req->payload, "node")) return ERR_ITEM_NOT_FOUND;
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    stanza_add_child(req->ctx, res, "query", NS_DISCO_ITEMS);
    out_send(req->out, res);
    return MUC_OK;
}
