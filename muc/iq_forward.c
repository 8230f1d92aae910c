/* iq_forward.c - IQs between occupants (XEP-0045 §7.5, e.g. vCard requests):
 * an IQ get/set from an occupant to room@service/nick goes to that
 * occupant's real JID from the sender's occupant JID under a fresh id; the
 * answer comes back to the sender's real JID with the original id. Pending
 * forwards are remembered by id, bounded in number and age. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/service.h"
#include "muc/stanza.h"

#define PENDING_MAX     10000
#define PENDING_MAX_AGE 120 /* seconds */

typedef struct pending {
    char *sender;    /* real full JID of the asking session */
    char *orig_id;   /* the id it used */
    char *responder; /* real full JID expected to answer */
    char *as;        /* the answer's from: room@service/nick of the responder */
    time_t when;
} pending_t;

static void pending_free(pending_t *p)
{
    free(p->sender);
    free(p->orig_id);
    free(p->responder);
    free(p->as);
    free(p);
}

void iq_forward_free_all(service_t *svc)
{
    if (!svc->pending_iqs) return;
    for (hash_iter_t it = hash_iter(svc->pending_iqs); hash_next(&it);)
        pending_free(it.value);
    hash_free(svc->pending_iqs);
    svc->pending_iqs = NULL;
}

/* Drops forwards nobody answered in time. */
static void expire(service_t *svc)
{
    time_t limit = svc->now() - PENDING_MAX_AGE;
    char *stale[64];
    size_t n = 0;
    for (hash_iter_t it = hash_iter(svc->pending_iqs); hash_next(&it) && n < 64;)
        if (((pending_t *)it.value)->when < limit) stale[n++] = strdup(it.key);
    for (size_t i = 0; i < n; i++) {
        if (stale[i]) pending_free(hash_remove(svc->pending_iqs, stale[i]));
        free(stale[i]);
    }
}

static pending_t *remember(service_t *svc, const char *id, pending_t init)
{
    if (!svc->pending_iqs && !(svc->pending_iqs = hash_new())) return NULL;
    if (hash_count(svc->pending_iqs) >= PENDING_MAX / 2) expire(svc);
    if (hash_count(svc->pending_iqs) >= PENDING_MAX) return NULL;
    pending_t *p = malloc(sizeof *p);
    if (!p) return NULL;
    *p = (pending_t){strdup(init.sender), strdup(init.orig_id), strdup(init.responder),
                     strdup(init.as), svc->now()};
    if (!p->sender || !p->orig_id || !p->responder || !p->as ||
        hash_put(svc->pending_iqs, id, p) != 0) {
        pending_free(p);
        return NULL;
    }
    return p;
}

/* Whether the request is a ping (XEP-0199). */
static bool is_ping(request_t *req)
{
    const char *ns = req->payload ? xmpp_stanza_get_ns(req->payload) : NULL;
    return ns && strcmp(ns, NS_PING) == 0 && stanza_type_is(req->st, "get");
}

static muc_err_t forward_request(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    const char *from = req->from_full;
    occupant_t *sender = room ? room_occupant_by_jid(room, from) : NULL;
    occupant_t *target = room ? room_occupant_by_nick(room, req->to.resource) : NULL;
    if (is_ping(req)) { /* XEP-0410 self-ping: is this session still in? */
        if (!sender) return ERR_NOT_ACCEPTABLE;
        if (sender == target) {
            out_send(req->out, request_iq_result(req));
            return MUC_OK;
        }
    }
    if (!room) return ERR_ITEM_NOT_FOUND;
    if (!sender) return ERR_BAD_REQUEST; /* §6.5: non-occupants may not */
    if (!target) return ERR_ITEM_NOT_FOUND;
    char id[32], sender_jid[JID_MAX_LEN], target_jid[JID_MAX_LEN];
    snprintf(id, sizeof id, "mucd-fwd-%llu", ++req->svc->forward_seq);
    pending_t init = {(char *)from, (char *)xmpp_stanza_get_id(req->st),
                      target->sessions->jid,
                      muc_occupant_jid(room, target->nick, target_jid), 0};
    if (!remember(req->svc, id, init)) return ERR_RESOURCE_CONSTRAINT;
    xmpp_stanza_t *fwd = xmpp_stanza_copy(req->st);
    if (!fwd) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_set_id(fwd, id);
    xmpp_stanza_set_from(fwd, muc_occupant_jid(room, sender->nick, sender_jid));
    xmpp_stanza_set_to(fwd, target->sessions->jid);
    out_send(req->out, fwd);
    return MUC_OK;
}

/* An answer to a forwarded IQ: back to the asker with its own id. */
static muc_err_t forward_response(request_t *req)
{
    const char *id = xmpp_stanza_get_id(req->st);
    pending_t *p =
        (id && req->svc->pending_iqs) ? hash_get(req->svc->pending_iqs, id) : NULL;
    if (!p || strcmp(p->responder, req->from_full) != 0) return MUC_OK;
    hash_remove(req->svc->pending_iqs, id);
    xmpp_stanza_t *back = xmpp_stanza_copy(req->st);
    if (back) {
        xmpp_stanza_set_id(back, p->orig_id);
        xmpp_stanza_set_from(back, p->as);
        xmpp_stanza_set_to(back, p->sender);
        out_send(req->out, back);
    }
    pending_free(p);
    return MUC_OK;
}

muc_err_t occupant_iq_forward(request_t *req)
{
    const char *type = xmpp_stanza_get_type(req->st);
    if (type && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
        return forward_response(req);
    return forward_request(req);
}
