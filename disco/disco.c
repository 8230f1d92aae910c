/* disco.c - XEP-0030 service discovery for the service and its rooms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/rsm.h"
#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/service.h"
#include "muc/stanza.h"
#include "storage/storage.h"

/* Features of the service JID, in the order they are listed. */
static const char *const service_features[] = {
    NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_PING, NS_RSM, NS_VERSION,
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

/* Room JID order: names compare as if followed by '@' (the index's keys). */
static int jid_order(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = *a ? (unsigned char)*a : '@', y = *b ? (unsigned char)*b : '@';
        if (x != y || (!*a && !*b)) return (x > y) - (x < y);
        if (!*a || !*b)
            return *a ? 1 : -1; /* "a" + '@' vs "a@...": the longer is later */
    }
}

static int by_listed_name(const void *a, const void *b)
{
    return jid_order(((const store_listed_t *)a)->name,
                     ((const store_listed_t *)b)->name);
}

/* Without a store: the public rooms, all in memory, sorted by name; copies
 * the caller frees. (With one, temporary rooms are in the store's live
 * listing, shared by every process on it.) */
static store_listed_t *memory_rooms(service_t *svc, size_t *n)
{
    size_t cap = hash_count(svc->rooms);
    store_listed_t *list = calloc(cap ? cap : 1, sizeof *list);
    *n = 0;
    if (!list) return NULL;
    for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);) {
        room_t *r = it.value;
        if (!r->cfg.public_list || r->locked) continue;
        list[*n].name = strdup(r->name);
        list[*n].title = r->cfg.title ? strdup(r->cfg.title) : NULL;
        (*n)++;
    }
    qsort(list, *n, sizeof *list, by_listed_name);
    return list;
}

/* The listing being built: both sources merged in name order. */
typedef struct listing {
    store_listed_t *stored, *mem, *out;
    size_t nstored, nmem, nout;
} listing_t;

static void listing_free(listing_t *l)
{
    if (l->stored) store_listed_free(l->stored, l->nstored);
    if (l->mem) store_listed_free(l->mem, l->nmem);
    free(l->stored);
    free(l->mem);
    free(l->out); /* borrowed entries */
}

/* Merges the stored page with the memory rooms in (lo, hi) (NULL: open);
 * keeps `max` after skipping `skip` from the front, or the last `max` when
 * from_end. */
static int merge(listing_t *l, const char *lo, const char *hi, size_t skip, size_t max,
                 bool from_end)
{
    size_t cap = l->nstored + l->nmem, n = 0, i = 0, k = 0;
    store_listed_t *all = malloc((cap ? cap : 1) * sizeof *all);
    if (!all) return -1;
    while (i < l->nstored || k < l->nmem) {
        store_listed_t *m = k < l->nmem ? &l->mem[k] : NULL;
        if (m && ((lo && jid_order(m->name, lo) <= 0) ||
                  (hi && jid_order(m->name, hi) >= 0))) {
            k++;
            continue;
        }
        bool take_mem =
            m && (i == l->nstored || jid_order(m->name, l->stored[i].name) < 0);
        all[n++] = take_mem ? l->mem[k++] : l->stored[i++];
    }
    size_t from = from_end ? (n > max ? n - max : 0) : (skip < n ? skip : n);
    size_t count = n - from < max ? n - from : max;
    memmove(all, all + from, count * sizeof *all);
    l->out = all;
    l->nout = count;
    return 0;
}

/* "name@domain" -> name, or NULL when the id is not one of our rooms. */
static const char *room_of_id(const service_t *svc, const char *id, char *buf)
{
    const char *at = strrchr(id, '@');
    if (!at || at == id || !jid_domain_eq(at + 1, svc->domain)) return NULL;
    snprintf(buf, JID_MAX_LEN, "%.*s", (int)(at - id), id);
    return buf;
}

static bool listed(service_t *svc, const listing_t *l, const char *name)
{
    if (svc->store)
        return store_public_has(svc->store, name) || store_live_has(svc->store, name);
    for (size_t i = 0; i < l->nmem; i++)
        if (strcmp(l->mem[i].name, name) == 0) return true;
    return false;
}

static void add_items(request_t *req, xmpp_stanza_t *q, const listing_t *l)
{
    char jid[JID_MAX_LEN];
    for (size_t i = 0; i < l->nout; i++) {
        xmpp_stanza_t *item = stanza_add_child(req->ctx, q, "item", NULL);
        snprintf(jid, sizeof jid, "%s@%s", l->out[i].name, req->svc->domain);
        xmpp_stanza_set_attribute(item, "jid", jid);
        xmpp_stanza_set_attribute(item, "name",
                                  l->out[i].title ? l->out[i].title : l->out[i].name);
    }
}

/* Fetches the page the request asks for into l; sets *first_index. */
static muc_err_t fetch_page(service_t *svc, const rsm_req_t *r, size_t max, listing_t *l,
                            long count, long *first_index)
{
    char after[JID_MAX_LEN], before[JID_MAX_LEN];
    const char *a = NULL, *b = NULL;
    if (r->has_after && !(a = room_of_id(svc, r->after, after)))
        return ERR_ITEM_NOT_FOUND;
    if (r->has_before && r->before[0] && !(b = room_of_id(svc, r->before, before)))
        return ERR_ITEM_NOT_FOUND;
    if ((a && !listed(svc, l, a)) || (b && !listed(svc, l, b))) return ERR_ITEM_NOT_FOUND;
    size_t skip = (!a && !r->has_before && r->index > 0) ? (size_t)r->index : 0;
    if (skip > (size_t)count) skip = (size_t)count; /* past the end: an empty page */
    size_t want = skip + max;
    l->stored = calloc(want ? want : 1, sizeof *l->stored);
    if (!l->stored) return ERR_RESOURCE_CONSTRAINT;
    const char *upto = r->has_before ? (b ? b : "") : NULL;
    if (svc->store && want &&
        store_public_page(svc->store, a, upto, 0, want, l->stored, &l->nstored) !=
            STORE_OK)
        return ERR_INTERNAL_SERVER_ERROR;
    if (svc->store) { /* temporary rooms: the live listing of every process */
        if (!(l->mem = calloc(want ? want : 1, sizeof *l->mem)))
            return ERR_RESOURCE_CONSTRAINT;
        if (want &&
            store_live_page(svc->store, a, upto, want, l->mem, &l->nmem) != STORE_OK)
            return ERR_INTERNAL_SERVER_ERROR;
    }
    if (merge(l, a, b, skip, max, r->has_before) != 0) return ERR_RESOURCE_CONSTRAINT;
    *first_index = -1;
    if (!a && !r->has_before) *first_index = (long)skip;
    if (r->has_before && !b) *first_index = count - (long)l->nout;
    return MUC_OK;
}

/* Public rooms in JID order, paged with XEP-0059. Without <set/>, up to
 * the service's cap, with a <set/> when the list is longer (XEP-0030 §7). */
muc_err_t disco_service_items(request_t *req)
{
    service_t *svc = req->svc;
    rsm_req_t r;
    if (xmpp_stanza_get_attribute(req->payload, "node")) return ERR_ITEM_NOT_FOUND;
    if (rsm_parse(req->payload, &r) != 0) return ERR_BAD_REQUEST;
    listing_t l = {0};
    size_t stored = 0, temporary = 0;
    if (svc->store && (store_public_count(svc->store, &stored) != STORE_OK ||
                       store_live_count(svc->store, &temporary) != STORE_OK))
        return ERR_INTERNAL_SERVER_ERROR;
    if (!svc->store) { /* no store: every listed room is in memory */
        if (!(l.mem = memory_rooms(svc, &l.nmem))) return ERR_RESOURCE_CONSTRAINT;
        temporary = l.nmem;
    }
    long count = (long)(stored + temporary), first_index = -1;
    size_t cap = (size_t)svc->max_disco_items;
    size_t max = (r.max >= 0 && (size_t)r.max < cap) ? (size_t)r.max : cap;
    muc_err_t err = fetch_page(svc, &r, max, &l, count, &first_index);
    xmpp_stanza_t *q, *res = err ? NULL : disco_result(req, NS_DISCO_ITEMS, &q);
    if (res) {
        add_items(req, q, &l);
        char first[JID_MAX_LEN], last[JID_MAX_LEN];
        if (l.nout) {
            snprintf(first, sizeof first, "%s@%s", l.out[0].name, svc->domain);
            snprintf(last, sizeof last, "%s@%s", l.out[l.nout - 1].name, svc->domain);
        }
        if (r.present || count > (long)l.nout)
            rsm_add_reply(req->ctx, q, l.nout ? first : NULL, first_index,
                          l.nout ? last : NULL, count);
        out_send(req->out, res);
    } else if (!err) {
        err = ERR_INTERNAL_SERVER_ERROR;
    }
    listing_free(&l);
    return err;
}

/* The room's features: the protocol, then each feature file's. */
static void add_room_features(xmpp_ctx_t *ctx, xmpp_stanza_t *q, const room_t *r)
{
    add_feature(ctx, q, NS_MUC);
    feature_disco(r, ctx, q);
    /* what every room does: ids (XEP-0359, XEP-0421; the client's message
     * id is kept on the reflection) and the self-ping answer (XEP-0410) */
    add_feature(ctx, q, NS_SID);
    add_feature(ctx, q, NS_MUC_STABLE_ID);
    add_feature(ctx, q, NS_OCCUPANT_ID);
    add_feature(ctx, q, NS_MUC_SELF_PING);
    add_feature(ctx, q, NS_DISCO_INFO);
    add_feature(ctx, q, NS_DISCO_ITEMS);
}

/* XEP-0128 extended info: the muc#roominfo form. */
static void add_roominfo(xmpp_ctx_t *ctx, xmpp_stanza_t *q, const room_t *r)
{
    xmpp_stanza_t *x = stanza_add_child(ctx, q, "x", NS_DATA);
    xmpp_stanza_set_type(x, "result");
    form_add_value(ctx, form_add_field(ctx, x, "FORM_TYPE", "hidden", NULL),
                   "http://jabber.org/protocol/muc#roominfo");
    char num[16];
    snprintf(num, sizeof num, "%zu", room_occupant_count(r));
    const struct {
        const char *var, *label, *value;
    } fields[] = {
        {"muc#roominfo_description", "Description", r->cfg.description},
        {"muc#roominfo_subject", "Subject", r->subject},
        {"muc#roominfo_occupants", "Number of occupants", num},
        {"muc#roominfo_changesubject", "Occupants may change the subject",
         r->cfg.change_subject ? "1" : "0"},
        {"muc#roominfo_lang", "Language of discussion", r->cfg.lang},
        {"muc#roomconfig_roomname", "Name", r->cfg.title},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        form_add_value(ctx, form_add_field(ctx, x, fields[i].var, NULL, fields[i].label),
                       fields[i].value);
    xmpp_stanza_t *contacts =
        form_add_field(ctx, x, "muc#roominfo_contactjid", NULL, "Contact addresses");
    char *copy = r->cfg.contacts ? strdup(r->cfg.contacts) : NULL, *save = NULL;
    for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t;
         t = strtok_r(NULL, " ", &save))
        form_add_value(ctx, contacts, t);
    free(copy);
    feature_roominfo(r, ctx, x);
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
    add_roominfo(req->ctx, q, room);
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
