/* storage.h - the persistent store behind an interface (LMDB inside).
 * Nothing LMDB-specific leaks out of storage/. */
#ifndef MUCD_STORAGE_H
#define MUCD_STORAGE_H

#include <stddef.h>

typedef struct store store_t;

/* The on-disk schema version this build reads and writes. */
#define STORE_SCHEMA_VERSION 1

typedef enum {
    STORE_OK = 0,
    STORE_ERR_IO = -1,      /* cannot create/open the environment */
    STORE_ERR_VERSION = -2, /* written by a newer or unknown mucd */
} store_rc_t;

/* Opens (creating if needed) the store in directory dir with a map of
 * map_size bytes, and checks the schema version. On success *out is a new
 * store the caller closes with store_close. On failure returns a negative
 * store_rc_t and a message in err. */
store_rc_t store_open(const char *dir, size_t map_size, store_t **out, char *err,
                      size_t errlen);

/* Closes the environment; safe with NULL. */
void store_close(store_t *st);

#endif
