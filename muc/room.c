/* room.c - room state: occupants, sessions, affiliations, history, subject. */
#include "muc/room.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/service.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

room_t *room_new(service_t *svc, const char *name)
{
    room_t *room = calloc(1, sizeof *room);
    if (!room) return NULL;
    room->svc = svc;
    room->name = strdup(name);
    size_t n = strlen(name) + strlen(svc->domain) + 2;
    room->jid = malloc(n);
    room->by_nick = hash_new();
    room->by_jid = hash_new();
    room->affiliations = hash_new();
    if (!room->name || !room->jid || !room->by_nick || !room->by_jid ||
        !room->affiliations) {
        room_free(room);
        return NULL;
    }
    snprintf(room->jid, n, "%s@%s", name, svc->domain);
    ids_random(room->secret, sizeof room->secret); /* a stored room's replaces it */
    if (room_config_copy(&room->cfg, &svc->room_defaults) != 0) {
        room_free(room);
        return NULL;
    }
    room_history_resize(room, room->cfg.history_length);
    return room;
}

static void session_free(session_t *s)
{
    if (s->presence) xmpp_stanza_release(s->presence);
    free(s->payload_xml);
    free(s->jid);
    free(s);
}

static void occupant_free(occupant_t *occ)
{
    for (session_t *s = occ->sessions, *next; s; s = next) {
        next = s->next;
        session_free(s);
    }
    free(occ->nick);
    free(occ->bare_jid);
    free(occ);
}

void room_free(room_t *room)
{
    if (!room) return;
    for (occupant_t *o = room->first, *next; o; o = next) {
        next = o->next;
        occupant_free(o);
    }
    room_history_resize(room, 0);
    hash_free(room->by_nick);
    hash_free(room->by_jid);
    hash_free(room->affiliations);
    room_config_clear(&room->cfg);
    free(room->subject);
    free(room->subject_nick);
    free(room->creator);
    free(room->avatar);
    free(room->name);
    free(room->jid);
    free(room);
}

affiliation_t room_affiliation(const room_t *room, const char *bare_jid)
{
    if (service_is_admin(room->svc, bare_jid)) return AFF_OWNER;
    intptr_t v = (intptr_t)hash_get(room->affiliations, bare_jid);
    return v ? (affiliation_t)(v - 2) : AFF_NONE;
}

int room_set_affiliation(room_t *room, const char *bare_jid, affiliation_t aff)
{
    if (aff == AFF_NONE) {
        hash_remove(room->affiliations, bare_jid);
        return 0;
    }
    return hash_put(room->affiliations, bare_jid, (void *)(intptr_t)(aff + 2));
}

occupant_t *room_occupant_by_nick(const room_t *room, const char *nick)
{
    return hash_get(room->by_nick, nick);
}

occupant_t *room_occupant_by_jid(const room_t *room, const char *full_jid)
{
    return hash_get(room->by_jid, full_jid);
}

size_t room_occupant_count(const room_t *room)
{
    return hash_count(room->by_nick);
}

static session_t *session_new(const char *full_jid, xmpp_stanza_t *presence)
{
    session_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->jid = strdup(full_jid);
    if (!s->jid) {
        free(s);
        return NULL;
    }
    s->presence = presence ? xmpp_stanza_clone(presence) : NULL;
    return s;
}

occupant_t *room_occupant_add(room_t *room, const char *nick, const char *bare_jid,
                              const char *full_jid, role_t role, xmpp_stanza_t *presence)
{
    occupant_t *occ = calloc(1, sizeof *occ);
    if (!occ) return NULL;
    occ->nick = strdup(nick);
    occ->bare_jid = strdup(bare_jid);
    occ->role = role;
    ids_occupant_id(room->secret, bare_jid, occ->occupant_id);
    occ->sessions = session_new(full_jid, presence);
    if (!occ->nick || !occ->bare_jid || !occ->sessions ||
        hash_put(room->by_nick, nick, occ) != 0) {
        occupant_free(occ);
        return NULL;
    }
    if (hash_put(room->by_jid, full_jid, occ) != 0) {
        hash_remove(room->by_nick, nick);
        occupant_free(occ);
        return NULL;
    }
    occ->prev = room->last;
    if (room->last)
        room->last->next = occ;
    else
        room->first = occ;
    room->last = occ;
    return occ;
}

int room_session_add(room_t *room, occupant_t *occ, const char *full_jid,
                     xmpp_stanza_t *presence)
{
    session_t *s = session_new(full_jid, presence);
    if (!s || hash_put(room->by_jid, full_jid, occ) != 0) {
        if (s) session_free(s);
        return -1;
    }
    s->next = occ->sessions;
    occ->sessions = s; /* the newest session speaks for the occupant */
    return 0;
}

void room_session_set_presence(session_t *s, xmpp_stanza_t *presence)
{
    xmpp_stanza_t *copy = xmpp_stanza_clone(presence);
    if (s->presence) xmpp_stanza_release(s->presence);
    s->presence = copy;
    free(s->payload_xml); /* stale */
    s->payload_xml = NULL;
}

session_t *occupant_session(const occupant_t *occ, const char *full_jid)
{
    for (session_t *s = occ->sessions; s; s = s->next)
        if (strcmp(s->jid, full_jid) == 0) return s;
    return NULL;
}

bool room_session_remove(room_t *room, occupant_t *occ, const char *full_jid)
{
    for (session_t **p = &occ->sessions; *p; p = &(*p)->next) {
        if (strcmp((*p)->jid, full_jid) != 0) continue;
        session_t *s = *p;
        *p = s->next;
        hash_remove(room->by_jid, full_jid);
        session_free(s);
        break;
    }
    if (occ->sessions) return false;
    hash_remove(room->by_nick, occ->nick);
    if (occ->prev)
        occ->prev->next = occ->next;
    else
        room->first = occ->next;
    if (occ->next)
        occ->next->prev = occ->prev;
    else
        room->last = occ->prev;
    occupant_free(occ);
    return true;
}

int room_occupant_rename(room_t *room, occupant_t *occ, const char *nick)
{
    char *copy = strdup(nick);
    if (!copy || hash_put(room->by_nick, nick, occ) != 0) {
        free(copy);
        return -1;
    }
    hash_remove(room->by_nick, occ->nick);
    free(occ->nick);
    occ->nick = copy;
    return 0;
}

history_entry_t *room_history_at(room_t *room, size_t i)
{
    size_t oldest = (room->history_head + room->history_cap - room->history_count);
    return &room->history[(oldest + i) % room->history_cap];
}

void room_history_add(room_t *room, xmpp_stanza_t *msg, time_t stamp)
{
    if (room->history_cap == 0) return;
    history_entry_t *e = &room->history[room->history_head];
    if (e->msg) xmpp_stanza_release(e->msg);
    e->msg = xmpp_stanza_clone(msg);
    e->stamp = stamp;
    room->history_head = (room->history_head + 1) % room->history_cap;
    room->history_dirty = true;
    room->history_batch = room->svc->batch_no + 1; /* service_commit */
    if (room->history_count < room->history_cap) room->history_count++;
}

void room_history_resize(room_t *room, int n)
{
    size_t cap = n > 0 ? (size_t)n : 0;
    history_entry_t *ring = cap ? calloc(cap, sizeof *ring) : NULL;
    if (cap && !ring) return; /* keep the old ring */
    size_t keep = room->history_count < cap ? room->history_count : cap;
    size_t skip = room->history_count - keep;
    for (size_t i = 0; i < room->history_count; i++) {
        history_entry_t *e = room_history_at(room, i);
        if (i >= skip)
            ring[i - skip] = *e;
        else
            xmpp_stanza_release(e->msg);
    }
    free(room->history);
    room->history = ring;
    room->history_cap = cap;
    room->history_count = keep;
    room->history_head = cap ? keep % cap : 0;
}

void room_set_subject(room_t *room, const char *subject, const char *nick)
{
    free(room->subject);
    free(room->subject_nick);
    room->subject = (subject && *subject) ? strdup(subject) : NULL;
    room->subject_nick = room->subject ? dup_or_null(nick) : NULL;
}

int room_config_copy(room_config_t *dst, const room_config_t *src)
{
    *dst = *src;
    char **strs[] = {&dst->title, &dst->description, &dst->lang, &dst->contacts,
                     &dst->password};
    int rc = 0;
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (*strs[i] && !(*strs[i] = strdup(*strs[i]))) rc = -1;
    }
    if (rc) room_config_clear(dst);
    return rc;
}

void room_config_clear(room_config_t *cfg)
{
    free(cfg->title);
    free(cfg->description);
    free(cfg->lang);
    free(cfg->contacts);
    free(cfg->password);
    cfg->title = cfg->description = cfg->lang = cfg->contacts = cfg->password = NULL;
}

const char *room_password(const room_t *room)
{
    const char *p = room->cfg.password;
    return (room->cfg.password_protected && p && *p) ? p : NULL;
}
