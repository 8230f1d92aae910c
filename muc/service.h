/* service.h - the MUC service: the state behind the component domain (the
 * room registry and service-wide settings) and the entry point of the pure
 * core. */
#ifndef MUCD_SERVICE_H
#define MUCD_SERVICE_H

#include <stdbool.h>
#include <strophe.h>
#include <time.h>

#include "muc/hash.h"
#include "muc/jid.h"
#include "muc/out.h"
#include "muc/room.h"

typedef struct store store_t;

/* Abuse limits ([limits] in the config). 0 turns each one off, which is
 * what a zeroed struct gives (unit tests that do not test limits). */
typedef struct service_limits {
    int max_stanza_size;       /* bytes of an incoming stanza, estimated */
    int max_room_name_length;  /* bytes of a new room's localpart */
    int max_rooms;             /* rooms in all: stored plus temporary */
    int max_rooms_per_creator; /* rooms a bare JID created and that still exist */
    int message_rate;          /* messages per second per occupant */
    int message_burst;         /* the bucket: messages sent at once (0: rate) */
} service_limits_t;

typedef struct service_opts {
    const char *domain;       /* component domain, e.g. chat.example.org (copied) */
    const char *name;         /* disco identity name (copied) */
    store_t *store;           /* borrowed; may be NULL (no persistence) */
    int history_length;       /* default discussion history per room */
    int max_nick_length;      /* in characters */
    const char *creators;     /* who may create rooms: domains and bare JIDs,
                                 separated by commas or spaces; NULL/"" = anyone */
    const char *admins;       /* service admins (bare JIDs): owners of every room */
    int max_occupants;        /* cap of any room's occupants (0: 1000) */
    int max_history_length;   /* cap of any room's history (0: 100) */
    int max_disco_items;      /* cap of a disco#items page (0: 100) */
    int max_avatar_bytes;     /* largest room vCard photo, decoded bytes
                                 (0: 65536; < 0: no room vCards) */
    bool archive_off;         /* rooms' archive default: off (false: on) */
    int archive_max_messages; /* archived messages kept per room (0: no limit) */
    int archive_max_days;     /* days archived messages are kept (0: no limit) */
    service_limits_t limits;
} service_opts_t;

typedef struct service {
    xmpp_ctx_t *ctx; /* borrowed: builds every outgoing stanza */
    char *domain;
    char *name;
    store_t *store;
    int max_nick_length;
    char **creators; /* NULL-terminated list, or NULL for anyone */
    char **admins;   /* NULL-terminated list, or NULL */
    int max_occupants;
    int max_history_length;
    int max_disco_items;
    int max_avatar_bytes; /* 0: room vCards are off (feat_avatar.c) */
    service_limits_t limits;
    room_config_t room_defaults;
    hash_t *rooms;             /* name -> room_t (owned) */
    time_t (*now)(void);       /* the clock; tests replace it */
    long long (*now_ms)(void); /* a monotonic clock in ms; tests replace it */
    hash_t *pending_iqs;       /* forwarded IQs awaiting an answer (iq_forward.c) */
    int archive_max_messages;  /* feat_archive.c */
    int archive_max_days;
    time_t archive_pruned_at; /* last age pruning pass (service_tick) */
    time_t live_reaped_at;    /* last reaping of dead processes' live rooms */
    char archive_resume[512]; /* where age pruning goes on */
    unsigned long long forward_seq;
    /* Batched archive writes (service_set_batching): the stanzas whose
     * output shows an append of the pending batch as stored (clones), and
     * the number of the batch, which rooms stamp on history entries. */
    bool batching;
    xmpp_stanza_t **acked;
    size_t nacked, acked_cap;
    unsigned long long batch_no;
} service_t;

/* Creates a service; returns NULL on allocation failure. Caller frees with
 * service_free. ctx and opts->store are borrowed and must outlive it. */
service_t *service_new(xmpp_ctx_t *ctx, const service_opts_t *opts);
void service_free(service_t *svc);

/* The core's entry point: handles one incoming stanza (borrowed) and sends
 * every reply or broadcast into out. Never fails: bad input gets an XMPP
 * error reply or is dropped with a log line. Implemented in router.c.
 * Returns true when the stanza's output shows an archive append of the
 * pending batch as stored (with batching on, see below): that output must
 * not leave if service_commit then fails. */
bool service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out);

/* Periodic work (about once a second from the event loop): prunes expired
 * archive entries in small transactions (feat_archive.c) and, every 10 s,
 * unlists the temporary rooms of mucd processes that died (scale-out). */
void service_tick(service_t *svc);

/* Batched archive writes (the event loop turns them on): archive appends
 * made while handling stanzas go into one pending write transaction, and
 * service_commit commits it; call it BEFORE any output of those stanzas
 * leaves (acknowledged = stored). 0, or -1 when the pending appends were
 * lost (logged): the caller must then drop the output of the stanzas for
 * which service_handle returned true (it presents messages as stored that
 * are not; the rest of the output stands) and call service_report_lost,
 * which tells each of their senders with a resource-constraint error. The
 * rooms' histories are put back as their archives hold them. Without
 * batching (the default, and most unit tests) every append commits on its
 * own and service_commit is a no-op returning 0. */
void service_set_batching(service_t *svc, bool on);
int service_commit(service_t *svc);
void service_report_lost(service_t *svc, out_sink_t *out);
/* Notes that req's output shows an append of the pending batch as stored
 * (feat_archive.c; nothing without batching). */
struct request;
void service_note_archived(struct request *req);

/* Frees the IQ forwarding table (iq_forward.c). */
void iq_forward_free_all(service_t *svc);

/* time(NULL): the default clock. */
time_t time_now(void);
/* CLOCK_MONOTONIC in milliseconds: the default now_ms. */
long long time_now_ms(void);

/* The room registry. Rooms are owned by the service. */
/* The room named `name`, loading it from the store if it is persistent
 * and not in memory; NULL when it exists nowhere. */
room_t *service_room(service_t *svc, const char *name);
/* Only a room already in memory (no store access). */
room_t *service_room_loaded(service_t *svc, const char *name);
room_t *service_room_create(service_t *svc, const char *name);
void service_room_destroy(service_t *svc, room_t *room);

/* The service is stopping: every occupant gets an unavailable presence
 * with status 332, persistent rooms are saved. */
void service_shutdown(service_t *svc, out_sink_t *out);
/* The link to the server is gone: occupants are cleared without stanzas
 * (none can be delivered), so nobody stays as a ghost; they rejoin. */
void service_link_lost(service_t *svc);

/* Whether bare_jid is a service admin (owner rights in every room). */
bool service_is_admin(const service_t *svc, const char *bare_jid);

/* Whether the (bare) sender may create rooms. */
bool service_may_create(const service_t *svc, const jid_t *from);

#endif
