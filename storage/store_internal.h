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
/* Deletes a room's whole archive inside txn (store_room_delete); 0 or an
 * LMDB error (archive.c). */
int archive_delete_room(store_t *st, MDB_txn *txn, const char *room);

#endif
