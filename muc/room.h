/* room.h - a room, its occupants (each with one or more sessions: the same
 * bare JID under one nick from several resources), affiliations and history.
 * The service owns rooms; a room owns its occupants. */
#ifndef MUCD_ROOM_H
#define MUCD_ROOM_H

#include "muc/ids.h"
#include <stdbool.h>
#include <strophe.h>
#include <time.h>

#include "muc/hash.h"
#include "muc/perm.h"

typedef struct service service_t;
typedef struct room room_t;

typedef struct session {
    struct session *next;
    char *jid;               /* the real full JID */
    xmpp_stanza_t *presence; /* last available presence, MUC elements removed */
    char *payload_xml;       /* its payload serialized (presence.c), or NULL */
} session_t;

typedef struct occupant {
    struct occupant *prev, *next; /* join order */
    char *nick;
    char *bare_jid;
    role_t role;
    session_t *sessions; /* never empty while in the room; first = primary */
    char occupant_id[IDS_OCCUPANT_ID_SIZE]; /* XEP-0421, from the room secret */
    float msg_tokens;    /* [limits] message rate: the bucket (message.c) */
    long long msg_at_ms; /* when it was last filled */
} occupant_t;

typedef struct history_entry {
    xmpp_stanza_t *msg; /* the broadcast message: from room/nick, no to */
    time_t stamp;
} history_entry_t;

/* Who may send private messages (muc#roomconfig_allowpm). */
typedef enum { PM_ANYONE, PM_PARTICIPANTS, PM_MODERATORS, PM_NONE } pm_policy_t;

/* A room's configuration. Each field belongs to one feature file
 * (muc/feat_*.c) that renders it in the owner form and parses it back. */
typedef struct room_config {
    char *title;       /* muc#roomconfig_roomname */
    char *description; /* muc#roomconfig_roomdesc */
    char *lang;        /* muc#roomconfig_lang */
    char *contacts;    /* muc#roomconfig_contactjid, space separated */
    bool persistent;
    bool public_list;
    bool members_only;
    bool moderated;
    bool whois_anyone; /* non-anonymous: everyone sees real JIDs */
    bool change_subject;
    bool allow_invites;
    pm_policy_t allow_pm;
    bool password_protected;
    char *password;
    int max_users; /* 0: the service's cap */
    int history_length;
    bool archive; /* muc#roomconfig_enablearchiving (feat_archive.c); only
                     persistent rooms archive */
} room_config_t;

/* Deep copy of src into dst (which is overwritten); 0 or -1 (memory). */
int room_config_copy(room_config_t *dst, const room_config_t *src);
/* Frees the strings of cfg. */
void room_config_clear(room_config_t *cfg);
/* The password a joiner must give, or NULL. */
const char *room_password(const room_t *room);

typedef struct room {
    service_t *svc;
    char *name; /* localpart */
    char *jid;  /* name@domain */
    room_config_t cfg;
    bool locked; /* created, not yet configured: only the owner may enter */
    char *subject;
    char *subject_nick;                   /* who set it, NULL: the room */
    char *creator;                        /* bare JID that created it (limits), or NULL */
    unsigned char secret[IDS_SECRET_LEN]; /* keys occupant ids (ids.c) */
    occupant_t *first, *last;
    hash_t *by_nick;          /* nick -> occupant */
    hash_t *by_jid;           /* real full JID -> occupant */
    hash_t *affiliations;     /* bare JID -> (intptr_t)affiliation + 2 */
    history_entry_t *history; /* ring of cfg.history_length entries */
    size_t history_cap, history_head, history_count;
    bool history_dirty;               /* history changed since it was last stored */
    unsigned long long history_batch; /* 1 + the archive batch of the newest entry */
    bool history_in_archive;          /* not read yet: persist_history_ensure reads it */
    char *avatar;         /* the room's vCard as XML (feat_avatar.c), or NULL */
    char avatar_hash[41]; /* SHA-1 hex of its PHOTO, "" without one */
} room_t;

/* Creates an empty room named `name` (localpart) on svc; NULL when out of
 * memory. The caller (the service registry) owns it: room_free. */
room_t *room_new(service_t *svc, const char *name);
void room_free(room_t *room);

affiliation_t room_affiliation(const room_t *room, const char *bare_jid);
int room_set_affiliation(room_t *room, const char *bare_jid, affiliation_t aff);

occupant_t *room_occupant_by_nick(const room_t *room, const char *nick);
occupant_t *room_occupant_by_jid(const room_t *room, const char *full_jid);
size_t room_occupant_count(const room_t *room);

/* Adds a new occupant with one session (full_jid, presence BORROWED and
 * cloned). Returns it, or NULL when out of memory. */
occupant_t *room_occupant_add(room_t *room, const char *nick, const char *bare_jid,
                              const char *full_jid, role_t role, xmpp_stanza_t *presence);
/* Adds a session to an existing occupant; 0 or -1 (out of memory). */
int room_session_add(room_t *room, occupant_t *occ, const char *full_jid,
                     xmpp_stanza_t *presence);
/* Replaces a session's stored presence (borrowed, cloned). */
void room_session_set_presence(session_t *s, xmpp_stanza_t *presence);
session_t *occupant_session(const occupant_t *occ, const char *full_jid);
/* Removes one session; when it was the last, removes and frees the occupant
 * and returns true. */
bool room_session_remove(room_t *room, occupant_t *occ, const char *full_jid);
/* Renames an occupant; 0 or -1 (out of memory). */
int room_occupant_rename(room_t *room, occupant_t *occ, const char *nick);

/* History: appends msg (borrowed, cloned); drops the oldest beyond the cap. */
void room_history_add(room_t *room, xmpp_stanza_t *msg, time_t stamp);
/* Resizes the ring to n entries, keeping the newest. */
void room_history_resize(room_t *room, int n);
/* The i-th oldest retained entry, 0 <= i < history_count. */
history_entry_t *room_history_at(room_t *room, size_t i);

/* Sets the subject (copied; NULL or "" clears) and who set it. */
void room_set_subject(room_t *room, const char *subject, const char *nick);

#endif
