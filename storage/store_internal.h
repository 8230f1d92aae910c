/* store_internal.h - what storage/'s files share (LMDB types allowed here,
 * never outside storage/). */
#ifndef MUCD_STORE_INTERNAL_H
#define MUCD_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdbool.h>

#include "storage/storage.h"

/* Records the failure of `what` and maps rc (lmdb_store.c). */
store_rc_t store_fail(store_t *st, const char *what, int rc);
MDB_env *store_env(store_t *st);
/* The archive's databases; false when the store has none (read-only open
 * of a store from before them). */
bool store_archive_dbis(store_t *st, MDB_dbi *archive, MDB_dbi *ids);
/* The archive's sender index (archive.c: "room\0" + hash of the nick +
 * sequence); false when the store has none (read-only open of a store
 * from before it: `with` queries then scan). */
bool store_archive_with_dbi(store_t *st, MDB_dbi *with);
/* Builds the sender index of every archived message (a store from before
 * it, opened for writing): 0 or an LMDB error. */
int archive_with_backfill(MDB_txn *txn, MDB_dbi archive, MDB_dbi with);
/* Deletes a room's whole archive inside txn (store_room_delete); 0 or an
 * LMDB error (archive.c). */
int archive_delete_room(store_t *st, MDB_txn *txn, const char *room);

/* Batched archive writes (store_set_batching; lmdb_store.c). Every write
 * transaction of the store's env begins with store_write_begin, which
 * commits the pending batch first (LMDB has one writer at a time). */
int store_write_begin(store_t *st, MDB_txn **txn);
bool store_batching(const store_t *st);
/* The open batch transaction, or NULL. */
MDB_txn *store_batch_txn(store_t *st);
/* The open batch transaction, begun if none: 0 or an LMDB error. */
int store_batch_begin(store_t *st, MDB_txn **txn);
/* An acknowledged append of the open batch, kept (copied) until it is
 * committed, to be written again after a failed append spoilt the
 * transaction (archive.c). */
typedef struct store_batch_entry {
    char *room;
    int64_t ts_ms;
    char *id, *nick, *jid, *xml; /* jid may be NULL */
    uint64_t max_messages;
} store_batch_entry_t;
int store_batch_log(store_t *st, const store_batch_entry_t *e); /* 0 or ENOMEM */
const store_batch_entry_t *store_batch_entries(store_t *st, size_t *n);
/* Aborts the batch transaction, keeping the log (for the replay). */
void store_batch_rollback(store_t *st);
/* Aborts the batch: everything pending is lost, and the next store_commit
 * reports it when any of it had been acknowledged (the log is cleared). */
void store_batch_abort(store_t *st, int rc);

#endif
