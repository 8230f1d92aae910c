/* router.c - envelope checks, then dispatch by target (service, room,
 * occupant) and stanza kind. Every IQ get/set gets exactly one reply. */
#include "muc/router.h"

#include <stdio.h>
#include <string.h>

#include "component/log.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/stanza.h"

typedef enum { TARGET_SERVICE, TARGET_ROOM, TARGET_OCCUPANT, TARGET_COUNT_ } target_t;
typedef enum { KIND_MESSAGE, KIND_PRESENCE, KIND_IQ, KIND_COUNT_ } kind_t;

/* IQ get/set handlers, keyed by target, type and the payload's namespace
 * and name. A missing entry answers service-unavailable. */
typedef struct iq_route {
    target_t target;
    const char *type;
    const char *ns;
    const char *name;
    request_fn fn;
} iq_route_t;

static const iq_route_t iq_routes[] = {
    {TARGET_SERVICE, "get", NS_DISCO_INFO, "query", disco_service_info},
    {TARGET_SERVICE, "get", NS_DISCO_ITEMS, "query", disco_service_items},
    {TARGET_SERVICE, "get", NS_PING, "ping", service_ping},
    {TARGET_SERVICE, "get", NS_VERSION, "query", service_version},
    {TARGET_ROOM, "get", NS_DISCO_INFO, "query", disco_room_info},
    {TARGET_ROOM, "get", NS_DISCO_ITEMS, "query", disco_room_items},
    {TARGET_ROOM, "get", NS_MUC_OWNER, "query", owner_get},
    {TARGET_ROOM, "set", NS_MUC_OWNER, "query", owner_set},
    {TARGET_ROOM, "get", NS_MUC_ADMIN, "query", admin_get},
    {TARGET_ROOM, "set", NS_MUC_ADMIN, "query", admin_set},
    {TARGET_ROOM, "get", NS_VCARD, "vCard", avatar_get},
    {TARGET_ROOM, "set", NS_VCARD, "vCard", avatar_set},
    {TARGET_ROOM, "get", "urn:xmpp:mam:2", "query", archive_form},
    {TARGET_ROOM, "set", "urn:xmpp:mam:2", "query", archive_query},
    {TARGET_ROOM, "get", "urn:xmpp:mam:2", "metadata", archive_metadata},
    {TARGET_ROOM, "set", "urn:xmpp:message-moderate:1", "moderate", moderation_set},
    {TARGET_ROOM, "set", "urn:xmpp:fasten:0", "apply-to", moderation_set},
};

xmpp_stanza_t *request_iq_result(request_t *req)
{
    xmpp_stanza_t *res = stanza_reply(req->ctx, req->st);
    if (res) xmpp_stanza_set_type(res, "result");
    return res;
}

static muc_err_t route_iq(request_t *req, target_t target)
{
    const char *type = xmpp_stanza_get_type(req->st);
    if (!type) return ERR_BAD_REQUEST;
    if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) return MUC_OK;
    if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0) return ERR_BAD_REQUEST;
    if (!xmpp_stanza_get_id(req->st)) return ERR_BAD_REQUEST;
    if (stanza_element_count(req->st) != 1) return ERR_BAD_REQUEST;
    req->payload = stanza_first_element(req->st);
    const char *ns = xmpp_stanza_get_ns(req->payload);
    const char *name = xmpp_stanza_get_name(req->payload);
    for (size_t i = 0; i < sizeof iq_routes / sizeof iq_routes[0]; i++) {
        const iq_route_t *r = &iq_routes[i];
        if (r->target == target && strcmp(r->type, type) == 0 && ns &&
            strcmp(r->ns, ns) == 0 && strcmp(r->name, name) == 0)
            return r->fn(req);
    }
    return ERR_SERVICE_UNAVAILABLE;
}

static muc_err_t service_iq(request_t *req)
{
    return route_iq(req, TARGET_SERVICE);
}
static muc_err_t room_iq(request_t *req)
{
    return route_iq(req, TARGET_ROOM);
}
/* IQs to occupants go to them (after the usual payload checks); their
 * answers come back through the same forwarder. */
static muc_err_t occupant_iq(request_t *req)
{
    if (stanza_type_is(req->st, "result") || stanza_type_is(req->st, "error"))
        return occupant_iq_forward(req);
    muc_err_t err = route_iq(req, TARGET_OCCUPANT);
    return err == ERR_SERVICE_UNAVAILABLE ? occupant_iq_forward(req) : err;
}

/* Presence to the bare service (probes, subscriptions) needs no answer. */
static muc_err_t ignore(request_t *req)
{
    (void)req;
    return MUC_OK;
}

static muc_err_t unavailable(request_t *req)
{
    (void)req;
    return ERR_SERVICE_UNAVAILABLE;
}

static muc_err_t (*const dispatch[TARGET_COUNT_][KIND_COUNT_])(request_t *) = {
    [TARGET_SERVICE] = {unavailable, ignore, service_iq},
    [TARGET_ROOM] = {message_to_room, presence_to_room, room_iq},
    [TARGET_OCCUPANT] = {message_to_occupant, presence_to_occupant, occupant_iq},
};

static int kind_of(const char *name)
{
    if (!name) return -1;
    if (strcmp(name, "message") == 0) return KIND_MESSAGE;
    if (strcmp(name, "presence") == 0) return KIND_PRESENCE;
    if (strcmp(name, "iq") == 0) return KIND_IQ;
    return -1;
}

static target_t target_of(const jid_t *to)
{
    if (!to->local) return TARGET_SERVICE;
    return to->resource ? TARGET_OCCUPANT : TARGET_ROOM;
}

static void reply_error(request_t *req, muc_err_t err, const char *text)
{
    out_send(req->out, muc_err_reply(req->ctx, req->st, err, text));
}

/* Checks from/to; returns 0 when the stanza may be dispatched. */
static int envelope_check(request_t *req)
{
    const char *from = xmpp_stanza_get_from(req->st);
    const char *to = xmpp_stanza_get_to(req->st);
    if (jid_parse(from, &req->from) != 0) {
        LOG_W("router", "dropped <%s/> with missing or malformed from='%s'",
              xmpp_stanza_get_name(req->st), from ? from : "");
        return -1;
    }
    snprintf(req->from_full, sizeof req->from_full, "%s%s%s%s%s",
             req->from.local ? req->from.local : "", req->from.local ? "@" : "",
             req->from.domain, req->from.resource ? "/" : "",
             req->from.resource ? req->from.resource : "");
    if (jid_parse(to, &req->to) != 0) {
        /* from the service: the malformed address cannot be a 'from' */
        xmpp_stanza_t *r =
            muc_err_reply(req->ctx, req->st, ERR_JID_MALFORMED, "malformed 'to' address");
        if (r) xmpp_stanza_set_from(r, req->svc->domain);
        out_send(req->out, r);
        return -1;
    }
    if (!jid_domain_eq(req->to.domain, req->svc->domain)) {
        LOG_W("router", "dropped stanza for foreign domain '%s'", req->to.domain);
        return -1;
    }
    if (jid_domain_eq(req->from.domain, req->svc->domain)) {
        /* only our own stanzas, looped back, come from here: processing one
         * would make an occupant of a room or occupant JID */
        LOG_W("router", "dropped <%s/> from our own domain '%s'",
              xmpp_stanza_get_name(req->st), from);
        return -1;
    }
    return 0;
}

/* [limits] max_stanza_size: a larger stanza gets not-acceptable (errors are
 * dropped) and goes no further. */
static bool too_large(request_t *req)
{
    size_t limit = (size_t)req->svc->limits.max_stanza_size;
    size_t vcard = avatar_stanza_allowance(req); /* a room vCard's photo */
    if (limit && vcard > limit) limit = vcard;
    if (!limit || stanza_size_estimate(req->st, limit) <= limit) return false;
    LOG_I("router", "refused a <%s/> from %s: larger than %zu bytes",
          xmpp_stanza_get_name(req->st), req->from_full, limit);
    snprintf(req->err_text, sizeof req->err_text,
             "stanza too large: this service accepts at most %zu bytes", limit);
    if (!stanza_type_is(req->st, "error"))
        reply_error(req, ERR_NOT_ACCEPTABLE, req->err_text);
    return true;
}

bool service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out)
{
    request_t req = {.svc = svc, .ctx = svc->ctx, .st = st, .out = out};
    int kind = kind_of(xmpp_stanza_get_name(st));
    if (kind < 0) {
        LOG_D("router", "ignored non-stanza element <%s/>", xmpp_stanza_get_name(st));
        return false;
    }
    if (envelope_check(&req) != 0) return false;
    if (too_large(&req)) return false;
    stanza_strip_stream_ns_below(st); /* every copy relayed from it is lighter */
    if (kind != KIND_IQ && stanza_type_is(st, "error")) {
        /* never answered; a bounce from an occupant may remove a ghost */
        if (req.to.local) muc_error_from_occupant(&req);
    } else {
        muc_err_t err = dispatch[target_of(&req.to)][kind](&req);
        if (err != MUC_OK) reply_error(&req, err, req.err_text[0] ? req.err_text : NULL);
    }
    /* a room loaded for this stanza and left empty goes back to the store */
    room_t *room = req.to.local ? service_room_loaded(svc, req.to.local) : NULL;
    if (room && room->cfg.persistent) muc_room_drop_if_empty(room);
    return req.archived;
}
