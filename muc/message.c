/* message.c - groupchat messages, subject changes and private messages
 * (XEP-0045 §7.4, §7.5, §8.1). */
#include <string.h>
#include <strings.h>

#include "muc/archive.h"
#include "muc/handlers.h"
#include "muc/limits.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* The sender's occupant in the addressed room, or NULL. */
static occupant_t *sender_in(request_t *req, room_t **room)
{
    *room = service_room(req->svc, req->to.local);
    return *room ? room_occupant_by_jid(*room, req->from_full) : NULL;
}

/* Whether a message child may be relayed: what speaks for the room is the
 * room's to add, so a sender's own would be a forgery — muc#user content
 * (items with real JIDs, status codes), occupant ids, hats, stanza ids by
 * the room, and moderation (feat_moderation.c). */
static bool relayable(xmpp_stanza_t *c, void *room_jid)
{
    if (!xmpp_stanza_is_tag(c)) return true;
    const char *ns = xmpp_stanza_get_ns(c);
    if (!ns) return true;
    if (strcmp(ns, NS_OCCUPANT_ID) == 0 || strcmp(ns, NS_HATS) == 0) return false;
    if (moderation_forged(c)) return false;
    if (strcmp(ns, NS_MUC_USER) == 0) return strcmp(xmpp_stanza_get_name(c), "x") != 0;
    if (strcmp(ns, NS_SID) == 0) {
        const char *by = xmpp_stanza_get_attribute(c, "by");
        return !(by && strcasecmp(by, room_jid) == 0);
    }
    return true;
}

/* A copy of the incoming message as the room relays it: from the sender's
 * occupant JID with its occupant id (XEP-0421), no 'to' yet (+1). */
static xmpp_stanza_t *relay_copy(room_t *room, occupant_t *from, xmpp_stanza_t *st)
{
    xmpp_stanza_t *m = stanza_copy_filtered(st, relayable, room->jid);
    if (!m) return NULL;
    char jid[JID_MAX_LEN];
    xmpp_stanza_set_from(m, muc_occupant_jid(room, from->nick, jid));
    xmpp_stanza_del_attribute(m, "to");
    stanza_fix_lang(m);
    stanza_strip_own_ns(m); /* the router dropped its children's already */
    xmpp_stanza_t *oid =
        stanza_add_child(room->svc->ctx, m, "occupant-id", NS_OCCUPANT_ID);
    if (oid) xmpp_stanza_set_id(oid, from->occupant_id);
    return m;
}

/* Tags a groupchat message with a new stanza id by the room (XEP-0359),
 * the same in every copy and in the history. */
static void add_stanza_id(room_t *room, xmpp_stanza_t *m, char id[IDS_STANZA_ID_SIZE])
{
    ids_stanza_id(id);
    xmpp_stanza_t *sid = stanza_add_child(room->svc->ctx, m, "stanza-id", NS_SID);
    if (!sid) return;
    xmpp_stanza_set_attribute(sid, "by", room->jid);
    xmpp_stanza_set_id(sid, id);
}

static muc_err_t change_subject(request_t *req, room_t *room, occupant_t *occ,
                                xmpp_stanza_t *subject)
{
    if (!muc_may_change_subject(room, occ)) return ERR_FORBIDDEN;
    xmpp_stanza_t *m = relay_copy(room, occ, req->st);
    if (!m) return ERR_INTERNAL_SERVER_ERROR;
    char sid[IDS_STANZA_ID_SIZE];
    add_stanza_id(room, m, sid);
    char *xml = NULL;
    size_t len = 0;
    muc_err_t err =
        xmpp_stanza_to_text(m, &xml, &len) == 0 ? MUC_OK : ERR_RESOURCE_CONSTRAINT;
    /* archived first: if the room record then fails, the archive holds a
     * change nobody saw (never the reverse) */
    if (!err) err = archive_append(req, room, occ->nick, req->from_full, xml, len, sid);
    char *text = err ? NULL : xmpp_stanza_get_text(subject);
    persist_state_t ps = {
        .subject = text, .subject_nick = occ->nick, .set_subject = true};
    if (!err) err = persist_room(room, &ps);
    if (!err) room_set_subject(room, text, occ->nick);
    if (text) xmpp_free(req->ctx, text);
    if (!err) muc_broadcast_text(room, xml, len, req->out);
    if (xml) xmpp_free(req->ctx, xml);
    xmpp_stanza_release(m);
    return err;
}

static muc_err_t groupchat(request_t *req)
{
    room_t *room;
    occupant_t *occ = sender_in(req, &room);
    if (!occ) return ERR_NOT_ACCEPTABLE;
    if (occ->role < ROLE_PARTICIPANT) return ERR_FORBIDDEN; /* a visitor has no voice */
    muc_err_t err = limits_may_send(req, occ);
    if (err) return err;
    xmpp_stanza_t *subject = xmpp_stanza_get_child_by_name(req->st, "subject");
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(req->st, "body");
    if (subject && !body) return change_subject(req, room, occ, subject);
    xmpp_stanza_t *m = relay_copy(room, occ, req->st);
    if (!m) return ERR_INTERNAL_SERVER_ERROR;
    char sid[IDS_STANZA_ID_SIZE];
    add_stanza_id(room, m, sid);
    bool retraction;
    if (moderation_on_groupchat(room, occ, req->st, &retraction) != MUC_OK) {
        xmpp_stanza_release(m); /* the retraction failed: relay nothing */
        return ERR_RESOURCE_CONSTRAINT;
    }
    /* the history read before the append (which the archive's reads see) */
    persist_history_ensure(room);
    /* serialized once: the archive record and every copy are this text */
    char *xml = NULL;
    size_t len = 0;
    err = xmpp_stanza_to_text(m, &xml, &len) == 0 ? MUC_OK : ERR_RESOURCE_CONSTRAINT;
    /* archived: what has a body, and retractions (a client catching up
     * applies them to the copies it has) */
    if (!err && (body || retraction))
        err = archive_append(req, room, occ->nick, req->from_full, xml, len, sid);
    if (!err) { /* stored before shown: else nothing is broadcast */
        muc_broadcast_text(room, xml, len, req->out);
        if (body) room_history_add(room, m, req->svc->now());
    }
    if (xml) xmpp_free(req->ctx, xml);
    xmpp_stanza_release(m);
    return err;
}

muc_err_t message_to_room(request_t *req)
{
    if (stanza_type_is(req->st, "groupchat")) return groupchat(req);
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    return message_to_room_other(req, room);
}

/* A private message to one occupant: delivered to each of its sessions. */
muc_err_t message_to_occupant(request_t *req)
{
    if (stanza_type_is(req->st, "groupchat")) return ERR_BAD_REQUEST;
    room_t *room;
    occupant_t *occ = sender_in(req, &room);
    if (!room) return ERR_ITEM_NOT_FOUND;
    if (!occ) return ERR_NOT_ACCEPTABLE;
    occupant_t *target = room_occupant_by_nick(room, req->to.resource);
    if (!target) return ERR_ITEM_NOT_FOUND;
    if (!muc_may_send_pm(room, occ)) return ERR_FORBIDDEN;
    muc_err_t err = limits_may_send(req, occ);
    if (err) return err;
    xmpp_stanza_t *m = relay_copy(room, occ, req->st);
    if (!m) return ERR_INTERNAL_SERVER_ERROR;
    stanza_add_child(req->ctx, m, "x", NS_MUC_USER); /* relay_copy removed any */
    out_bcast_t b;
    out_bcast_begin(&b, req->out, m);
    for (session_t *s = target->sessions; s; s = s->next)
        out_bcast_to(&b, s->jid);
    out_bcast_end(&b);
    xmpp_stanza_release(m);
    return MUC_OK;
}
