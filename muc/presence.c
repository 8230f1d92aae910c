/* presence.c - entering a room, presence updates, nick changes, leaving and
 * ghost removal (XEP-0045 §7.2, §7.4, §7.6, §7.14, §10.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/log.h"
#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/limits.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* How one occupant's presence is shown in a broadcast. */
typedef struct pres_view {
    const char *type;       /* NULL (available) or "unavailable" */
    xmpp_stanza_t *payload; /* children to carry (show, status...), or NULL */
    const char *new_nick;   /* for 303 */
    const int *codes;       /* to everyone, 0-terminated, or NULL */
    const int *self_codes;  /* to the occupant's own sessions */
    const char *reason;     /* <item><reason/> of a role/affiliation change */
    const char *actor;      /* <item><actor nick/> */
    xmpp_stanza_t *extra;   /* appended to <x/> (e.g. <destroy/>), borrowed */
    bool forget_aff;        /* show affiliation none (room destroyed) */
} pres_view_t;

char *muc_occupant_jid(const room_t *room, const char *nick, char *buf)
{
    snprintf(buf, JID_MAX_LEN, "%s/%s", room->jid, nick);
    return buf;
}

bool muc_sees_jids(const room_t *room, const occupant_t *viewer)
{
    return room->cfg.whois_anyone || (viewer && viewer->role == ROLE_MODERATOR);
}

/* Sends the begun broadcast b to every session in the room, and ends it. */
static void bcast_to_all(room_t *room, out_bcast_t *b)
{
    for (occupant_t *o = room->first; o; o = o->next)
        for (session_t *s = o->sessions; s; s = s->next)
            out_bcast_to(b, s->jid);
    out_bcast_end(b);
}

void muc_broadcast(room_t *room, xmpp_stanza_t *tmpl, out_sink_t *out)
{
    out_bcast_t b;
    out_bcast_begin(&b, out, tmpl);
    bcast_to_all(room, &b);
}

void muc_broadcast_text(room_t *room, const char *xml, size_t len, out_sink_t *out)
{
    out_bcast_t b;
    out_bcast_begin_text(&b, out, room->svc->ctx, xml, len);
    bcast_to_all(room, &b);
}

/* Whether a presence child is carried in the room: not MUC protocol
 * elements, errors, or what only the room may say (occupant ids, hats). */
static bool carried(xmpp_stanza_t *c)
{
    if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "error") == 0)
        return false;
    const char *ns = xmpp_stanza_get_ns(c);
    return !(ns && (strncmp(ns, NS_MUC, strlen(NS_MUC)) == 0 ||
                    strcmp(ns, NS_OCCUPANT_ID) == 0 || strcmp(ns, NS_HATS) == 0));
}

/* Presences are written straight as text: a join or a role change sends
 * one presence per occupant, and building each through libstrophe's stanza
 * API (attribute hash tables, then serialization) cost more than the rest
 * of the join. */
typedef struct textbuf {
    char *p;
    size_t len, cap;
    bool oom; /* a write failed: the text is incomplete, never send it */
} textbuf_t;

static bool tb_reserve(textbuf_t *b, size_t more)
{
    if (b->len + more <= b->cap) return true;
    size_t cap = (b->len + more) * 2;
    char *grown = realloc(b->p, cap);
    if (!grown) {
        b->oom = true;
        return false;
    }
    b->p = grown;
    b->cap = cap;
    return true;
}

static void tb_mem(textbuf_t *b, const char *s, size_t n)
{
    if (!tb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void tb_raw(textbuf_t *b, const char *s)
{
    tb_mem(b, s, strlen(s));
}

/* Appends s escaped (for an attribute value or text). */
static void tb_esc(textbuf_t *b, const char *s)
{
    if (tb_reserve(b, 6 * strlen(s))) b->len += out_escape_attr(b->p + b->len, s);
}

/* Appends ` name='value'` with the value escaped. */
static void tb_attr(textbuf_t *b, const char *name, const char *value)
{
    tb_raw(b, " ");
    tb_raw(b, name);
    tb_raw(b, "='");
    tb_esc(b, value);
    tb_raw(b, "'");
}

/* Appends a stanza serialized by libstrophe. */
static void tb_stanza(textbuf_t *b, xmpp_stanza_t *st)
{
    char *t;
    size_t tl;
    if (xmpp_stanza_to_text(st, &t, &tl) != 0) {
        b->oom = true;
        return;
    }
    tb_mem(b, t, tl);
    xmpp_free(xmpp_stanza_get_context(st), t);
}

static void tb_status(textbuf_t *b, int code)
{
    char buf[40];
    snprintf(buf, sizeof buf, "<status code='%d'/>", code);
    tb_raw(b, buf);
}

/* The session's carried presence children, serialized once and cached
 * (room.c drops the cache when the presence changes). */
static const char *payload_xml(session_t *s)
{
    if (s->payload_xml) return s->payload_xml;
    textbuf_t b = {0};
    for (xmpp_stanza_t *c = s->presence ? xmpp_stanza_get_children(s->presence) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (carried(c)) tb_stanza(&b, c);
    tb_mem(&b, "", 1);
    if (b.oom) {
        free(b.p);
        return "";
    }
    s->payload_xml = b.p;
    return b.p;
}

/* Appends the carried children of payload (cached for a session's own). */
static void tb_payload(textbuf_t *b, occupant_t *occ, xmpp_stanza_t *payload)
{
    if (!payload) return;
    for (session_t *s = occ->sessions; s; s = s->next)
        if (s->presence == payload) {
            tb_raw(b, payload_xml(s));
            return;
        }
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(payload); c;
         c = xmpp_stanza_get_next(c))
        if (carried(c)) tb_stanza(b, c);
}

/* <item .../> of occ's presence as the view shows it. */
static void tb_item(textbuf_t *b, room_t *room, occupant_t *occ, const pres_view_t *v,
                    bool with_jid)
{
    tb_raw(b, "<item");
    tb_attr(b, "affiliation",
            affiliation_name(v->forget_aff ? AFF_NONE
                                           : room_affiliation(room, occ->bare_jid)));
    tb_attr(b, "role", role_name(v->type ? ROLE_NONE : occ->role));
    if (with_jid) tb_attr(b, "jid", occ->sessions->jid);
    if (v->new_nick) tb_attr(b, "nick", v->new_nick);
    if (!v->actor && !v->reason) {
        tb_raw(b, "/>");
        return;
    }
    tb_raw(b, ">");
    if (v->actor) {
        tb_raw(b, "<actor");
        tb_attr(b, "nick", v->actor);
        tb_raw(b, "/>");
    }
    if (v->reason) {
        tb_raw(b, "<reason>");
        tb_esc(b, v->reason);
        tb_raw(b, "</reason>");
    }
    tb_raw(b, "</item>");
}

/* Writes occ's presence as one class of recipient sees it into b (which it
 * resets); to == NULL leaves 'to' out (a broadcast template). */
static void write_presence(textbuf_t *b, room_t *room, occupant_t *occ,
                           const pres_view_t *v, bool with_jid, bool self, const char *to)
{
    b->len = 0;
    b->oom = false;
    tb_raw(b, "<presence from='");
    tb_esc(b, room->jid);
    tb_raw(b, "/");
    tb_esc(b, occ->nick);
    tb_raw(b, "'");
    if (to) tb_attr(b, "to", to);
    if (v->type) tb_attr(b, "type", v->type);
    tb_raw(b, ">");
    tb_payload(b, occ, v->payload);
    tb_raw(b, "<occupant-id xmlns='" NS_OCCUPANT_ID "' id='");
    tb_raw(b, occ->occupant_id); /* base64url: nothing to escape */
    tb_raw(b, "'/><x xmlns='" NS_MUC_USER "'>");
    tb_item(b, room, occ, v, with_jid);
    if (v->extra) tb_stanza(b, v->extra);
    for (const int *c = v->codes; c && *c; c++)
        tb_status(b, *c);
    if (self) {
        if (room->cfg.whois_anyone) tb_status(b, STATUS_NON_ANONYMOUS);
        tb_status(b, STATUS_SELF);
        for (const int *c = v->self_codes; c && *c; c++)
            tb_status(b, *c);
    }
    tb_raw(b, "</x></presence>");
}

/* Sends occ's presence (the view, as its own sessions see it) to one JID. */
static void send_self_presence(room_t *room, occupant_t *occ, const pres_view_t *v,
                               const char *to, out_sink_t *out)
{
    textbuf_t b = {0};
    write_presence(&b, room, occ, v, true, true, to);
    if (!b.oom) out_send_xml(out, room->svc->ctx, b.p, b.len);
    free(b.p);
}

/* Sends occ's presence to every occupant's sessions, writing each of the
 * (sees jid x self) variants once and splicing the recipient in. */
static void broadcast_presence(room_t *room, occupant_t *occ, const pres_view_t *v,
                               out_sink_t *out)
{
    textbuf_t text[2][2] = {0};
    bool ready[2][2] = {{false, false}, {false, false}};
    out_bcast_t bc[2][2];
    for (occupant_t *r = room->first; r; r = r->next) {
        bool self = r == occ;
        bool jid = self || muc_sees_jids(room, r);
        textbuf_t *t = &text[jid][self];
        if (!ready[jid][self]) {
            write_presence(t, room, occ, v, jid, self, NULL);
            if (t->oom) continue;
            out_bcast_begin_text(&bc[jid][self], out, room->svc->ctx, t->p, t->len);
            ready[jid][self] = true;
        }
        for (session_t *s = r->sessions; s; s = s->next)
            out_bcast_to(&bc[jid][self], s->jid);
    }
    for (int i = 0; i < 4; i++) {
        if (ready[i / 2][i % 2]) out_bcast_end(&bc[i / 2][i % 2]);
        free(text[i / 2][i % 2].p);
    }
}

/* Sends every other occupant's presence to a joining session. */
static void send_occupants_to(room_t *room, occupant_t *joiner, const char *to,
                              out_sink_t *out)
{
    bool jid = muc_sees_jids(room, joiner);
    textbuf_t b = {0};
    for (occupant_t *r = room->first; r; r = r->next) {
        if (r == joiner) continue;
        pres_view_t v = {.payload = r->sessions->presence};
        write_presence(&b, room, r, &v, jid, false, to);
        if (!b.oom) out_send_xml(out, room->svc->ctx, b.p, b.len);
    }
    free(b.p);
}

bool muc_room_drop_if_empty(room_t *room)
{
    if (room->first) return false;
    if (room->cfg.persistent) {
        if (!room->svc->store) return false; /* nowhere else to keep it */
        persist_unload(room);
        return true;
    }
    LOG_D("muc", "room %s is empty: destroyed", room->jid);
    service_room_destroy(room->svc, room);
    return true;
}

void presence_remove_session(room_t *room, occupant_t *occ, const char *jid,
                             xmpp_stanza_t *payload, const int *codes, out_sink_t *out)
{
    pres_view_t v = {.type = "unavailable", .payload = payload, .codes = codes};
    if (occ->sessions->next) {
        /* other sessions stay: only this one leaves */
        send_self_presence(room, occ, &v, jid, out);
        room_session_remove(room, occ, jid);
        pres_view_t now = {.payload = occ->sessions->presence};
        broadcast_presence(room, occ, &now, out);
        return;
    }
    broadcast_presence(room, occ, &v, out);
    room_session_remove(room, occ, jid);
}

/* The unavailable presence a role/affiliation change announces. */
static pres_view_t leaving_view(const muc_change_t *c)
{
    return (pres_view_t){.type = "unavailable",
                         .codes = c->codes,
                         .reason = c->reason,
                         .actor = c->actor,
                         .extra = c->extra,
                         .forget_aff = c->forget_aff};
}

/* Drops every session of occ (and so occ itself). */
static void remove_occupant(room_t *room, occupant_t *occ)
{
    while (!room_session_remove(room, occ, occ->sessions->jid)) {
    }
}

void muc_presence_remove(room_t *room, occupant_t *occ, const muc_change_t *c,
                         out_sink_t *out)
{
    pres_view_t v = leaving_view(c);
    broadcast_presence(room, occ, &v, out);
    remove_occupant(room, occ);
}

void muc_presence_remove_quiet(room_t *room, occupant_t *occ, const muc_change_t *c,
                               out_sink_t *out)
{
    pres_view_t v = leaving_view(c);
    textbuf_t b = {0};
    write_presence(&b, room, occ, &v, true, true, NULL);
    if (!b.oom) {
        out_bcast_t bc;
        out_bcast_begin_text(&bc, out, room->svc->ctx, b.p, b.len);
        for (session_t *s = occ->sessions; s; s = s->next)
            out_bcast_to(&bc, s->jid);
        out_bcast_end(&bc);
    }
    free(b.p);
    remove_occupant(room, occ);
}

void muc_presence_update(room_t *room, occupant_t *occ, const muc_change_t *c,
                         out_sink_t *out)
{
    pres_view_t v = {.payload = occ->sessions->presence,
                     .codes = c ? c->codes : NULL,
                     .reason = c ? c->reason : NULL,
                     .actor = c ? c->actor : NULL};
    broadcast_presence(room, occ, &v, out);
}

/* Nick checks beyond what JID parsing already refused (empty, control
 * characters below 0x20): too long, C1 controls, or only white space. */
static muc_err_t nick_check(const service_t *svc, const char *nick)
{
    int chars = 0;
    bool visible = false;
    for (const unsigned char *p = (const unsigned char *)nick; *p; p++) {
        if ((*p & 0xC0) != 0x80) chars++;
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) return ERR_JID_MALFORMED;
        if (*p != ' ' && *p != '\t') visible = true;
    }
    if (chars > svc->max_nick_length || !visible) return ERR_NOT_ACCEPTABLE;
    return MUC_OK;
}

char *muc_bare_jid(const jid_t *j, char *buf)
{
    snprintf(buf, JID_MAX_LEN, "%s%s%s", j->local ? j->local : "", j->local ? "@" : "",
             j->domain);
    return buf;
}

/* The room a join goes to, created (locked, the joiner owner) if needed. */
static muc_err_t room_for_join(request_t *req, room_t **out_room, bool *created)
{
    service_t *svc = req->svc;
    *created = false;
    *out_room = service_room(svc, req->to.local);
    if (*out_room) return MUC_OK;
    if (!service_may_create(svc, &req->from)) return ERR_NOT_ALLOWED;
    char bare[JID_MAX_LEN];
    muc_bare_jid(&req->from, bare);
    muc_err_t err = limits_may_create(req, req->to.local, bare);
    if (err) return err;
    room_t *room = service_room_create(svc, req->to.local);
    if (!room) return ERR_RESOURCE_CONSTRAINT;
    if (!(room->creator = strdup(bare)) ||
        room_set_affiliation(room, bare, AFF_OWNER) != 0) {
        service_room_destroy(svc, room);
        return ERR_RESOURCE_CONSTRAINT;
    }
    room->locked = true;
    *created = true;
    *out_room = room;
    LOG_I("muc", "room %s created by %s", room->jid, bare);
    return MUC_OK;
}

/* Sends a joining session everything it is owed, in XEP-0045 order. */
static void welcome(room_t *room, occupant_t *occ, request_t *req, const int *self_codes)
{
    const char *to = req->from_full;
    send_occupants_to(room, occ, to, req->out);
    pres_view_t v = {.payload = occ->sessions->presence, .self_codes = self_codes};
    broadcast_presence(room, occ, &v, req->out);
    history_send_on_join(room, req->st, to, req->out);
    avatar_send_to(room, to, req->out);
}

/* The password a join presence carries, newly allocated, or NULL. */
static char *join_password(xmpp_stanza_t *presence)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(presence, "x", NS_MUC);
    xmpp_stanza_t *p = x ? xmpp_stanza_get_child_by_name(x, "password") : NULL;
    return p ? xmpp_stanza_get_text(p) : NULL;
}

/* Who may enter: outcasts never; then every feature's check (members-only,
 * password, capacity...); a locked new room only admits its owner. */
static muc_err_t may_enter(request_t *req, room_t *room, const char *bare, bool is_new,
                           const char **text)
{
    affiliation_t aff = room_affiliation(room, bare);
    if (aff == AFF_OUTCAST) {
        *text = "You are banned from this room";
        return ERR_FORBIDDEN;
    }
    char *password = join_password(req->st);
    join_info_t j = {bare, aff, password, is_new};
    muc_err_t err = feature_check_join(room, &j, text);
    if (password) xmpp_free(req->ctx, password);
    if (err) return err;
    if (room->locked && aff != AFF_OWNER) {
        *text = "This room is locked until its owner configures it";
        return ERR_ITEM_NOT_FOUND;
    }
    return MUC_OK;
}

static muc_err_t join(request_t *req, room_t *room, bool created, const char **text)
{
    const char *full = req->from_full;
    char bare[JID_MAX_LEN];
    muc_bare_jid(&req->from, bare);
    occupant_t *occ = room_occupant_by_nick(room, req->to.resource);
    if (occ && strcmp(occ->bare_jid, bare) != 0) {
        *text = "That nickname is already in use";
        return ERR_CONFLICT;
    }
    muc_err_t err = may_enter(req, room, bare, !occ, text);
    if (err) return err;
    if (occ) { /* the same user from another resource */
        if (room_session_add(room, occ, full, req->st) != 0)
            return ERR_RESOURCE_CONSTRAINT;
    } else {
        affiliation_t aff = room_affiliation(room, bare);
        role_t role = perm_default_role(aff, room->cfg.moderated);
        occ = room_occupant_add(room, req->to.resource, bare, full, role, req->st);
        if (!occ) return ERR_RESOURCE_CONSTRAINT;
    }
    static const int created_codes[] = {STATUS_CREATED, 0};
    welcome(room, occ, req, created ? created_codes : NULL);
    return MUC_OK;
}

static muc_err_t change_nick(request_t *req, room_t *room, occupant_t *occ)
{
    const char *nick = req->to.resource;
    muc_err_t err = nick_check(req->svc, nick);
    if (err) return err;
    if (room_occupant_by_nick(room, nick)) return ERR_CONFLICT;
    if (occ->sessions->next) return ERR_NOT_ACCEPTABLE; /* one nick for all sessions */
    const int codes[] = {STATUS_NICK_CHANGED, 0};
    pres_view_t gone = {.type = "unavailable", .new_nick = nick, .codes = codes};
    broadcast_presence(room, occ, &gone, req->out);
    if (room_occupant_rename(room, occ, nick) != 0) return ERR_RESOURCE_CONSTRAINT;
    room_session_set_presence(occ->sessions, req->st);
    pres_view_t back = {.payload = occ->sessions->presence};
    broadcast_presence(room, occ, &back, req->out);
    return MUC_OK;
}

/* Available presence from someone already in the room. */
static muc_err_t update(request_t *req, room_t *room, occupant_t *occ)
{
    const char *full = req->from_full;
    if (strcmp(occ->nick, req->to.resource) != 0) return change_nick(req, room, occ);
    session_t *s = occupant_session(occ, full);
    room_session_set_presence(s, req->st);
    if (xmpp_stanza_get_child_by_name_and_ns(req->st, "x", NS_MUC)) {
        welcome(room, occ, req, NULL); /* a client re-joining: resend state */
        return MUC_OK;
    }
    pres_view_t v = {.payload = s->presence};
    broadcast_presence(room, occ, &v, req->out);
    return MUC_OK;
}

static muc_err_t available(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    occupant_t *occ = room ? room_occupant_by_jid(room, req->from_full) : NULL;
    if (occ) return update(req, room, occ);
    muc_err_t err = nick_check(req->svc, req->to.resource);
    if (err) return err;
    bool created;
    if ((err = room_for_join(req, &room, &created))) return err;
    const char *text = NULL;
    err = join(req, room, created, &text);
    if (err && created) service_room_destroy(req->svc, room);
    if (err && text) {
        out_send(req->out, muc_err_reply(req->ctx, req->st, err, text));
        return MUC_OK;
    }
    return err;
}

static muc_err_t unavailable(request_t *req)
{
    const char *full = req->from_full;
    room_t *room = service_room(req->svc, req->to.local);
    occupant_t *occ = room ? room_occupant_by_jid(room, full) : NULL;
    if (occ) {
        presence_remove_session(room, occ, full, req->st, NULL, req->out);
        muc_room_drop_if_empty(room);
    }
    return MUC_OK; /* leaving a room one is not in needs no answer */
}

muc_err_t presence_to_occupant(request_t *req)
{
    const char *type = xmpp_stanza_get_type(req->st);
    if (!type) return available(req);
    if (strcmp(type, "unavailable") == 0) return unavailable(req);
    return MUC_OK; /* probes and subscriptions: nothing to do */
}

muc_err_t presence_to_room(request_t *req)
{
    if (xmpp_stanza_get_type(req->st)) return MUC_OK;
    return ERR_JID_MALFORMED; /* entering needs a nick: room@service/nick */
}

/* Error conditions that mean the occupant's session is gone (as Prosody). */
static bool kickable(xmpp_stanza_t *st)
{
    static const char *const conds[] = {"gone",
                                        "internal-server-error",
                                        "item-not-found",
                                        "jid-malformed",
                                        "recipient-unavailable",
                                        "redirect",
                                        "remote-server-not-found",
                                        "remote-server-timeout",
                                        "service-unavailable",
                                        NULL};
    xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error");
    xmpp_stanza_t *cond = err ? stanza_first_element(err) : NULL;
    if (!cond) return true; /* a malformed error */
    for (int i = 0; conds[i]; i++)
        if (strcmp(xmpp_stanza_get_name(cond), conds[i]) == 0) return true;
    return false;
}

muc_err_t muc_error_from_occupant(request_t *req)
{
    const char *full = req->from_full;
    room_t *room =
        service_room_loaded(req->svc, req->to.local); /* ghosts live in memory */
    occupant_t *occ = room ? room_occupant_by_jid(room, full) : NULL;
    if (!occ || !kickable(req->st)) return MUC_OK;
    LOG_I("muc", "%s: removing %s (%s) after a bounced stanza", room->jid, occ->nick,
          full);
    static const int codes[] = {STATUS_REMOVED_ERROR, 0};
    presence_remove_session(room, occ, full, NULL, codes, req->out);
    muc_room_drop_if_empty(room);
    return MUC_OK;
}

/* Every occupant leaves every room: with an unavailable presence (332) when
 * `out` can still deliver, silently otherwise (the link is gone: their
 * sessions are unknown now). Temporary rooms vanish, persistent ones go
 * back to the store. */
static void clear_all(service_t *svc, out_sink_t *out)
{
    static const int shutdown_codes[] = {STATUS_SHUTDOWN, 0};
    muc_change_t c = {.codes = shutdown_codes};
    size_t n = hash_count(svc->rooms), k = 0;
    room_t **rooms = calloc(n ? n : 1, sizeof *rooms);
    if (!rooms) return;
    for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);)
        rooms[k++] = it.value;
    for (size_t i = 0; i < k; i++) {
        room_t *room = rooms[i];
        while (room->first) {
            if (out)
                muc_presence_remove_quiet(room, room->first, &c, out);
            else
                remove_occupant(room, room->first);
        }
        muc_room_drop_if_empty(room);
    }
    free(rooms);
}

void service_shutdown(service_t *svc, out_sink_t *out)
{
    clear_all(svc, out);
}

void service_link_lost(service_t *svc)
{
    clear_all(svc, NULL);
}
