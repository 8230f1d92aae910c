/* storage.h - the persistent store behind an interface (LMDB inside).
 * Nothing LMDB-specific leaks out of storage/: records are plain structs,
 * every string handed out is a copy the caller frees. */
#ifndef MUCD_STORAGE_H
#define MUCD_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

/* The on-disk schema version this build reads and writes. */
#define STORE_SCHEMA_VERSION 1

typedef enum {
    STORE_OK = 0,
    STORE_ERR_IO = -1,       /* cannot create/open, or an LMDB failure */
    STORE_ERR_VERSION = -2,  /* written by a newer or unknown mucd */
    STORE_ERR_FULL = -3,     /* the map is full (MDB_MAP_FULL) */
    STORE_ERR_NOTFOUND = -4, /* no such record */
    STORE_ERR_CORRUPT = -5,  /* a record that does not decode */
} store_rc_t;

/* A persistent room's configuration and subject (the codec's record). */
typedef struct store_room {
    char *name; /* localpart */
    char *title, *description, *lang, *contacts, *password;
    char *subject, *subject_nick;
    bool persistent, public_list, members_only, moderated, whois_anyone;
    bool change_subject, allow_invites, password_protected;
    int allow_pm, max_users, history_length;
    char *creator; /* bare JID that created the room, or NULL (record v1) */
    char *secret;  /* hex key of its occupant ids, or NULL (records v1, v2) */
    int archive;   /* XEP-0313 archive: 1 on, -1 off, 0 the service's default
                      (records v1-v3) */
} store_room_t;

/* One affiliation: room + bare JID -> affiliation (-1 outcast .. 3 owner;
 * 0 "none" deletes), with an optional reason and reserved nick. */
typedef struct store_aff {
    char *jid;
    int affiliation;
    char *reason;
    char *nick;
} store_aff_t;

/* A public room in the ordered disco index. */
typedef struct store_listed {
    char *name;  /* localpart: the index key */
    char *title; /* may be NULL */
} store_listed_t;

/* Opens (creating if needed) the store in directory dir with a map of
 * map_size bytes, and checks the schema version. read_only opens it for a
 * reader beside a running mucd. On success *out is a new store the caller
 * closes with store_close. On failure returns a negative store_rc_t and a
 * message in err. */
store_rc_t store_open(const char *dir, size_t map_size, bool read_only, store_t **out,
                      char *err, size_t errlen);

/* Closes the environment; safe with NULL. */
void store_close(store_t *st);

/* The message of the last failure (static storage of the store). */
const char *store_last_error(const store_t *st);

/* Saves a room in ONE write transaction: its record, its place in the
 * public index (listed iff public_list), and the affiliation changes
 * (affiliation 0 deletes the entry). On MDB_MAP_FULL nothing is written
 * and STORE_ERR_FULL is returned. */
store_rc_t store_room_save(store_t *st, const store_room_t *room,
                           const store_aff_t *changes, size_t nchanges);

/* The same, with the room's vCard blob (see store_avatar_save; NULL/0:
 * left as it is) written in that transaction too: a room becoming
 * persistent takes its avatar along. */
store_rc_t store_room_save_avatar(store_t *st, const store_room_t *room,
                                  const store_aff_t *changes, size_t nchanges,
                                  const void *avatar, size_t avatar_len);

/* Imports many rooms (records only, no affiliations) in ONE transaction;
 * for tools (benchmarks, migrations). */
store_rc_t store_rooms_import(store_t *st, const store_room_t *rooms, size_t n);

/* Loads a room and all its affiliations. *room and *affs (an array of
 * *naffs) are owned by the caller: store_room_clear / store_affs_free. */
store_rc_t store_room_load(store_t *st, const char *name, store_room_t *room,
                           store_aff_t **affs, size_t *naffs);

/* Whether a room is stored (a cheap read). */
bool store_room_exists(store_t *st, const char *name);

/* Deletes a room, its affiliations, history, vCard and index entry in one
 * transaction. */
store_rc_t store_room_delete(store_t *st, const char *name);

/* Stores / loads a room's discussion history as one opaque blob (the
 * caller's encoding). A NULL/empty blob deletes it. Loaded data: free(). */
store_rc_t store_history_save(store_t *st, const char *name, const void *data,
                              size_t len);
store_rc_t store_history_load(store_t *st, const char *name, void **data, size_t *len);

/* Stores / loads a room's vCard (its avatar, XEP-0054) as one opaque blob
 * in its own database, written in its own short transaction (the caller's
 * encoding). A NULL/empty blob deletes it; STORE_ERR_FULL on a full map
 * (nothing written). Loaded data: free(); STORE_ERR_NOTFOUND: none. */
store_rc_t store_avatar_save(store_t *st, const char *name, const void *data, size_t len);
store_rc_t store_avatar_load(store_t *st, const char *name, void **data, size_t *len);

/* Pages through the public index in name order. after (exclusive) or
 * before (exclusive; "" = from the end) may be NULL; skip entries first
 * (for RSM index). Fills up to max entries into out (caller frees with
 * store_listed_free) and returns how many in *n. */
store_rc_t store_public_page(store_t *st, const char *after, const char *before,
                             size_t skip, size_t max, store_listed_t *out, size_t *n);
/* Number of entries in the public index, and whether name is in it. */
store_rc_t store_public_count(store_t *st, size_t *count);
bool store_public_has(store_t *st, const char *name);

/* Iterates every stored room in name order, from `after` (exclusive, NULL:
 * the start), calling fn until it returns false or max rooms were given. */
typedef bool (*store_room_fn)(const store_room_t *room, void *ud);
store_rc_t store_room_iterate(store_t *st, const char *after, size_t max,
                              store_room_fn fn, void *ud);

/* Counts stored rooms. */
store_rc_t store_room_count(store_t *st, size_t *count);
/* Counts the stored rooms whose creator is the bare JID `creator` (an
 * index kept with the rooms: O(that creator's rooms)). */
store_rc_t store_rooms_by_creator(store_t *st, const char *creator, size_t *count);

/* The live listing: the public temporary rooms of EVERY mucd process
 * sharing this store (scale-out: one room lives in one process, but any
 * process may answer the service's disco#items). Kept in DIR/live without
 * fsync (it is not data: entries of a process that is gone are dropped when
 * a process opens the store). Absent in read-only opens (all calls are
 * no-ops there). Keys and order are those of the public index. */
store_rc_t store_live_put(store_t *st, const char *name, const char *title);
store_rc_t store_live_del(store_t *st, const char *name);
/* Like store_public_page without skip. */
store_rc_t store_live_page(store_t *st, const char *after, const char *before, size_t max,
                           store_listed_t *out, size_t *n);
store_rc_t store_live_count(store_t *st, size_t *count);
/* Drops the entries of processes that are gone (a crashed mucd leaves its
 * rooms listed until some process reaps them; each one does at open and,
 * from service_tick, every few seconds). One scan of the listing. */
void store_live_reap(store_t *st);
bool store_live_has(store_t *st, const char *name);

/* ---- The room archive (XEP-0313; archive.c) ----------------------------
 * One entry per archived message, keyed "room\0<u64 big-endian sequence>"
 * (sequences start at 1 and grow; entries are only ever removed from the
 * oldest end, so a room's sequences are contiguous and a range's size is
 * last - first + 1), and an id index "room\0<stanza-id>" -> sequence.
 * Timestamps never go backwards within a room (append clamps them), so a
 * time is found by bisection. */
typedef struct store_arch_msg {
    uint64_t seq;
    int64_t ts_ms; /* Unix time in milliseconds */
    char *id;      /* the stanza-id (XEP-0359) the room gave it */
    char *nick;    /* the sender's nick then */
    char *xml;     /* the message as the room broadcast it (no real JID) */
    char *jid;     /* the sender's real (full) JID, or NULL (the room itself,
                      or a record from before v2): shown only to those who
                      may see real JIDs (feat_archive.c) */
} store_arch_msg_t;

/* Appends in ONE write transaction, then (same transaction) removes the
 * oldest entries beyond max_messages (0: no limit; at most 64 per append,
 * bounded work). ts_ms is raised to the room's last timestamp if the clock
 * went back. STORE_ERR_FULL on a full map (nothing written). */
store_rc_t store_archive_append(store_t *st, const char *room, int64_t ts_ms,
                                const char *id, const char *nick, const char *jid,
                                const char *xml, uint64_t max_messages, uint64_t *seq);
/* Bulk load (tools and benchmarks): appends msgs[0..n) (their seq ignored;
 * ts_ms taken as given, never lowered) after the room's last entry in ONE
 * write transaction, with no retention. STORE_ERR_FULL: nothing written. */
store_rc_t store_archive_import(store_t *st, const char *room,
                                const store_arch_msg_t *msgs, size_t n);
/* Batched appends: with batching on, store_archive_append writes into a
 * write transaction left open (its *seq is then 0) and store_commit
 * commits it: one commit (and fsync) for all the appends of an event-loop
 * turn. Every other write of the store commits the pending appends first
 * (LMDB has one writer), and the archive's reads see them. A failed append
 * or commit loses the WHOLE pending batch (including appends that returned
 * STORE_OK): store_commit then fails once (not when nothing acknowledged
 * was lost: a lone failed append just returns its error), and the caller
 * must not present any of them as stored. Off by default; turning it off
 * commits. */
void store_set_batching(store_t *st, bool on);
/* Commits the pending appends: STORE_OK, or the error that lost them since
 * the last call (then reset). */
store_rc_t store_commit(store_t *st);
/* The first and last sequence of a room; STORE_ERR_NOTFOUND when empty. */
store_rc_t store_archive_bounds(store_t *st, const char *room, uint64_t *first,
                                uint64_t *last);
/* The sequence of a stanza-id; STORE_ERR_NOTFOUND when unknown. */
store_rc_t store_archive_seq_of(store_t *st, const char *room, const char *id,
                                uint64_t *seq);
/* The first sequence whose timestamp is >= ts_ms (last + 1 if none):
 * O(log n) by bisection; STORE_ERR_NOTFOUND when the archive is empty. */
store_rc_t store_archive_seq_at(store_t *st, const char *room, int64_t ts_ms,
                                uint64_t *seq);
/* Reads entries with lo <= seq <= hi, from lo upwards (or from hi downwards
 * when backward), keeping those whose nick equals `nick` (NULL: all), until
 * max were kept. With a nick the sender index is read: O(log n + page).
 * Without the index (a read-only open of a store from before it) the
 * archive is scanned, at most `scan` entries. out (max entries) is filled
 * in the order read; *more tells whether an entry was left in the range
 * (true also when the scan stopped early, and, rarely, when the entry
 * left is another nick's with the same hash). Free with
 * store_arch_msgs_free. */
store_rc_t store_archive_page(store_t *st, const char *room, uint64_t lo, uint64_t hi,
                              bool backward, const char *nick, size_t max, size_t scan,
                              store_arch_msg_t *out, size_t *n, bool *more);
/* One entry by sequence; STORE_ERR_NOTFOUND when absent. */
store_rc_t store_archive_get(store_t *st, const char *room, uint64_t seq,
                             store_arch_msg_t *out);
/* Replaces the stored XML of the entry with stanza-id `id` (a retraction
 * tombstone), keeping its sequence, stamp, id and nick, in one transaction.
 * STORE_ERR_NOTFOUND for an unknown id; STORE_ERR_FULL (nothing changed). */
store_rc_t store_archive_replace(store_t *st, const char *room, const char *id,
                                 const char *xml);
/* Removes entries older than cutoff_ms, oldest first, room by room, in one
 * small transaction of at most `budget` deletions, resuming at the room
 * named in resume (a buffer of resume_cap bytes, "" at first; it is left
 * where the next call goes on). Returns how many were removed in *removed. */
store_rc_t store_archive_prune_age(store_t *st, int64_t cutoff_ms, size_t budget,
                                   char *resume, size_t resume_cap, size_t *removed);
void store_arch_msgs_free(store_arch_msg_t *m, size_t n);

/* The archive record codec (versioned, bounds-checked): 0 or -1. */
void *codec_arch_encode(const store_arch_msg_t *m, size_t *len);
int codec_arch_decode(const void *data, size_t len, store_arch_msg_t *m);

void store_room_clear(store_room_t *room);
void store_affs_free(store_aff_t *affs, size_t n);
void store_listed_free(store_listed_t *l, size_t n);

/* The codec (codec.c): versioned binary records. Encode returns a malloc'd
 * buffer (free()) or NULL; decode returns 0 or -1 on a malformed record. */
void *codec_room_encode(const store_room_t *room, size_t *len);
int codec_room_decode(const void *data, size_t len, store_room_t *room);
void *codec_aff_encode(const store_aff_t *aff, size_t *len);
int codec_aff_decode(const void *data, size_t len, store_aff_t *aff);

#endif
