/* invite.c - mediated invitations and declines (XEP-0045 §7.8.2, §7.8.3)
 * and voice requests (§8.6): non-groupchat messages to the room itself. */
#include <string.h>

#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

#define NS_REQUEST  "http://jabber.org/protocol/muc#request"
#define INVITES_MAX 20

/* Copies <reason/> of src (if any) into dst. */
static void copy_reason(xmpp_stanza_t *dst, xmpp_stanza_t *src)
{
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name(src, "reason");
    xmpp_stanza_t *copy = r ? xmpp_stanza_copy(r) : NULL;
    if (copy) xmpp_stanza_add_child_ex(dst, copy, 0);
}

/* <message from=room to=to><x xmlns=muc#user><NAME from=from/>...</x> */
static xmpp_stanza_t *notice(request_t *req, room_t *room, const char *to,
                             const char *name, const char *from, xmpp_stanza_t *orig,
                             xmpp_stanza_t **x)
{
    xmpp_stanza_t *m = xmpp_message_new(req->ctx, NULL, to, xmpp_stanza_get_id(req->st));
    if (!m) return NULL;
    xmpp_stanza_set_from(m, room->jid);
    *x = stanza_add_child(req->ctx, m, "x", NS_MUC_USER);
    xmpp_stanza_t *el = stanza_add_child(req->ctx, *x, name, NULL);
    xmpp_stanza_set_attribute(el, "from", from);
    copy_reason(el, orig);
    return m;
}

/* The inviter as the invitee may see it: the real bare JID in a
 * non-anonymous room, the occupant JID otherwise (no JID leaks). */
static const char *inviter_address(room_t *room, occupant_t *occ, char *buf)
{
    if (room->cfg.whois_anyone) return occ->bare_jid;
    return muc_occupant_jid(room, occ->nick, buf);
}

static muc_err_t send_invite(request_t *req, room_t *room, occupant_t *occ,
                             xmpp_stanza_t *inv)
{
    jid_t to;
    char bare[JID_MAX_LEN], from[JID_MAX_LEN];
    if (jid_parse(xmpp_stanza_get_attribute(inv, "to"), &to) != 0)
        return ERR_JID_MALFORMED;
    muc_bare_jid(&to, bare);
    affiliation_t aff = room_affiliation(room, bare);
    if (room->cfg.members_only && aff == AFF_NONE) {
        store_aff_t change = {bare, AFF_MEMBER, NULL, NULL};
        persist_state_t ps = {.changes = &change, .nchanges = 1};
        muc_err_t err = persist_room(room, &ps);
        if (err) return err;
        muc_apply_affiliation(room, bare, AFF_MEMBER, NULL, occ->nick, req->out);
    }
    xmpp_stanza_t *x, *m = notice(req, room, xmpp_stanza_get_attribute(inv, "to"),
                                  "invite", inviter_address(room, occ, from), inv, &x);
    if (!m) return ERR_RESOURCE_CONSTRAINT;
    const char *secret = room_password(room);
    if (secret)
        stanza_add_text(req->ctx, stanza_add_child(req->ctx, x, "password", NULL),
                        secret);
    out_send(req->out, m);
    return MUC_OK;
}

static muc_err_t invites(request_t *req, room_t *room, xmpp_stanza_t *x)
{
    occupant_t *occ = room_occupant_by_jid(room, req->from_full);
    if (!occ) return ERR_NOT_ACCEPTABLE;
    if (!muc_may_invite(room, occ)) return ERR_FORBIDDEN;
    int n = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "invite") != 0)
            continue;
        if (++n > INVITES_MAX) return ERR_POLICY_VIOLATION;
        muc_err_t err = send_invite(req, room, occ, c);
        if (err) return err;
    }
    return MUC_OK;
}

/* A decline goes back to the inviter, from the room, naming the decliner.
 * An inviter named by occupant JID (as a semi-anonymous room shows it) gets
 * it at its real JIDs (§7.8.2); no other address of ours is an inviter. */
static muc_err_t decline(request_t *req, room_t *room, xmpp_stanza_t *d)
{
    jid_t to;
    const char *to_s = xmpp_stanza_get_attribute(d, "to");
    if (jid_parse(to_s, &to) != 0) return ERR_JID_MALFORMED;
    occupant_t *inviter = NULL;
    if (jid_domain_eq(to.domain, req->svc->domain)) {
        if (to.local && to.resource && strcmp(to.local, room->name) == 0)
            inviter = room_occupant_by_nick(room, to.resource);
        if (!inviter) return ERR_ITEM_NOT_FOUND;
    }
    char bare[JID_MAX_LEN];
    xmpp_stanza_t *x, *m = notice(req, room, inviter ? NULL : to_s, "decline",
                                  muc_bare_jid(&req->from, bare), d, &x);
    if (!m) return ERR_RESOURCE_CONSTRAINT;
    if (!inviter) {
        out_send(req->out, m);
        return MUC_OK;
    }
    out_bcast_t b;
    out_bcast_begin(&b, req->out, m);
    for (session_t *s = inviter->sessions; s; s = s->next)
        out_bcast_to(&b, s->jid);
    out_bcast_end(&b);
    xmpp_stanza_release(m);
    return MUC_OK;
}

/* §8.6: the request form sent to each moderator. */
static xmpp_stanza_t *voice_form(request_t *req, room_t *room, occupant_t *occ)
{
    xmpp_stanza_t *m = xmpp_message_new(req->ctx, NULL, NULL, NULL);
    if (!m) return NULL;
    xmpp_stanza_set_from(m, room->jid);
    xmpp_stanza_t *x = stanza_add_child(req->ctx, m, "x", NS_DATA);
    xmpp_stanza_set_type(x, "form");
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, x, "title", NULL),
                    "Voice request");
    form_add_value(req->ctx, form_add_field(req->ctx, x, "FORM_TYPE", "hidden", NULL),
                   NS_REQUEST);
    form_add_value(
        req->ctx,
        form_add_field(req->ctx, x, "muc#role", "list-single", "Requested role"),
        "participant");
    form_add_value(req->ctx,
                   form_add_field(req->ctx, x, "muc#jid", "jid-single", "User ID"),
                   occ->sessions->jid);
    form_add_value(
        req->ctx,
        form_add_field(req->ctx, x, "muc#roomnick", "text-single", "Room nickname"),
        occ->nick);
    form_add_value(req->ctx,
                   form_add_field(req->ctx, x, "muc#request_allow", "boolean",
                                  "Grant voice to this person?"),
                   "false");
    return m;
}

static muc_err_t voice_request(request_t *req, room_t *room, occupant_t *occ)
{
    if (occ->role != ROLE_VISITOR) return ERR_NOT_ACCEPTABLE; /* has voice already */
    xmpp_stanza_t *m = voice_form(req, room, occ);
    if (!m) return ERR_RESOURCE_CONSTRAINT;
    out_bcast_t b;
    out_bcast_begin(&b, req->out, m);
    for (occupant_t *o = room->first; o; o = o->next)
        if (o->role == ROLE_MODERATOR)
            for (session_t *s = o->sessions; s; s = s->next)
                out_bcast_to(&b, s->jid);
    out_bcast_end(&b);
    xmpp_stanza_release(m);
    return MUC_OK;
}

/* A moderator's answer: grant voice when muc#request_allow is true. */
static muc_err_t voice_answer(request_t *req, room_t *room, occupant_t *mod,
                              xmpp_stanza_t *x)
{
    char *allow = form_field_text(form_get_field(x, "muc#request_allow"));
    char *nick = form_field_text(form_get_field(x, "muc#roomnick"));
    bool yes = false;
    muc_err_t err = MUC_OK;
    occupant_t *target = nick ? room_occupant_by_nick(room, nick) : NULL;
    if (form_parse_bool(allow, &yes) != 0 || !nick)
        err = ERR_BAD_REQUEST;
    else if (yes && !target)
        err = ERR_ITEM_NOT_FOUND;
    else if (yes)
        err = perm_role_change(room_affiliation(room, mod->bare_jid), mod->role,
                               room_affiliation(room, target->bare_jid), target->role,
                               ROLE_PARTICIPANT);
    if (!err && yes && target->role == ROLE_VISITOR) {
        target->role = ROLE_PARTICIPANT;
        muc_change_t c = {.actor = mod->nick};
        muc_presence_update(room, target, &c, req->out);
    }
    form_free_text(allow);
    form_free_text(nick);
    return err;
}

static muc_err_t voice(request_t *req, room_t *room, xmpp_stanza_t *x)
{
    occupant_t *occ = room_occupant_by_jid(room, req->from_full);
    if (!occ) return ERR_NOT_ACCEPTABLE;
    if (form_get_field(x, "muc#request_allow")) {
        if (occ->role < ROLE_MODERATOR) return ERR_FORBIDDEN;
        return voice_answer(req, room, occ, x);
    }
    return voice_request(req, room, occ);
}

muc_err_t message_to_room_other(request_t *req, room_t *room)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(req->st, "x", NS_MUC_USER);
    if (x && xmpp_stanza_get_child_by_name(x, "invite")) return invites(req, room, x);
    xmpp_stanza_t *d = x ? xmpp_stanza_get_child_by_name(x, "decline") : NULL;
    if (d) return decline(req, room, d);
    xmpp_stanza_t *form = xmpp_stanza_get_child_by_name_and_ns(req->st, "x", NS_DATA);
    char *type = form ? form_type(form) : NULL;
    bool is_request = type && strcmp(type, NS_REQUEST) == 0;
    form_free_text(type);
    if (is_request) return voice(req, room, form);
    return ERR_NOT_ACCEPTABLE; /* only groupchat messages go to the room itself */
}
