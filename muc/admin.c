/* admin.c - muc#admin: role and affiliation lists and changes (XEP-0045
 * §8 moderator, §9 admin, §10 owner use cases). A set applies atomically:
 * every item is checked against the privilege tables (perm.c) first; one
 * refusal refuses the whole set and changes nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/log.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

#define ADMIN_MAX_ITEMS 256

typedef struct change {
    bool is_role;
    occupant_t *target; /* role change */
    char bare[JID_MAX_LEN];
    affiliation_t aff;
    role_t role;
    char *reason; /* xmpp_free'd */
} change_t;

typedef struct actor {
    affiliation_t aff;
    role_t role;
    const char *nick;                /* NULL if not present; points into nick_buf */
    char nick_buf[JID_PART_MAX + 1]; /* a copy: the set may remove the actor */
} actor_t;

static void actor_of(request_t *req, room_t *room, actor_t *a)
{
    char bare[JID_MAX_LEN];
    occupant_t *occ = room_occupant_by_jid(room, req->from_full);
    a->aff = room_affiliation(room, muc_bare_jid(&req->from, bare));
    a->role = ROLE_NONE;
    a->nick = NULL;
    if (occ) {
        a->role = occ->role;
        snprintf(a->nick_buf, sizeof a->nick_buf, "%s", occ->nick);
        a->nick = a->nick_buf;
    }
    if (a->aff >= AFF_ADMIN) a->role = ROLE_MODERATOR; /* admins moderate from anywhere */
}

/* Parses and checks one <item/> into c. */
static muc_err_t parse_item(room_t *room, const actor_t *a, xmpp_stanza_t *item,
                            change_t *c, const char **why)
{
    const char *role = xmpp_stanza_get_attribute(item, "role");
    const char *aff = xmpp_stanza_get_attribute(item, "affiliation");
    if (!role == !aff) return ERR_BAD_REQUEST;
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name(item, "reason");
    c->reason = r ? xmpp_stanza_get_text(r) : NULL;
    if (role) {
        const char *nick = xmpp_stanza_get_attribute(item, "nick");
        c->is_role = true;
        if (role_parse(role, &c->role) != 0) return ERR_BAD_REQUEST;
        if (!nick || !(c->target = room_occupant_by_nick(room, nick))) {
            *why = "no such occupant";
            return ERR_ITEM_NOT_FOUND;
        }
        return perm_role_change(a->aff, a->role,
                                room_affiliation(room, c->target->bare_jid),
                                c->target->role, c->role);
    }
    jid_t j;
    if (affiliation_parse(aff, &c->aff) != 0) return ERR_BAD_REQUEST;
    if (jid_parse(xmpp_stanza_get_attribute(item, "jid"), &j) != 0)
        return ERR_JID_MALFORMED;
    muc_bare_jid(&j, c->bare);
    return perm_affiliation_change(a->aff, room_affiliation(room, c->bare), c->aff);
}

/* Owners left once the changes apply: a room keeps at least one. */
static bool leaves_no_owner(room_t *room, change_t *cs, size_t n)
{
    size_t owners = 0;
    for (hash_iter_t it = hash_iter(room->affiliations); hash_next(&it);)
        if ((intptr_t)it.value - 2 == AFF_OWNER) owners++;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].is_role) continue;
        bool was = room_affiliation(room, cs[i].bare) == AFF_OWNER &&
                   !service_is_admin(room->svc, cs[i].bare);
        bool dup = false;
        for (size_t k = 0; k < i; k++)
            if (!cs[k].is_role && strcmp(cs[k].bare, cs[i].bare) == 0) dup = true;
        if (dup) continue;
        if (was && cs[i].aff != AFF_OWNER) owners--;
        if (!was && cs[i].aff == AFF_OWNER) owners++;
    }
    return owners == 0;
}

/* The role an occupant has after its affiliation changed from old to new. */
static role_t role_after(room_t *room, occupant_t *o, affiliation_t old,
                         affiliation_t now)
{
    role_t def = perm_default_role(now, room->cfg.moderated);
    if (now > old) return o->role > def ? o->role : def;
    return o->role < def ? o->role : def;
}

void muc_apply_affiliation(room_t *room, const char *bare, affiliation_t aff,
                           const char *reason, const char *actor, out_sink_t *out)
{
    affiliation_t old = room_affiliation(room, bare);
    room_set_affiliation(room, bare, aff);
    static const int banned[] = {STATUS_BANNED, 0}, lost[] = {STATUS_AFFILIATION_LOST, 0};
    for (occupant_t *o = room->first, *next; o; o = next) {
        next = o->next;
        if (strcmp(o->bare_jid, bare) != 0) continue;
        muc_change_t c = {.reason = reason, .actor = actor};
        if (aff == AFF_OUTCAST || (room->cfg.members_only && aff < AFF_MEMBER)) {
            c.codes = aff == AFF_OUTCAST ? banned : lost;
            muc_presence_remove(room, o, &c, out);
            continue;
        }
        o->role = role_after(room, o, old, aff);
        muc_presence_update(room, o, &c, out);
    }
}

static void apply_role(room_t *room, change_t *c, const actor_t *a, out_sink_t *out)
{
    static const int kicked[] = {STATUS_KICKED, 0};
    muc_change_t ch = {.reason = c->reason, .actor = a->nick};
    if (c->role == ROLE_NONE) {
        ch.codes = kicked;
        muc_presence_remove(room, c->target, &ch, out);
        return;
    }
    c->target->role = c->role;
    muc_presence_update(room, c->target, &ch, out);
}

static void free_changes(request_t *req, change_t *cs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cs[i].reason) xmpp_free(req->ctx, cs[i].reason);
    free(cs);
}

/* The bare JID a change is about. */
static const char *subject_of(const change_t *c)
{
    return c->is_role ? c->target->bare_jid : c->bare;
}

/* Checks every item; returns the first refusal. */
static muc_err_t parse_items(request_t *req, room_t *room, const actor_t *a, change_t *cs,
                             size_t *n, const char **why)
{
    for (xmpp_stanza_t *it = xmpp_stanza_get_children(req->payload); it;
         it = xmpp_stanza_get_next(it)) {
        if (!xmpp_stanza_is_tag(it) || strcmp(xmpp_stanza_get_name(it), "item") != 0)
            continue;
        if (*n == ADMIN_MAX_ITEMS) return ERR_POLICY_VIOLATION;
        muc_err_t err = parse_item(room, a, it, &cs[(*n)++], why);
        if (err) return err;
    }
    if (*n == 0) return ERR_BAD_REQUEST;
    /* one change per person: a role and an affiliation change (or two of a
     * kind) for the same user would be ambiguous, and one may remove the
     * occupant the other changes */
    for (size_t i = 0; i < *n; i++)
        for (size_t k = i + 1; k < *n; k++)
            if (strcmp(subject_of(&cs[i]), subject_of(&cs[k])) == 0) {
                *why = "Several changes for the same user";
                return ERR_BAD_REQUEST;
            }
    if (leaves_no_owner(room, cs, *n)) {
        *why = "A room needs at least one owner";
        return ERR_CONFLICT;
    }
    return MUC_OK;
}

/* Stores the affiliation changes of a set before any is applied. */
static muc_err_t persist_changes(room_t *room, const change_t *cs, size_t n)
{
    store_aff_t *pc = calloc(n ? n : 1, sizeof *pc);
    if (!pc) return ERR_RESOURCE_CONSTRAINT;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!cs[i].is_role)
            pc[k++] = (store_aff_t){(char *)cs[i].bare, cs[i].aff, cs[i].reason, NULL};
    persist_state_t ps = {.changes = pc, .nchanges = k};
    muc_err_t err = k ? persist_room(room, &ps) : MUC_OK;
    free(pc);
    return err;
}

muc_err_t admin_set(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    actor_t a;
    actor_of(req, room, &a);
    change_t *cs = calloc(ADMIN_MAX_ITEMS, sizeof *cs);
    if (!cs) return ERR_RESOURCE_CONSTRAINT;
    size_t n = 0;
    const char *why = NULL;
    muc_err_t err = parse_items(req, room, &a, cs, &n, &why);
    if (!err) err = persist_changes(room, cs, n);
    if (err) {
        out_send(req->out, muc_err_reply(req->ctx, req->st, err, why));
        free_changes(req, cs, n);
        return MUC_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (cs[i].is_role)
            apply_role(room, &cs[i], &a, req->out);
        else
            muc_apply_affiliation(room, cs[i].bare, cs[i].aff, cs[i].reason, a.nick,
                                  req->out);
    }
    free_changes(req, cs, n);
    out_send(req->out, request_iq_result(req));
    muc_room_drop_if_empty(room);
    return MUC_OK;
}

static void list_affiliation(request_t *req, room_t *room, xmpp_stanza_t *q,
                             affiliation_t aff)
{
    for (hash_iter_t it = hash_iter(room->affiliations); hash_next(&it);) {
        if ((affiliation_t)((intptr_t)it.value - 2) != aff) continue;
        xmpp_stanza_t *item = stanza_add_child(req->ctx, q, "item", NULL);
        xmpp_stanza_set_attribute(item, "affiliation", affiliation_name(aff));
        xmpp_stanza_set_attribute(item, "jid", it.key);
    }
}

static void list_role(request_t *req, room_t *room, xmpp_stanza_t *q, role_t role,
                      const actor_t *a)
{
    bool jids = room->cfg.whois_anyone || a->role >= ROLE_MODERATOR;
    for (occupant_t *o = room->first; o; o = o->next) {
        if (o->role != role) continue;
        xmpp_stanza_t *item = stanza_add_child(req->ctx, q, "item", NULL);
        xmpp_stanza_set_attribute(item, "role", role_name(role));
        xmpp_stanza_set_attribute(item, "nick", o->nick);
        xmpp_stanza_set_attribute(item, "affiliation",
                                  affiliation_name(room_affiliation(room, o->bare_jid)));
        if (jids) xmpp_stanza_set_attribute(item, "jid", o->bare_jid);
    }
}

muc_err_t admin_get(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    actor_t a;
    actor_of(req, room, &a);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(req->payload, "item");
    const char *affs = item ? xmpp_stanza_get_attribute(item, "affiliation") : NULL;
    const char *roles = item ? xmpp_stanza_get_attribute(item, "role") : NULL;
    affiliation_t aff;
    role_t role;
    if (affs ? affiliation_parse(affs, &aff) != 0
             : (!roles || role_parse(roles, &role) != 0))
        return ERR_BAD_REQUEST;
    if (affs ? a.aff < AFF_ADMIN : a.role < ROLE_MODERATOR) return ERR_FORBIDDEN;
    if (affs && aff == AFF_NONE) return ERR_BAD_REQUEST; /* not a list */
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_MUC_ADMIN);
    if (affs)
        list_affiliation(req, room, q, aff);
    else
        list_role(req, room, q, role, &a);
    out_send(req->out, res);
    return MUC_OK;
}
