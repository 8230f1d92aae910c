/* feat_moderation.c - moderated retraction (XEP-0425) and self-retraction
 * (XEP-0424) applied to the room archive and the history.
 *
 * - disco: urn:xmpp:message-moderate:0 and :1, urn:xmpp:message-retract:0
 *   and :1 (every room: what is retracted is found in the archive when the
 *   room archives, else in the in-memory history).
 * - request (IQ set to the room), both forms: v1 <moderate xmlns=:1 id=SID>
 *   <retract xmlns=message-retract:1/><reason/></moderate>, and v0 <apply-to
 *   xmlns=urn:xmpp:fasten:0 id=SID><moderate xmlns=:0><retract
 *   xmlns=message-retract:0/><reason/></moderate></apply-to>. Moderators only
 *   (forbidden); an id neither archived nor in the history: item-not-found.
 * - effect, in this order: the archived message is replaced by a tombstone
 *   (same sequence, stamp and stanza-id; a full store: resource-constraint,
 *   nothing changed, nothing sent), the history drops it, then one message
 *   from the room JID in both forms (v1 <retract><moderated by=room/nick>
 *   with the moderator's occupant-id, v0 <apply-to><moderated by=..>) with a
 *   stanza-id of its own goes to every occupant, then the IQ result.
 * - self-retraction: a groupchat message with <retract xmlns=:1 id=SID/> (or
 *   v0 <apply-to id=SID><retract xmlns=:0/></apply-to>) from the occupant
 *   whose occupant-id the original carries tombstones it the same way before
 *   it is relayed; from anyone else it is only relayed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component/log.h"
#include "muc/archive.h"
#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/ids.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"
#include "storage/storage.h"

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query)
{
    (void)room;
    feature_add(ctx, query, NS_MODERATE0);
    feature_add(ctx, query, NS_MODERATE1);
    feature_add(ctx, query, NS_RETRACT0);
    feature_add(ctx, query, NS_RETRACT1);
}

const room_feature_t feat_moderation = {.name = "moderation", .disco = disco};

/* ---- finding the original ---------------------------------------------- */

static bool has_sid(xmpp_stanza_t *m, const char *room_jid, const char *sid)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(m); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "stanza-id") != 0)
            continue;
        const char *ns = xmpp_stanza_get_ns(c), *by = xmpp_stanza_get_attribute(c, "by"),
                   *id = xmpp_stanza_get_id(c);
        if (ns && strcmp(ns, NS_SID) == 0 && by && strcasecmp(by, room_jid) == 0 && id &&
            strcmp(id, sid) == 0)
            return true;
    }
    return false;
}

/* The history index of the message with stanza-id sid, or -1. */
static long history_find(room_t *room, const char *sid)
{
    for (size_t i = 0; i < room->history_count; i++)
        if (has_sid(room_history_at(room, i)->msg, room->jid, sid)) return (long)i;
    return -1;
}

static void history_drop(room_t *room, long at)
{
    if (at < 0) return;
    size_t i = (size_t)at;
    xmpp_stanza_release(room_history_at(room, i)->msg);
    for (; i + 1 < room->history_count; i++)
        *room_history_at(room, i) = *room_history_at(room, i + 1);
    room_history_at(room, room->history_count - 1)->msg = NULL;
    room->history_count--;
    room->history_head = (room->history_head + room->history_cap - 1) % room->history_cap;
    room->history_dirty = true;
}

/* The original (a new reference, or NULL): from the archive when the room
 * archives (*archived set), else from the history. */
static xmpp_stanza_t *find_original(room_t *room, const char *sid, bool *archived,
                                    long *hist)
{
    service_t *svc = room->svc;
    *archived = false;
    persist_history_ensure(room);
    *hist = history_find(room, sid);
    if (archive_on(room)) {
        uint64_t seq;
        store_arch_msg_t m;
        if (store_archive_seq_of(svc->store, room->name, sid, &seq) == STORE_OK &&
            store_archive_get(svc->store, room->name, seq, &m) == STORE_OK) {
            xmpp_stanza_t *st = xmpp_stanza_new_from_string(svc->ctx, m.xml);
            store_arch_msgs_free(&m, 1);
            if (st) *archived = true;
            return st;
        }
    }
    return *hist >= 0 ? xmpp_stanza_clone(room_history_at(room, *hist)->msg) : NULL;
}

static const char *occupant_id_of(xmpp_stanza_t *m)
{
    xmpp_stanza_t *o =
        m ? xmpp_stanza_get_child_by_name_and_ns(m, "occupant-id", NS_OCCUPANT_ID) : NULL;
    return o ? xmpp_stanza_get_id(o) : NULL;
}

/* ---- the tombstone ------------------------------------------------------ */

static xmpp_stanza_t *add(xmpp_ctx_t *ctx, xmpp_stanza_t *p, const char *name,
                          const char *ns)
{
    return p ? stanza_add_child(ctx, p, name, ns) : NULL;
}

static void add_text(xmpp_ctx_t *ctx, xmpp_stanza_t *p, const char *name,
                     const char *text)
{
    xmpp_stanza_t *e = text ? add(ctx, p, name, NULL) : NULL;
    if (!e) return;
    xmpp_stanza_t *t = xmpp_stanza_new(ctx);
    if (!t) return;
    xmpp_stanza_set_text(t, text);
    xmpp_stanza_add_child(e, t);
    xmpp_stanza_release(t);
}

static void add_occupant_id(xmpp_ctx_t *ctx, xmpp_stanza_t *p, const char *oid)
{
    xmpp_stanza_t *o = oid ? add(ctx, p, "occupant-id", NS_OCCUPANT_ID) : NULL;
    if (o) xmpp_stanza_set_id(o, oid);
}

/* The tombstone of orig: its envelope, occupant-id and stanza-id, then
 * <retracted/> (v1, with <moderated/> for a moderator: by = `by`) and the
 * v0 form; NULL on no memory. */
static xmpp_stanza_t *tombstone(room_t *room, xmpp_stanza_t *orig, const char *sid,
                                const char *by, const char *by_oid, const char *reason)
{
    xmpp_ctx_t *ctx = room->svc->ctx;
    xmpp_stanza_t *t = xmpp_message_new(ctx, "groupchat", NULL, NULL);
    if (!t) return NULL;
    const char *from = xmpp_stanza_get_from(orig), *id = xmpp_stanza_get_id(orig);
    if (from) xmpp_stanza_set_from(t, from);
    if (id) xmpp_stanza_set_id(t, id);
    add_occupant_id(ctx, t, occupant_id_of(orig));
    xmpp_stanza_t *s = add(ctx, t, "stanza-id", NS_SID);
    if (s) {
        xmpp_stanza_set_attribute(s, "by", room->jid);
        xmpp_stanza_set_id(s, sid);
    }
    char stamp[32];
    muc_format_datetime(room->svc->now(), stamp, sizeof stamp);
    xmpp_stanza_t *r1 = add(ctx, t, "retracted", NS_RETRACT1);
    if (r1) xmpp_stanza_set_attribute(r1, "stamp", stamp);
    if (by) {
        xmpp_stanza_t *m1 = add(ctx, r1, "moderated", NS_MODERATE1);
        if (m1) xmpp_stanza_set_attribute(m1, "by", by);
        add_occupant_id(ctx, m1, by_oid);
        add_text(ctx, r1, "reason", reason);
        xmpp_stanza_t *m0 = add(ctx, t, "moderated", NS_MODERATE0);
        if (m0) xmpp_stanza_set_attribute(m0, "by", by);
        xmpp_stanza_t *r0 = add(ctx, m0, "retracted", NS_RETRACT0);
        if (r0) xmpp_stanza_set_attribute(r0, "stamp", stamp);
        add_text(ctx, m0, "reason", reason);
    } else {
        xmpp_stanza_t *r0 = add(ctx, t, "retracted", NS_RETRACT0);
        if (r0) xmpp_stanza_set_attribute(r0, "stamp", stamp);
    }
    return t;
}

/* Tombstones the original in the archive (first: a failure changes
 * nothing) and drops it from the history. */
static muc_err_t retract_stored(room_t *room, xmpp_stanza_t *orig, bool archived,
                                long hist, const char *sid, const char *by,
                                const char *by_oid, const char *reason)
{
    if (archived) {
        xmpp_stanza_t *t = tombstone(room, orig, sid, by, by_oid, reason);
        char *xml = NULL;
        size_t len = 0;
        int rc = t ? xmpp_stanza_to_text(t, &xml, &len) : -1;
        if (t) xmpp_stanza_release(t);
        if (rc != 0) return ERR_RESOURCE_CONSTRAINT;
        char *text = archive_record_xml(xml, len);
        xmpp_free(room->svc->ctx, xml);
        if (!text) return ERR_RESOURCE_CONSTRAINT;
        store_rc_t src = store_archive_replace(room->svc->store, room->name, sid, text);
        free(text);
        if (src != STORE_OK) {
            LOG_E("storage", "%s: retraction: %s", room->jid,
                  store_last_error(room->svc->store));
            return ERR_RESOURCE_CONSTRAINT;
        }
    }
    history_drop(room, hist);
    return MUC_OK;
}

/* ---- moderation (IQ set) ------------------------------------------------ */

/* The announcement of a moderation, from the room in both forms, with a
 * stanza-id of its own (nid) (+1, or NULL). */
static xmpp_stanza_t *announcement(request_t *req, room_t *room, const char *sid,
                                   const char *by, const char *by_oid, const char *reason,
                                   const char *nid)
{
    xmpp_ctx_t *ctx = req->ctx;
    char mid[IDS_STANZA_ID_SIZE];
    ids_stanza_id(mid);
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", NULL, mid);
    if (!m) return NULL;
    xmpp_stanza_set_from(m, room->jid);
    xmpp_stanza_t *r1 = add(ctx, m, "retract", NS_RETRACT1);
    if (r1) xmpp_stanza_set_id(r1, sid);
    xmpp_stanza_t *m1 = add(ctx, r1, "moderated", NS_MODERATE1);
    if (m1) xmpp_stanza_set_attribute(m1, "by", by);
    add_occupant_id(ctx, m1, by_oid);
    add_text(ctx, r1, "reason", reason);
    xmpp_stanza_t *a0 = add(ctx, m, "apply-to", NS_FASTEN);
    if (a0) xmpp_stanza_set_id(a0, sid);
    xmpp_stanza_t *m0 = add(ctx, a0, "moderated", NS_MODERATE0);
    if (m0) xmpp_stanza_set_attribute(m0, "by", by);
    add(ctx, m0, "retract", NS_RETRACT0);
    add_text(ctx, m0, "reason", reason);
    xmpp_stanza_t *s = add(ctx, m, "stanza-id", NS_SID);
    if (s) {
        xmpp_stanza_set_attribute(s, "by", room->jid);
        xmpp_stanza_set_id(s, nid);
    }
    return m;
}

/* Archives the announcement (a client that catches up through the archive
 * applies it to the copy it already has, as Prosody's rooms do), then
 * sends it to every occupant. MUC_OK, or ERR_RESOURCE_CONSTRAINT and
 * nothing sent. */
static muc_err_t broadcast(request_t *req, room_t *room, const char *sid, const char *by,
                           const char *by_oid, const char *reason)
{
    char nid[IDS_STANZA_ID_SIZE];
    ids_stanza_id(nid);
    xmpp_stanza_t *m = announcement(req, room, sid, by, by_oid, reason, nid);
    char *xml = NULL;
    size_t len = 0;
    muc_err_t err = m && xmpp_stanza_to_text(m, &xml, &len) == 0
                        ? archive_append(req, room, "", NULL, xml, len, nid)
                        : ERR_RESOURCE_CONSTRAINT;
    if (!err) muc_broadcast_text(room, xml, len, req->out);
    if (xml) xmpp_free(req->ctx, xml);
    if (m) xmpp_stanza_release(m);
    return err;
}

muc_err_t moderation_set(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    /* v1: <moderate id=..>; v0: <apply-to id=..><moderate xmlns=:0> */
    xmpp_stanza_t *mod = req->payload;
    const char *sid = xmpp_stanza_get_id(req->payload);
    const char *rns = NS_RETRACT1;
    if (strcmp(xmpp_stanza_get_name(req->payload), "apply-to") == 0) {
        mod =
            xmpp_stanza_get_child_by_name_and_ns(req->payload, "moderate", NS_MODERATE0);
        rns = NS_RETRACT0;
    }
    if (!mod || !sid || !*sid ||
        !xmpp_stanza_get_child_by_name_and_ns(mod, "retract", rns))
        return ERR_BAD_REQUEST;
    occupant_t *occ = room_occupant_by_jid(room, req->from_full);
    if (!occ || occ->role < ROLE_MODERATOR) {
        snprintf(req->err_text, sizeof req->err_text,
                 "only moderators may moderate messages");
        return ERR_FORBIDDEN;
    }
    bool archived;
    long hist;
    xmpp_stanza_t *orig = find_original(room, sid, &archived, &hist);
    if (!orig) {
        snprintf(req->err_text, sizeof req->err_text, "no message with this id");
        return ERR_ITEM_NOT_FOUND;
    }
    xmpp_stanza_t *re = xmpp_stanza_get_child_by_name(mod, "reason");
    char *reason = re ? xmpp_stanza_get_text(re) : NULL;
    char by[JID_MAX_LEN];
    muc_occupant_jid(room, occ->nick, by);
    muc_err_t err =
        retract_stored(room, orig, archived, hist, sid, by, occ->occupant_id, reason);
    xmpp_stanza_release(orig);
    if (!err) err = broadcast(req, room, sid, by, occ->occupant_id, reason);
    if (!err) out_send(req->out, request_iq_result(req));
    if (reason) xmpp_free(req->ctx, reason);
    return err;
}

/* ---- self-retraction (groupchat) ---------------------------------------- */

static bool ns_is(xmpp_stanza_t *c, const char *ns)
{
    const char *cns = xmpp_stanza_get_ns(c);
    return cns && strcmp(cns, ns) == 0;
}

bool moderation_forged(xmpp_stanza_t *c)
{
    if (!xmpp_stanza_is_tag(c)) return false;
    if (ns_is(c, NS_MODERATE0) || ns_is(c, NS_MODERATE1)) return true;
    const char *name = xmpp_stanza_get_name(c);
    if (strcmp(name, "retracted") == 0)
        return ns_is(c, NS_RETRACT0) || ns_is(c, NS_RETRACT1);
    bool fastening = strcmp(name, "apply-to") == 0 && ns_is(c, NS_FASTEN);
    bool retract = strcmp(name, "retract") == 0 && ns_is(c, NS_RETRACT1);
    if (!fastening && !retract) return false;
    for (xmpp_stanza_t *g = xmpp_stanza_get_children(c); g; g = xmpp_stanza_get_next(g))
        if (xmpp_stanza_is_tag(g) && (ns_is(g, NS_MODERATE0) || ns_is(g, NS_MODERATE1)))
            return true;
    return false;
}

muc_err_t moderation_on_groupchat(room_t *room, occupant_t *occ, xmpp_stanza_t *st,
                                  bool *retraction)
{
    const char *sid = NULL;
    *retraction = false;
    /* a forged moderation is not relayed (moderation_forged): not one */
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(st, "retract", NS_RETRACT1);
    if (r && !moderation_forged(r)) {
        sid = xmpp_stanza_get_id(r);
    } else {
        xmpp_stanza_t *a =
            xmpp_stanza_get_child_by_name_and_ns(st, "apply-to", NS_FASTEN);
        if (a && !moderation_forged(a) &&
            xmpp_stanza_get_child_by_name_and_ns(a, "retract", NS_RETRACT0))
            sid = xmpp_stanza_get_id(a);
    }
    if (!sid || !*sid) return MUC_OK;
    *retraction = true;
    bool archived;
    long hist;
    xmpp_stanza_t *orig = find_original(room, sid, &archived, &hist);
    if (!orig) return MUC_OK;
    const char *oid = occupant_id_of(orig);
    muc_err_t err = MUC_OK;
    if (oid && strcmp(oid, occ->occupant_id) == 0) /* the sender's own */
        err = retract_stored(room, orig, archived, hist, sid, NULL, NULL, NULL);
    xmpp_stanza_release(orig);
    return err;
}
