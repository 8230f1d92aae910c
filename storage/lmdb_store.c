/* lmdb_store.c - the LMDB implementation of storage.h. */
#include "storage/storage.h"
#include "storage/store_internal.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_DB         "meta"
#define META_SCHEMA_KEY "schema_version"
#define STORE_MAX_DBS   16

struct store {
    MDB_env *env;
    MDB_dbi meta, rooms, affs, public_idx, history;
    MDB_dbi creators;             /* "creator\0room" -> "" (see store_rooms_by_creator) */
    bool has_creators;            /* false: a read-only open of a store from before it */
    MDB_dbi avatars;              /* room name -> its vCard blob (store_avatar_save) */
    bool has_avatars;             /* false: a read-only open of a store from before it */
    MDB_dbi archive, archive_ids; /* the room archive (archive.c) */
    bool has_archive;             /* false: a read-only open of a store from before it */
    MDB_dbi archive_with;         /* the archive's sender index (archive.c) */
    bool has_with;                /* false: a read-only open of a store from before it */
    /* The live listing: public temporary rooms of every mucd process on this
     * store, in an environment of its own (DIR/live) committed without
     * fsync: it is rebuilt as rooms come and go, never restored. */
    MDB_env *live;
    MDB_dbi live_idx; /* "name@" -> "<pid>\0<title>" */
    bool read_only;
    /* Batched archive writes (store_set_batching): the open write
     * transaction of the pending appends, and the LMDB error that lost a
     * batch since the last store_commit (0: none). */
    bool batching;
    MDB_txn *batch;
    store_batch_entry_t *batch_log; /* its acknowledged appends */
    size_t batch_n, batch_cap;
    int batch_err;
    char error[256];
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
    if (rc == MDB_NOTFOUND && !st->read_only) {
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

/* The archive's sender index; a store written before it gets it built
 * from its archive here, once, in the opening transaction. */
static int open_with_index(store_t *st, MDB_txn *txn)
{
    int rc = mdb_dbi_open(txn, "archive_with", 0, &st->archive_with);
    if (rc == MDB_NOTFOUND && !st->read_only) {
        rc = mdb_dbi_open(txn, "archive_with", MDB_CREATE, &st->archive_with);
        if (rc == 0) rc = archive_with_backfill(txn, st->archive, st->archive_with);
    }
    st->has_with = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc; /* read-only, from before it: scans */
}

static store_rc_t open_dbs(store_t *st, const char *dir, char *err, size_t errlen)
{
    MDB_txn *txn = NULL;
    unsigned create = st->read_only ? 0 : MDB_CREATE;
    int rc = mdb_txn_begin(st->env, NULL, st->read_only ? MDB_RDONLY : 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, META_DB, create, &st->meta);
    if (rc == 0) rc = mdb_dbi_open(txn, "rooms", create, &st->rooms);
    if (rc == 0) rc = mdb_dbi_open(txn, "affiliations", create, &st->affs);
    if (rc == 0) rc = mdb_dbi_open(txn, "public", create, &st->public_idx);
    if (rc == 0) rc = mdb_dbi_open(txn, "history", create, &st->history);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "creators", create, &st->creators);
        st->has_creators = rc == 0;
        if (rc == MDB_NOTFOUND && st->read_only) rc = 0; /* written before it */
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "avatars", create, &st->avatars);
        st->has_avatars = rc == 0;
        if (rc == MDB_NOTFOUND && st->read_only) rc = 0; /* written before it */
    }
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "archive", create, &st->archive);
        if (rc == 0) rc = mdb_dbi_open(txn, "archive_ids", create, &st->archive_ids);
        st->has_archive = rc == 0;
        if (rc == MDB_NOTFOUND && st->read_only) rc = 0; /* written before it */
    }
    if (rc == 0 && st->has_archive) rc = open_with_index(st, txn);
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

#define LIVE_MAP_SIZE (64u << 20) /* sparse: ~60 bytes per listed temporary room */

static void live_reap(store_t *st, bool own_alive);

/* Opens DIR/live (see struct store) and drops what dead processes left. */
static store_rc_t open_live(store_t *st, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    MDB_txn *txn = NULL;
    snprintf(path, sizeof path, "%s/live", dir);
    int rc = make_dirs(path);
    if (rc == 0) rc = mdb_env_create(&st->live);
    if (rc == 0) rc = mdb_env_set_mapsize(st->live, LIVE_MAP_SIZE);
    if (rc == 0)
        rc = mdb_env_open(st->live, path, MDB_NOTLS | MDB_NOSYNC | MDB_NOMETASYNC, 0640);
    if (rc == 0) rc = mdb_txn_begin(st->live, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, NULL, 0, &st->live_idx);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot open the live listing: %s", path,
                 rc > 0 ? strerror(rc) : mdb_strerror(rc));
        return STORE_ERR_IO;
    }
    live_reap(st, false); /* a new process cannot have rooms yet */
    return STORE_OK;
}

store_rc_t store_open(const char *dir, size_t map_size, bool read_only, store_t **out,
                      char *err, size_t errlen)
{
    *out = NULL;
    int rc = read_only ? 0 : make_dirs(dir);
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
    st->read_only = read_only;
    rc = mdb_env_create(&st->env);
    if (rc == 0) rc = mdb_env_set_maxdbs(st->env, STORE_MAX_DBS);
    if (rc == 0) rc = mdb_env_set_mapsize(st->env, map_size);
    if (rc == 0)
        rc = mdb_env_open(st->env, dir, MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0640);
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot open LMDB environment: %s", dir,
                 mdb_strerror(rc));
    else
        src = open_dbs(st, dir, err, errlen);
    if (src == STORE_OK && !read_only) src = open_live(st, dir, err, errlen);
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
    store_commit(st);
    free(st->batch_log);
    if (st->live) mdb_env_close(st->live);
    if (st->env) mdb_env_close(st->env);
    free(st);
}

/* ---- records -------------------------------------------------------- */

const char *store_last_error(const store_t *st)
{
    return st->error;
}

static store_rc_t fail(store_t *st, const char *what, int rc)
{
    snprintf(st->error, sizeof st->error, "%s: %s", what, mdb_strerror(rc));
    return rc == MDB_MAP_FULL ? STORE_ERR_FULL : STORE_ERR_IO;
}

store_rc_t store_fail(store_t *st, const char *what, int rc)
{
    return fail(st, what, rc);
}

MDB_env *store_env(store_t *st)
{
    return st->env;
}

/* ---- batched archive writes ------------------------------------------ */

void store_set_batching(store_t *st, bool on)
{
    if (!on) store_commit(st);
    st->batching = on && !st->read_only;
}

bool store_batching(const store_t *st)
{
    return st->batching;
}

MDB_txn *store_batch_txn(store_t *st)
{
    return st->batch;
}

int store_batch_begin(store_t *st, MDB_txn **txn)
{
    if (!st->batch) {
        int rc = mdb_txn_begin(st->env, NULL, 0, &st->batch);
        if (rc) {
            st->batch = NULL;
            return rc;
        }
    }
    *txn = st->batch;
    return 0;
}

int store_batch_log(store_t *st, const store_batch_entry_t *e)
{
    if (st->batch_n == st->batch_cap) {
        size_t cap = st->batch_cap ? st->batch_cap * 2 : 64;
        store_batch_entry_t *grown = realloc(st->batch_log, cap * sizeof *grown);
        if (!grown) return ENOMEM;
        st->batch_log = grown;
        st->batch_cap = cap;
    }
    store_batch_entry_t c = *e;
    c.room = strdup(e->room);
    c.id = strdup(e->id ? e->id : "");
    c.nick = strdup(e->nick ? e->nick : "");
    c.xml = strdup(e->xml ? e->xml : "");
    c.jid = e->jid ? strdup(e->jid) : NULL;
    if (!c.room || !c.id || !c.nick || !c.xml || (e->jid && !c.jid)) {
        free(c.room), free(c.id), free(c.nick), free(c.xml), free(c.jid);
        return ENOMEM;
    }
    st->batch_log[st->batch_n++] = c;
    return 0;
}

const store_batch_entry_t *store_batch_entries(store_t *st, size_t *n)
{
    *n = st->batch_n;
    return st->batch_log;
}

static void batch_log_clear(store_t *st)
{
    for (size_t i = 0; i < st->batch_n; i++) {
        store_batch_entry_t *e = &st->batch_log[i];
        free(e->room), free(e->id), free(e->nick), free(e->xml), free(e->jid);
    }
    st->batch_n = 0;
}

void store_batch_rollback(store_t *st)
{
    if (st->batch) mdb_txn_abort(st->batch);
    st->batch = NULL;
}

void store_batch_abort(store_t *st, int rc)
{
    store_batch_rollback(st);
    /* only a loss when an append of it was acknowledged */
    if (st->batch_n && !st->batch_err) st->batch_err = rc ? rc : EIO;
    batch_log_clear(st);
}

/* Commits the pending batch; a failure is kept for store_commit. */
static void batch_end(store_t *st)
{
    if (!st->batch) return;
    int rc = mdb_txn_commit(st->batch);
    if (rc && st->batch_n && !st->batch_err) st->batch_err = rc;
    st->batch = NULL;
    batch_log_clear(st);
}

store_rc_t store_commit(store_t *st)
{
    if (!st) return STORE_OK;
    batch_end(st);
    int rc = st->batch_err;
    st->batch_err = 0;
    return rc ? fail(st, "archive batch", rc) : STORE_OK;
}

int store_write_begin(store_t *st, MDB_txn **txn)
{
    batch_end(st); /* LMDB has one writer: the pending appends go first */
    return mdb_txn_begin(st->env, NULL, 0, txn);
}

bool store_archive_dbis(store_t *st, MDB_dbi *archive, MDB_dbi *ids)
{
    *archive = st->archive;
    *ids = st->archive_ids;
    return st->has_archive;
}

bool store_archive_with_dbi(store_t *st, MDB_dbi *with)
{
    *with = st->archive_with;
    return st->has_archive && st->has_with;
}

static MDB_val val_of(const char *s)
{
    return (MDB_val){strlen(s), (void *)s};
}

/* "room\0jid": the affiliation key; the room's entries share the prefix
 * "room\0", so one cursor range holds them all. */
static int aff_key(const char *room, const char *jid, char *buf, size_t cap, MDB_val *key)
{
    size_t rl = strlen(room), jl = jid ? strlen(jid) : 0;
    if (rl + 1 + jl > cap) return -1;
    memcpy(buf, room, rl);
    buf[rl] = '\0';
    if (jl) memcpy(buf + rl + 1, jid, jl);
    *key = (MDB_val){rl + 1 + jl, buf};
    return 0;
}

/* The public index is keyed "name@": byte order is then the order of the
 * rooms' JIDs (name@domain), e.g. "room10@" before "room1@". */
static int index_key(const char *name, char *buf, size_t cap, MDB_val *k)
{
    size_t n = strlen(name);
    if (n + 2 > cap) return EINVAL;
    memcpy(buf, name, n);
    buf[n] = '@';
    buf[n + 1] = '\0';
    *k = (MDB_val){n + 1, buf};
    return 0;
}

/* Adds (or with del, removes) the creators index entry of a room. */
static int put_creator(store_t *st, MDB_txn *txn, const char *creator, const char *room,
                       bool del)
{
    char buf[4096];
    MDB_val k, v = {0, ""};
    if (!creator || !st->has_creators) return 0;
    if (aff_key(creator, room, buf, sizeof buf, &k) != 0) return EINVAL;
    int rc = del ? mdb_del(txn, st->creators, &k, NULL)
                 : mdb_put(txn, st->creators, &k, &v, 0);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Removes the creators index entry of a stored room (read from its record). */
static int del_creator(store_t *st, MDB_txn *txn, const char *name)
{
    MDB_val k = val_of(name), v;
    store_room_t r;
    int rc = mdb_get(txn, st->rooms, &k, &v);
    if (rc) return rc == MDB_NOTFOUND ? 0 : rc;
    if (codec_room_decode(v.mv_data, v.mv_size, &r) != 0) return 0; /* nothing to find */
    rc = put_creator(st, txn, r.creator, name, true);
    store_room_clear(&r);
    return rc;
}

static int put_room(store_t *st, MDB_txn *txn, const store_room_t *room)
{
    size_t len;
    void *rec = codec_room_encode(room, &len);
    if (!rec) return ENOMEM;
    MDB_val k = val_of(room->name), v = {len, rec};
    int rc = mdb_put(txn, st->rooms, &k, &v, 0);
    free(rec);
    if (rc) return rc;
    char ibuf[1100];
    if ((rc = index_key(room->name, ibuf, sizeof ibuf, &k)) != 0) return rc;
    if (room->public_list) {
        const char *title = room->title ? room->title : "";
        MDB_val t = val_of(title);
        rc = mdb_put(txn, st->public_idx, &k, &t, 0);
    } else {
        rc = mdb_del(txn, st->public_idx, &k, NULL);
    }
    if (rc && rc != MDB_NOTFOUND) return rc;
    return put_creator(st, txn, room->creator, room->name, false);
}

static int put_aff(store_t *st, MDB_txn *txn, const char *room, const store_aff_t *a)
{
    char buf[4096];
    MDB_val k;
    if (aff_key(room, a->jid, buf, sizeof buf, &k) != 0) return EINVAL;
    if (a->affiliation == 0) {
        int rc = mdb_del(txn, st->affs, &k, NULL);
        return rc == MDB_NOTFOUND ? 0 : rc;
    }
    size_t len;
    void *rec = codec_aff_encode(a, &len);
    if (!rec) return ENOMEM;
    MDB_val v = {len, rec};
    int rc = mdb_put(txn, st->affs, &k, &v, 0);
    free(rec);
    return rc;
}

static int put_blob(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *data,
                    size_t len);

store_rc_t store_room_save(store_t *st, const store_room_t *room,
                           const store_aff_t *changes, size_t nchanges)
{
    return store_room_save_avatar(st, room, changes, nchanges, NULL, 0);
}

store_rc_t store_room_save_avatar(store_t *st, const store_room_t *room,
                                  const store_aff_t *changes, size_t nchanges,
                                  const void *avatar, size_t avatar_len)
{
    MDB_txn *txn;
    int rc = store_write_begin(st, &txn);
    if (rc) return fail(st, "begin", rc);
    rc = put_room(st, txn, room);
    for (size_t i = 0; rc == 0 && i < nchanges; i++)
        rc = put_aff(st, txn, room->name, &changes[i]);
    if (rc == 0 && avatar && avatar_len)
        rc = st->has_avatars ? put_blob(txn, st->avatars, room->name, avatar, avatar_len)
                             : EINVAL;
    if (rc) {
        mdb_txn_abort(txn);
        return fail(st, "save room", rc);
    }
    rc = mdb_txn_commit(txn);
    return rc ? fail(st, "commit", rc) : STORE_OK;
}

store_rc_t store_rooms_import(store_t *st, const store_room_t *rooms, size_t n)
{
    MDB_txn *txn;
    int rc = store_write_begin(st, &txn);
    if (rc) return fail(st, "begin", rc);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = put_room(st, txn, &rooms[i]);
    if (rc) {
        mdb_txn_abort(txn);
        return fail(st, "import", rc);
    }
    rc = mdb_txn_commit(txn);
    return rc ? fail(st, "commit", rc) : STORE_OK;
}

/* Collects every "room\0*" affiliation with a cursor range. */
static int load_affs(store_t *st, MDB_txn *txn, const char *room, store_aff_t **out,
                     size_t *n)
{
    char buf[4096];
    MDB_val k, v;
    MDB_cursor *c;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (aff_key(room, NULL, buf, sizeof buf, &k) != 0) return EINVAL;
    size_t plen = k.mv_size;
    int rc = mdb_cursor_open(txn, st->affs, &c);
    if (rc) return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, buf, plen) != 0) break;
        if (*n == cap) {
            store_aff_t *grown = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof **out);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            *out = grown;
        }
        store_aff_t *a = &(*out)[*n];
        if (codec_aff_decode(v.mv_data, v.mv_size, a) != 0)
            continue; /* skip, logged by caller */
        a->jid = strndup((const char *)k.mv_data + plen, k.mv_size - plen);
        (*n)++;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

store_rc_t store_room_load(store_t *st, const char *name, store_room_t *room,
                           store_aff_t **affs, size_t *naffs)
{
    MDB_txn *txn;
    *affs = NULL;
    *naffs = 0;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    MDB_val k = val_of(name), v;
    rc = mdb_get(txn, st->rooms, &k, &v);
    store_rc_t out = STORE_OK;
    if (rc == MDB_NOTFOUND) {
        out = STORE_ERR_NOTFOUND;
    } else if (rc) {
        out = fail(st, "load room", rc);
    } else if (codec_room_decode(v.mv_data, v.mv_size, room) != 0) {
        snprintf(st->error, sizeof st->error, "room %s: record does not decode", name);
        out = STORE_ERR_CORRUPT;
    } else if ((rc = load_affs(st, txn, name, affs, naffs)) != 0) {
        store_room_clear(room);
        store_affs_free(*affs, *naffs);
        *affs = NULL;
        *naffs = 0;
        out = fail(st, "load affiliations", rc);
    }
    mdb_txn_abort(txn);
    return out;
}

bool store_room_exists(store_t *st, const char *name)
{
    MDB_txn *txn;
    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return false;
    MDB_val k = val_of(name), v;
    bool found = mdb_get(txn, st->rooms, &k, &v) == 0;
    mdb_txn_abort(txn);
    return found;
}

static int del_affs(store_t *st, MDB_txn *txn, const char *room)
{
    char buf[4096];
    MDB_val k, v;
    MDB_cursor *c;
    if (aff_key(room, NULL, buf, sizeof buf, &k) != 0) return EINVAL;
    size_t plen = k.mv_size;
    int rc = mdb_cursor_open(txn, st->affs, &c);
    if (rc) return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, buf, plen) != 0) break;
        if ((rc = mdb_cursor_del(c, 0)) != 0) break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}

store_rc_t store_room_delete(store_t *st, const char *name)
{
    MDB_txn *txn;
    int rc = store_write_begin(st, &txn);
    if (rc) return fail(st, "begin", rc);
    MDB_val k = val_of(name), ik;
    char ibuf[1100];
    rc = index_key(name, ibuf, sizeof ibuf, &ik);
    if (rc == 0) rc = del_creator(st, txn, name);
    MDB_dbi dbis[] = {st->rooms, st->public_idx, st->history};
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        rc = mdb_del(txn, dbis[i], dbis[i] == st->public_idx ? &ik : &k, NULL);
        if (rc == MDB_NOTFOUND) rc = 0;
    }
    if (rc == 0) rc = del_affs(st, txn, name);
    if (rc == 0 && st->has_avatars) rc = put_blob(txn, st->avatars, name, NULL, 0);
    if (rc == 0) rc = archive_delete_room(st, txn, name);
    if (rc) {
        mdb_txn_abort(txn);
        return fail(st, "delete room", rc);
    }
    rc = mdb_txn_commit(txn);
    return rc ? fail(st, "commit", rc) : STORE_OK;
}

/* Puts name -> data into dbi, or deletes it for a NULL/empty blob. */
static int put_blob(MDB_txn *txn, MDB_dbi dbi, const char *name, const void *data,
                    size_t len)
{
    MDB_val k = val_of(name), v = {len, (void *)data};
    int rc = (data && len) ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One blob per room in dbi, in a transaction of its own. */
static store_rc_t save_blob(store_t *st, MDB_dbi dbi, const char *name, const void *data,
                            size_t len, const char *what)
{
    MDB_txn *txn;
    int rc = store_write_begin(st, &txn);
    if (rc) return fail(st, "begin", rc);
    if ((rc = put_blob(txn, dbi, name, data, len)) != 0) {
        mdb_txn_abort(txn);
        return fail(st, what, rc);
    }
    rc = mdb_txn_commit(txn);
    return rc ? fail(st, "commit", rc) : STORE_OK;
}

/* A copy of the room's blob in dbi (*data: malloc'd, the caller frees). */
static store_rc_t load_blob(store_t *st, MDB_dbi dbi, const char *name, void **data,
                            size_t *len, const char *what)
{
    MDB_txn *txn;
    *data = NULL;
    *len = 0;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    MDB_val k = val_of(name), v;
    rc = mdb_get(txn, dbi, &k, &v);
    store_rc_t out = STORE_OK;
    if (rc == 0 && (*data = malloc(v.mv_size ? v.mv_size : 1)) != NULL) {
        memcpy(*data, v.mv_data, v.mv_size);
        *len = v.mv_size;
    } else if (rc == MDB_NOTFOUND) {
        out = STORE_ERR_NOTFOUND;
    } else {
        out = fail(st, what, rc ? rc : ENOMEM);
    }
    mdb_txn_abort(txn);
    return out;
}

store_rc_t store_history_save(store_t *st, const char *name, const void *data, size_t len)
{
    return save_blob(st, st->history, name, data, len, "save history");
}

store_rc_t store_history_load(store_t *st, const char *name, void **data, size_t *len)
{
    return load_blob(st, st->history, name, data, len, "load history");
}

/* ---- room vCards (avatars) ------------------------------------------ */

store_rc_t store_avatar_save(store_t *st, const char *name, const void *data, size_t len)
{
    if (!st->has_avatars) {
        snprintf(st->error, sizeof st->error, "no avatars database (read-only store)");
        return STORE_ERR_IO;
    }
    return save_blob(st, st->avatars, name, data, len, "save avatar");
}

store_rc_t store_avatar_load(store_t *st, const char *name, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!st->has_avatars) return STORE_ERR_NOTFOUND;
    return load_blob(st, st->avatars, name, data, len, "load avatar");
}

/* ---- the public index ---------------------------------------------- */

/* The title in an index value: the whole value, or in the live listing
 * what follows "<pid>\0". */
static MDB_val title_of(const MDB_val *v, bool live)
{
    const char *p = v->mv_data;
    const char *nul = live ? memchr(p, '\0', v->mv_size) : NULL;
    if (!nul) return live ? (MDB_val){0, NULL} : *v;
    return (MDB_val){v->mv_size - (size_t)(nul + 1 - p), (void *)(nul + 1)};
}

static int listed_copy(const MDB_val *k, const MDB_val *v, store_listed_t *out, bool live)
{
    size_t n = k->mv_size;
    if (n && ((const char *)k->mv_data)[n - 1] == '@') n--; /* "name@" */
    MDB_val t = title_of(v, live);
    out->name = strndup(k->mv_data, n);
    out->title = t.mv_size ? strndup(t.mv_data, t.mv_size) : NULL;
    return out->name ? 0 : ENOMEM;
}

/* Positions c at the first entry to return going forward. */
static int seek_forward(MDB_cursor *c, const char *after, MDB_val *k, MDB_val *v)
{
    if (!after) return mdb_cursor_get(c, k, v, MDB_FIRST);
    *k = val_of(after);
    int rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
    if (rc == 0 && k->mv_size == strlen(after) &&
        memcmp(k->mv_data, after, k->mv_size) == 0)
        rc = mdb_cursor_get(c, k, v, MDB_NEXT);
    return rc;
}

/* Positions c at the last entry strictly before `before` ("" or NULL: the
 * very last entry). */
static int seek_backward(MDB_cursor *c, const char *before, MDB_val *k, MDB_val *v)
{
    if (!before || !*before) return mdb_cursor_get(c, k, v, MDB_LAST);
    *k = val_of(before);
    int rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return mdb_cursor_get(c, k, v, MDB_LAST);
    if (rc) return rc;
    return mdb_cursor_get(c, k, v, MDB_PREV);
}

static int page_backward(MDB_cursor *c, const char *before, size_t max,
                         store_listed_t *out, size_t *n, bool live)
{
    MDB_val k, v;
    int rc = seek_backward(c, before, &k, &v);
    for (; rc == 0 && *n < max; rc = mdb_cursor_get(c, &k, &v, MDB_PREV))
        if ((rc = listed_copy(&k, &v, &out[(*n)++], live)) != 0) break;
    for (size_t i = 0; i < *n / 2; i++) { /* back into name order */
        store_listed_t t = out[i];
        out[i] = out[*n - 1 - i];
        out[*n - 1 - i] = t;
    }
    return rc;
}

/* A page of an index (the public one, or the live listing). */
static store_rc_t page_of(store_t *st, MDB_env *env, MDB_dbi dbi, bool live,
                          const char *after, const char *before, size_t skip, size_t max,
                          store_listed_t *out, size_t *n)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    char akey[1100], bkey[1100];
    *n = 0;
    if (after && index_key(after, akey, sizeof akey, &k) != 0) return STORE_ERR_NOTFOUND;
    if (before && *before && index_key(before, bkey, sizeof bkey, &k) != 0)
        return STORE_ERR_NOTFOUND;
    after = after ? akey : NULL;
    before = before ? (*before ? bkey : "") : NULL;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    rc = mdb_cursor_open(txn, dbi, &c);
    bool opened = rc == 0;
    if (rc == 0 && before) {
        rc = page_backward(c, before, max, out, n, live);
    } else if (rc == 0) {
        rc = seek_forward(c, after, &k, &v);
        for (; rc == 0 && skip > 0; skip--)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        for (; rc == 0 && *n < max; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            if ((rc = listed_copy(&k, &v, &out[(*n)++], live)) != 0) break;
    }
    if (opened) mdb_cursor_close(c);
    mdb_txn_abort(txn);
    if (rc && rc != MDB_NOTFOUND) {
        store_listed_free(out, *n);
        *n = 0;
        return fail(st, "page", rc);
    }
    return STORE_OK;
}

store_rc_t store_public_page(store_t *st, const char *after, const char *before,
                             size_t skip, size_t max, store_listed_t *out, size_t *n)
{
    return page_of(st, st->env, st->public_idx, false, after, before, skip, max, out, n);
}

static store_rc_t count_in(store_t *st, MDB_env *env, MDB_dbi dbi, size_t *count)
{
    MDB_txn *txn;
    MDB_stat s;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    rc = mdb_stat(txn, dbi, &s);
    mdb_txn_abort(txn);
    if (rc) return fail(st, "stat", rc);
    *count = s.ms_entries;
    return STORE_OK;
}

store_rc_t store_public_count(store_t *st, size_t *count)
{
    return count_in(st, st->env, st->public_idx, count);
}

static bool has_in(MDB_env *env, MDB_dbi dbi, const char *name)
{
    MDB_txn *txn;
    if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) return false;
    MDB_val k, v;
    char ibuf[1100];
    bool found =
        index_key(name, ibuf, sizeof ibuf, &k) == 0 && mdb_get(txn, dbi, &k, &v) == 0;
    mdb_txn_abort(txn);
    return found;
}

bool store_public_has(store_t *st, const char *name)
{
    return has_in(st->env, st->public_idx, name);
}

store_rc_t store_room_iterate(store_t *st, const char *after, size_t max,
                              store_room_fn fn, void *ud)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    rc = mdb_cursor_open(txn, st->rooms, &c);
    size_t given = 0;
    if (rc == 0) {
        for (rc = seek_forward(c, after, &k, &v); rc == 0 && given < max;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            store_room_t room;
            if (codec_room_decode(v.mv_data, v.mv_size, &room) != 0) continue;
            bool more = fn(&room, ud);
            store_room_clear(&room);
            given++;
            if (!more) break;
        }
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    return (rc == 0 || rc == MDB_NOTFOUND) ? STORE_OK : fail(st, "iterate", rc);
}

store_rc_t store_room_count(store_t *st, size_t *count)
{
    return count_in(st, st->env, st->rooms, count);
}

store_rc_t store_rooms_by_creator(store_t *st, const char *creator, size_t *count)
{
    char buf[4096];
    MDB_val k, v;
    MDB_txn *txn;
    MDB_cursor *c;
    *count = 0;
    if (!st->has_creators) return STORE_OK;
    if (aff_key(creator, NULL, buf, sizeof buf, &k) != 0) return STORE_OK; /* none */
    size_t plen = k.mv_size;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc) return fail(st, "begin", rc);
    if ((rc = mdb_cursor_open(txn, st->creators, &c)) == 0) {
        for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
             rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, buf, plen) == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            (*count)++;
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    return rc == 0 || rc == MDB_NOTFOUND ? STORE_OK : fail(st, "count creator", rc);
}

/* ---- the live listing (public temporary rooms of every process) ------ */

/* Whether the process that listed an entry still runs (our own pid:
 * own_alive, since at open it is a former process's). */
static bool pid_alive(const MDB_val *v, bool own_alive)
{
    char buf[16];
    size_t n = v->mv_size < sizeof buf - 1 ? v->mv_size : sizeof buf - 1;
    memcpy(buf, v->mv_data, n);
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    if (pid <= 0) return false;
    if (pid == (long)getpid()) return own_alive;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Drops the entries of processes that are gone (crashed without removing
 * their rooms), and (!own_alive) any left under our own pid. */
static void live_reap(store_t *st, bool own_alive)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    if (!st->live || mdb_txn_begin(st->live, NULL, 0, &txn)) return;
    int rc = mdb_cursor_open(txn, st->live_idx, &c);
    for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if (!pid_alive(&v, own_alive) && mdb_cursor_del(c, 0) != 0) break;
    if (rc == 0 || rc == MDB_NOTFOUND) {
        mdb_cursor_close(c);
        mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
}

void store_live_reap(store_t *st)
{
    live_reap(st, true);
}

store_rc_t store_live_put(store_t *st, const char *name, const char *title)
{
    if (!st->live) return STORE_OK;
    char ibuf[1100], head[24];
    MDB_val k, v;
    if (index_key(name, ibuf, sizeof ibuf, &k) != 0) return STORE_ERR_IO;
    int hl = snprintf(head, sizeof head, "%ld", (long)getpid()) + 1; /* with its NUL */
    size_t tl = title ? strlen(title) : 0;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->live, NULL, 0, &txn);
    if (rc) return fail(st, "begin live", rc);
    v.mv_size = (size_t)hl + tl;
    if ((rc = mdb_put(txn, st->live_idx, &k, &v, MDB_RESERVE)) == 0) {
        memcpy(v.mv_data, head, (size_t)hl);
        if (tl) memcpy((char *)v.mv_data + hl, title, tl);
        rc = mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
    return rc ? fail(st, "list live room", rc) : STORE_OK;
}

store_rc_t store_live_del(store_t *st, const char *name)
{
    if (!st->live) return STORE_OK;
    char ibuf[1100];
    MDB_val k;
    if (index_key(name, ibuf, sizeof ibuf, &k) != 0) return STORE_OK;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->live, NULL, 0, &txn);
    if (rc) return fail(st, "begin live", rc);
    rc = mdb_del(txn, st->live_idx, &k, NULL);
    if (rc == 0) return (rc = mdb_txn_commit(txn)) ? fail(st, "unlist", rc) : STORE_OK;
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND ? STORE_OK : fail(st, "unlist live room", rc);
}

store_rc_t store_live_page(store_t *st, const char *after, const char *before, size_t max,
                           store_listed_t *out, size_t *n)
{
    *n = 0;
    if (!st->live) return STORE_OK;
    return page_of(st, st->live, st->live_idx, true, after, before, 0, max, out, n);
}

store_rc_t store_live_count(store_t *st, size_t *count)
{
    *count = 0;
    return st->live ? count_in(st, st->live, st->live_idx, count) : STORE_OK;
}

bool store_live_has(store_t *st, const char *name)
{
    return st->live && has_in(st->live, st->live_idx, name);
}
