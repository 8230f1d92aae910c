/* disco.c - XEP-0030 service discovery for the service and its rooms. */
#include <stdlib.h>
#include <string.h>

#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* Features of the service JID, in the order they are listed. */
static const char *const service_features[] = {
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, NS_VERSION,
};

static void add_feature(xmpp_ctx_t *ctx, xmpp_stanza_t *query, const char *var)
{
    xmpp_stanza_set_attribute(stanza_add_child(ctx, query, "feature", NULL), "var", var);
}

static void add_identity(xmpp_ctx_t *ctx, xmpp_stanza_t *query, const char *name)
{
    xmpp_stanza_t *id = stanza_add_child(ctx, query, "identity", NULL);
    xmpp_stanza_set_attribute(id, "category", "conference");
    xmpp_stanza_set_attribute(id, "type", "text");
    xmpp_stanza_set_attribute(id, "name", name);
}

/* A result with an empty <query xmlns=ns/>; *query is set (borrowed). */
static xmpp_stanza_t *disco_result(request_t *req, const char *ns, xmpp_stanza_t **query)
{
    xmpp_stanza_t *res = request_iq_result(req);
    if (res) *query = stanza_add_child(req->ctx, res, "query", ns);
    return res;
}

muc_err_t disco_service_info(request_t *req)
{
    if (xmpp_stanza_get_attribute(req->payload, "node")) return ERR_ITEM_NOT_FOUND;
    xmpp_stanza_t *q, *res = disco_result(req, NS_DISCO_INFO, &q);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    add_identity(req->ctx, q, req->svc->name);
    for (size_t i = 0; i < sizeof service_features / sizeof service_features[0]; i++)
        add_feature(req->ctx, q, service_features[i]);
    out_send(req->out, res);
    return MUC_OK;
}

static int by_name(const void *a, const void *b)
{
    const room_t *ra = *(room_t *const *)a, *rb = *(room_t *const *)b;
    return strcmp(ra->name, rb->name);
}

/* Public, unlocked rooms ordered by JID. (Paging over the stored index
 * arrives with persistence.) */
muc_err_t disco_service_items(request_t *req)
{
    if (xmpp_stanza_get_attribute(req->payload, "node")) return ERR_ITEM_NOT_FOUND;
    size_t n = 0, cap = hash_count(req->svc->rooms);
    room_t **list = malloc((cap ? cap : 1) * sizeof *list);
    if (!list) return ERR_RESOURCE_CONSTRAINT;
    for (hash_iter_t it = hash_iter(req->svc->rooms); hash_next(&it);) {
        room_t *r = it.value;
        if (r->cfg.public_list && !r->locked) list[n++] = r;
    }
    qsort(list, n, sizeof *list, by_name);
    xmpp_stanza_t *q, *res = disco_result(req, NS_DISCO_ITEMS, &q);
    for (size_t i = 0; res && i < n; i++) {
        xmpp_stanza_t *item = stanza_add_child(req->ctx, q, "item", NULL);
        xmpp_stanza_set_attribute(item, "jid", list[i]->jid);
        xmpp_stanza_set_attribute(
            item, "name", list[i]->cfg.title ? list[i]->cfg.title : list[i]->name);
    }
    free(list);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    out_send(req->out, res);
    return MUC_OK;
}

/* The room's features: the protocol, then each feature file's. */
static void add_room_features(xmpp_ctx_t *ctx, xmpp_stanza_t *q, const room_t *r)
{
    add_feature(ctx, q, NS_MUC);
    feature_disco(r, ctx, q);
    add_feature(ctx, q, NS_DISCO_INFO);
    add_feature(ctx, q, NS_DISCO_ITEMS);
}

muc_err_t disco_room_info(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room || xmpp_stanza_get_attribute(req->payload, "node"))
        return ERR_ITEM_NOT_FOUND;
    if (room->locked) return ERR_ITEM_NOT_FOUND;
    xmpp_stanza_t *q, *res = disco_result(req, NS_DISCO_INFO, &q);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    add_identity(req->ctx, q, room->cfg.title ? room->cfg.title : room->name);
    add_room_features(req->ctx, q, room);
    out_send(req->out, res);
    return MUC_OK;
}

/* Occupants of public rooms, by their room JIDs (§6.5); nothing otherwise. */
muc_err_t disco_room_items(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room || room->locked) return ERR_ITEM_NOT_FOUND;
    xmpp_stanza_t *q, *res = disco_result(req, NS_DISCO_ITEMS, &q);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    char jid[JID_MAX_LEN];
    for (occupant_t *o = room->cfg.public_list ? room->first : NULL; o; o = o->next)
        xmpp_stanza_set_attribute(stanza_add_child(req->ctx, q, "item", NULL), "jid",
                                  muc_occupant_jid(room, o->nick, jid));
    out_send(req->out, res);
    return MUC_OK;
}
