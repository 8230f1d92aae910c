/* lmdb_store.c - the LMDB implementation of storage.h. */
#include "storage/storage.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define META_DB         "meta"
#define META_SCHEMA_KEY "schema_version"
#define STORE_MAX_DBS   16

struct store {
    MDB_env *env;
    MDB_dbi meta;
};

/* mkdir -p: creates dir and missing parents (mode 0750). */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0750) != 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(path, 0750) != 0 && errno != EEXIST) return errno;
    return 0;
}

/* Reads the schema version, writing the current one into a new store. */
static store_rc_t check_schema(store_t *st, MDB_txn *txn, const char *dir, char *err,
                               size_t errlen)
{
    MDB_val key = {strlen(META_SCHEMA_KEY), META_SCHEMA_KEY}, val;
    char v[16];
    int rc = mdb_get(txn, st->meta, &key, &val);
    if (rc == MDB_NOTFOUND) {
        int n = snprintf(v, sizeof v, "%d", STORE_SCHEMA_VERSION);
        val.mv_size = (size_t)n;
        val.mv_data = v;
        rc = mdb_put(txn, st->meta, &key, &val, 0);
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot read the schema version: %s", dir,
                 mdb_strerror(rc));
        return STORE_ERR_IO;
    }
    char text[16] = {0};
    memcpy(text, val.mv_data, val.mv_size < 15 ? val.mv_size : 15);
    char *end;
    long version = strtol(text, &end, 10);
    if (end == text || *end != '\0' || version != STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: the store has schema version '%s' but this mucd reads version %d; "
                 "refusing to open it (was it written by a newer mucd?)",
                 dir, text, STORE_SCHEMA_VERSION);
        return STORE_ERR_VERSION;
    }
    return STORE_OK;
}

static store_rc_t open_dbs(store_t *st, const char *dir, char *err, size_t errlen)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, META_DB, MDB_CREATE, &st->meta);
    if (rc != 0) {
        if (txn) mdb_txn_abort(txn);
        snprintf(err, errlen, "%s: cannot open databases: %s", dir, mdb_strerror(rc));
        return STORE_ERR_IO;
    }
    store_rc_t src = check_schema(st, txn, dir, err, errlen);
    if (src != STORE_OK) {
        mdb_txn_abort(txn);
        return src;
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot commit: %s", dir, mdb_strerror(rc));
        return STORE_ERR_IO;
    }
    return STORE_OK;
}

store_rc_t store_open(const char *dir, size_t map_size, store_t **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    int rc = make_dirs(dir);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(rc));
        return STORE_ERR_IO;
    }
    store_t *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return STORE_ERR_IO;
    }
    store_rc_t src = STORE_ERR_IO;
    rc = mdb_env_create(&st->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(st->env, STORE_MAX_DBS);
    if (rc == 0) rc = mdb_env_set_mapsize(st->env, map_size);
    if (rc == 0) rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0640);
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot open LMDB environment: %s", dir,
                 mdb_strerror(rc));
    else
        src = open_dbs(st, dir, err, errlen);
    if (src != STORE_OK) {
        store_close(st);
        return src;
    }
    *out = st;
    return STORE_OK;
}

void store_close(store_t *st)
{
    if (!st) return;
    if (st->env) mdb_env_close(st->env);
    free(st);
}
