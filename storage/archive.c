/* archive.c - the room archive (XEP-0313) in LMDB: see storage.h.
 *
 * "archive":      "room\0" + u64 BE sequence -> record (codec below)
 * "archive_ids":  "room\0" + stanza-id       -> u64 BE sequence
 * "archive_with": "room\0" + u64 BE FNV-1a hash of the nick + u64 BE
 *                 sequence -> "" (the sender index of `with` queries: a
 *                 fixed-size key whatever the nick's length; a page reads
 *                 the index and drops the rare other nick of equal hash)
 *
 * Every function runs one short transaction; with batching on
 * (store_set_batching), appends join the open batch transaction instead and
 * the reads go through it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"
#include "storage/store_internal.h"

#define ARCH_RECORD_V1   1 /* ts, id, nick, xml */
#define ARCH_RECORD_V2   2 /* and the sender's real JID ("": none) */
#define KEY_MAX          2048
#define PRUNE_PER_APPEND 64

/* ---- codec: u8 version, u64 ts, then id, nick, xml as u32 length + bytes */

static void be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void *codec_arch_encode(const store_arch_msg_t *m, size_t *len)
{
    const char *strs[] = {m->id ? m->id : "", m->nick ? m->nick : "",
                          m->xml ? m->xml : "", m->jid ? m->jid : ""};
    size_t n = 1 + 8;
    for (int i = 0; i < 4; i++) {
        if (strlen(strs[i]) > 0x7fffffffu) return NULL;
        n += 4 + strlen(strs[i]);
    }
    unsigned char *b = malloc(n), *p = b;
    if (!b) return NULL;
    *p++ = ARCH_RECORD_V2;
    be64(p, (uint64_t)m->ts_ms);
    p += 8;
    for (int i = 0; i < 4; i++) {
        uint32_t l = (uint32_t)strlen(strs[i]);
        p[0] = (unsigned char)(l >> 24), p[1] = (unsigned char)(l >> 16);
        p[2] = (unsigned char)(l >> 8), p[3] = (unsigned char)l;
        memcpy(p + 4, strs[i], l);
        p += 4 + l;
    }
    *len = n;
    return b;
}

int codec_arch_decode(const void *data, size_t len, store_arch_msg_t *m)
{
    const unsigned char *p = data, *end = p + len;
    memset(m, 0, sizeof *m);
    if (len < 9 || (p[0] != ARCH_RECORD_V1 && p[0] != ARCH_RECORD_V2)) return -1;
    int nstr = p[0] == ARCH_RECORD_V1 ? 3 : 4;
    m->ts_ms = (int64_t)rd64(p + 1);
    p += 9;
    char **strs[] = {&m->id, &m->nick, &m->xml, &m->jid};
    for (int i = 0; i < nstr; i++) {
        if (end - p < 4) goto bad;
        uint32_t l =
            (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        p += 4;
        if ((size_t)(end - p) < l || memchr(p, '\0', l)) goto bad;
        if (!(*strs[i] = strndup((const char *)p, l))) goto bad;
        p += l;
    }
    if (p != end) goto bad;
    if (m->jid && !*m->jid) { /* none */
        free(m->jid);
        m->jid = NULL;
    }
    return 0;
bad:
    store_arch_msgs_free(m, 1);
    memset(m, 0, sizeof *m);
    return -1;
}

void store_arch_msgs_free(store_arch_msg_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].id);
        free(m[i].nick);
        free(m[i].xml);
        free(m[i].jid);
    }
}

/* ---- keys ---------------------------------------------------------------- */

typedef struct arch_dbs {
    MDB_dbi arch, ids, with;
    bool has_with; /* false: a read-only store from before the index */
} arch_dbs_t;

static bool dbs_of(store_t *st, arch_dbs_t *d)
{
    if (!store_archive_dbis(st, &d->arch, &d->ids)) return false;
    d->has_with = store_archive_with_dbi(st, &d->with);
    return true;
}

static uint64_t nick_hash(const char *nick)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)nick; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return h;
}

/* "room\0" + 8 bytes of seq; or with tail, "room\0" + tail. */
static int room_key(const char *room, uint64_t seq, const char *tail, unsigned char *buf,
                    MDB_val *k)
{
    size_t rl = strlen(room), tl = tail ? strlen(tail) : 8;
    if (rl + 1 + tl > KEY_MAX || rl + 1 + tl > 511) return EINVAL; /* LMDB's key cap */
    memcpy(buf, room, rl + 1);
    if (tail)
        memcpy(buf + rl + 1, tail, tl);
    else
        be64(buf + rl + 1, seq);
    *k = (MDB_val){rl + 1 + tl, buf};
    return 0;
}

/* "room\0" + hash(nick) + seq: the sender index key. */
static int with_key(const char *room, const char *nick, uint64_t seq, unsigned char *buf,
                    MDB_val *k)
{
    size_t rl = strlen(room);
    if (rl + 1 + 16 > 511) return EINVAL;
    memcpy(buf, room, rl + 1);
    be64(buf + rl + 1, nick_hash(nick));
    be64(buf + rl + 9, seq);
    *k = (MDB_val){rl + 17, buf};
    return 0;
}

/* Whether k is an entry of the room whose prefix (with its \0) is plen long. */
static bool in_room(const MDB_val *k, const unsigned char *prefix, size_t plen)
{
    return k->mv_size == plen + 8 && memcmp(k->mv_data, prefix, plen) == 0;
}

static uint64_t key_seq(const MDB_val *k)
{
    return rd64((const unsigned char *)k->mv_data + k->mv_size - 8);
}

/* The room's first/last entry through cursor c (MDB_NOTFOUND when none). */
static int bounds_in(MDB_cursor *c, const char *room, uint64_t *first, uint64_t *last,
                     MDB_val *lastval)
{
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    int rc = room_key(room, 0, NULL, buf, &k);
    if (rc) return rc;
    size_t plen = k.mv_size - 8;
    if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) != 0) return rc;
    if (!in_room(&k, buf, plen)) return MDB_NOTFOUND;
    if (first) *first = key_seq(&k);
    room_key(room, UINT64_MAX, NULL, buf, &k);
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    rc = rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST)
                            : mdb_cursor_get(c, &k, &v, MDB_PREV);
    if (rc) return rc;
    if (!in_room(&k, buf, plen)) return MDB_NOTFOUND;
    *last = key_seq(&k);
    if (lastval) *lastval = v;
    return 0;
}

/* Deletes entry (k, v) of the archive and its index entries. */
static int del_entry(MDB_txn *txn, const arch_dbs_t *d, const char *room, MDB_cursor *c,
                     const MDB_val *k, const MDB_val *v)
{
    store_arch_msg_t m;
    int rc = 0;
    if (codec_arch_decode(v->mv_data, v->mv_size, &m) == 0) {
        unsigned char buf[KEY_MAX];
        MDB_val ik;
        if (room_key(room, 0, m.id, buf, &ik) == 0) rc = mdb_del(txn, d->ids, &ik, NULL);
        if ((rc == 0 || rc == MDB_NOTFOUND) && d->has_with &&
            with_key(room, m.nick, key_seq(k), buf, &ik) == 0)
            rc = mdb_del(txn, d->with, &ik, NULL);
        store_arch_msgs_free(&m, 1);
    }
    if (rc && rc != MDB_NOTFOUND) return rc;
    return mdb_cursor_del(c, 0);
}

/* Removes up to `limit` of the room's oldest entries: the `excess` first,
 * then (excess 0) those older than cutoff_ms. */
static int prune_room(MDB_txn *txn, const arch_dbs_t *d, const char *room,
                      uint64_t excess, int64_t cutoff_ms, size_t limit, size_t *removed)
{
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    MDB_cursor *c;
    int rc = room_key(room, 0, NULL, buf, &k);
    if (rc) return rc;
    size_t plen = k.mv_size - 8;
    if ((rc = mdb_cursor_open(txn, d->arch, &c)) != 0) return rc;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && *removed < limit && in_room(&k, buf, plen)) {
        if (excess == 0) {
            if (v.mv_size < 9) break;
            int64_t ts = (int64_t)rd64((const unsigned char *)v.mv_data + 1);
            if (ts >= cutoff_ms) break;
        } else {
            excess--;
        }
        if ((rc = del_entry(txn, d, room, c, &k, &v)) != 0) break;
        (*removed)++;
        rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
        if (rc == EINVAL) rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Puts message m as entry seq of the room with its index entries. */
static int put_entry(MDB_txn *txn, const arch_dbs_t *d, const char *room, uint64_t seq,
                     const store_arch_msg_t *m)
{
    unsigned char kbuf[KEY_MAX], ibuf[KEY_MAX], sbuf[8];
    MDB_val k, ik, v;
    size_t len = 0;
    void *rec = NULL;
    int rc = room_key(room, seq, NULL, kbuf, &k);
    if (rc == 0) rc = room_key(room, 0, m->id, ibuf, &ik);
    if (rc == 0 && !(rec = codec_arch_encode(m, &len))) rc = ENOMEM;
    if (rc == 0) {
        v = (MDB_val){len, rec};
        rc = mdb_put(txn, d->arch, &k, &v, 0);
    }
    free(rec);
    if (rc == 0) {
        be64(sbuf, seq);
        v = (MDB_val){8, sbuf};
        rc = mdb_put(txn, d->ids, &ik, &v, MDB_NOOVERWRITE);
    }
    if (rc == 0 && d->has_with &&
        with_key(room, m->nick ? m->nick : "", seq, ibuf, &ik) == 0) {
        v = (MDB_val){0, NULL};
        rc = mdb_put(txn, d->with, &ik, &v, 0);
    }
    return rc;
}

/* The append of e (its ts_ms raised to the room's last) inside txn: 0 or
 * an LMDB error (txn then unusable). */
static int append_in(MDB_txn *txn, const arch_dbs_t *d, const store_batch_entry_t *e,
                     uint64_t *seq)
{
    MDB_cursor *c;
    MDB_val lastv;
    uint64_t first = 0, last = 0;
    store_arch_msg_t m = {
        .ts_ms = e->ts_ms, .id = e->id, .nick = e->nick, .xml = e->xml, .jid = e->jid};
    int rc;
    if ((rc = mdb_cursor_open(txn, d->arch, &c)) == 0) {
        rc = bounds_in(c, e->room, &first, &last, &lastv);
        if (rc == 0 && lastv.mv_size >= 9) {
            int64_t lts = (int64_t)rd64((const unsigned char *)lastv.mv_data + 1);
            if (m.ts_ms < lts) m.ts_ms = lts; /* never backwards: bisection holds */
        }
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) rc = 0, first = 1, last = 0;
    }
    if (rc == 0) rc = put_entry(txn, d, e->room, last + 1, &m);
    size_t removed = 0;
    uint64_t count = last + 2 - first;
    if (rc == 0 && e->max_messages && count > e->max_messages)
        rc = prune_room(txn, d, e->room, count - e->max_messages, 0, PRUNE_PER_APPEND,
                        &removed);
    if (rc == 0) *seq = last + 1;
    return rc;
}

store_rc_t store_archive_append(store_t *st, const char *room, int64_t ts_ms,
                                const char *id, const char *nick, const char *jid,
                                const char *xml, uint64_t max_messages, uint64_t *seq)
{
    arch_dbs_t d;
    MDB_txn *txn;
    uint64_t s = 0;
    store_batch_entry_t e = {.room = (char *)room,
                             .ts_ms = ts_ms,
                             .id = (char *)id,
                             .nick = (char *)nick,
                             .jid = (char *)jid,
                             .xml = (char *)xml,
                             .max_messages = max_messages};
    if (!dbs_of(st, &d)) return store_fail(st, "archive", EINVAL);
    if (!store_batching(st)) {
        int rc = store_write_begin(st, &txn);
        if (rc) return store_fail(st, "begin", rc);
        rc = append_in(txn, &d, &e, &s);
        if (rc) {
            mdb_txn_abort(txn);
            return store_fail(st, "archive append", rc);
        }
        if ((rc = mdb_txn_commit(txn)) != 0) return store_fail(st, "commit", rc);
        if (seq) *seq = s;
        return STORE_OK;
    }
    /* batched (storage.h): into the open transaction, and logged for a replay */
    if (seq) *seq = 0;
    int rc = store_batch_begin(st, &txn);
    if (rc == 0) rc = append_in(txn, &d, &e, &s);
    if (rc == 0) rc = store_batch_log(st, &e);
    if (rc == 0) return STORE_OK;
    /* the failed write spoilt the transaction: abort it, and write again the
     * appends acknowledged before this one (they fitted then, so they fit
     * again); if that fails too they are lost, which store_commit reports */
    int err = rc;
    store_batch_rollback(st);
    size_t n;
    const store_batch_entry_t *log = store_batch_entries(st, &n);
    for (size_t i = 0; i < n; i++) {
        if ((rc = store_batch_begin(st, &txn)) == 0) rc = append_in(txn, &d, &log[i], &s);
        if (rc) {
            store_batch_abort(st, rc); /* clears the log */
            break;
        }
    }
    return store_fail(st, "archive append", err);
}

store_rc_t store_archive_import(store_t *st, const char *room,
                                const store_arch_msg_t *msgs, size_t n)
{
    arch_dbs_t d;
    MDB_txn *txn;
    MDB_cursor *c;
    uint64_t first = 0, last = 0;
    if (!dbs_of(st, &d)) return store_fail(st, "archive", EINVAL);
    int rc = store_write_begin(st, &txn);
    if (rc) return store_fail(st, "begin", rc);
    if ((rc = mdb_cursor_open(txn, d.arch, &c)) == 0) {
        rc = bounds_in(c, room, &first, &last, NULL);
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) rc = 0, last = 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = put_entry(txn, &d, room, last + 1 + i, &msgs[i]);
    if (rc) {
        mdb_txn_abort(txn);
        return store_fail(st, "archive import", rc);
    }
    if ((rc = mdb_txn_commit(txn)) != 0) return store_fail(st, "commit", rc);
    return STORE_OK;
}

int archive_with_backfill(MDB_txn *txn, MDB_dbi archive, MDB_dbi with)
{
    MDB_cursor *c;
    MDB_val k, v, e = {0, NULL};
    int rc = mdb_cursor_open(txn, archive, &c);
    if (rc) return rc;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *room = k.mv_data;
        store_arch_msg_t m;
        unsigned char buf[KEY_MAX];
        MDB_val wk;
        if (k.mv_size < 9 || memchr(room, '\0', k.mv_size) != room + k.mv_size - 9 ||
            codec_arch_decode(v.mv_data, v.mv_size, &m) != 0)
            continue; /* not an entry this version wrote: left alone */
        if (with_key(room, m.nick, key_seq(&k), buf, &wk) == 0)
            rc = mdb_put(txn, with, &wk, &e, 0);
        store_arch_msgs_free(&m, 1);
        if (rc) break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Opens a read transaction and an archive cursor. */
static store_rc_t read_begin(store_t *st, MDB_txn **txn, MDB_cursor **c, MDB_dbi *ids)
{
    MDB_dbi arch, idb;
    if (!store_archive_dbis(st, &arch, &idb)) return STORE_ERR_NOTFOUND;
    /* with a batch open, through it: the pending appends are seen */
    MDB_txn *batch = store_batch_txn(st);
    int rc =
        batch ? (*txn = batch, 0) : mdb_txn_begin(store_env(st), NULL, MDB_RDONLY, txn);
    if (rc) return store_fail(st, "begin", rc);
    if ((rc = mdb_cursor_open(*txn, arch, c)) != 0) {
        if (!batch) mdb_txn_abort(*txn);
        return store_fail(st, "cursor", rc);
    }
    if (ids) *ids = idb;
    return STORE_OK;
}

static void read_end(store_t *st, MDB_txn *txn, MDB_cursor *c)
{
    mdb_cursor_close(c);
    if (txn != store_batch_txn(st)) mdb_txn_abort(txn);
}

static store_rc_t read_rc(store_t *st, int rc, const char *what)
{
    if (rc == 0) return STORE_OK;
    if (rc == MDB_NOTFOUND) return STORE_ERR_NOTFOUND;
    return store_fail(st, what, rc);
}

store_rc_t store_archive_bounds(store_t *st, const char *room, uint64_t *first,
                                uint64_t *last)
{
    MDB_txn *txn;
    MDB_cursor *c;
    store_rc_t src = read_begin(st, &txn, &c, NULL);
    if (src) return src;
    int rc = bounds_in(c, room, first, last, NULL);
    read_end(st, txn, c);
    return read_rc(st, rc, "archive bounds");
}

store_rc_t store_archive_seq_of(store_t *st, const char *room, const char *id,
                                uint64_t *seq)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_dbi ids;
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    if (room_key(room, 0, id, buf, &k) != 0) return STORE_ERR_NOTFOUND;
    store_rc_t src = read_begin(st, &txn, &c, &ids);
    if (src) return src;
    int rc = mdb_get(txn, ids, &k, &v);
    if (rc == 0 && v.mv_size != 8) rc = MDB_NOTFOUND;
    if (rc == 0) *seq = rd64(v.mv_data);
    read_end(st, txn, c);
    return read_rc(st, rc, "archive id");
}

/* The timestamp of the first entry at or after seq (c positioned there). */
static int ts_at(MDB_cursor *c, const char *room, uint64_t seq, int64_t *ts)
{
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    room_key(room, seq, NULL, buf, &k);
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc) return rc;
    if (!in_room(&k, buf, strlen(room) + 1) || v.mv_size < 9) return MDB_NOTFOUND;
    *ts = (int64_t)rd64((const unsigned char *)v.mv_data + 1);
    return 0;
}

store_rc_t store_archive_seq_at(store_t *st, const char *room, int64_t ts_ms,
                                uint64_t *seq)
{
    MDB_txn *txn;
    MDB_cursor *c;
    uint64_t lo, hi;
    store_rc_t src = read_begin(st, &txn, &c, NULL);
    if (src) return src;
    int rc = bounds_in(c, room, &lo, &hi, NULL);
    hi++; /* answer in [lo, hi]: hi = none */
    while (rc == 0 && lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int64_t ts;
        if ((rc = ts_at(c, room, mid, &ts)) != 0) break;
        if (ts >= ts_ms)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (rc == 0) *seq = lo;
    read_end(st, txn, c);
    return read_rc(st, rc, "archive time");
}

store_rc_t store_archive_get(store_t *st, const char *room, uint64_t seq,
                             store_arch_msg_t *out)
{
    MDB_txn *txn;
    MDB_cursor *c;
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    if (room_key(room, seq, NULL, buf, &k) != 0) return STORE_ERR_NOTFOUND;
    store_rc_t src = read_begin(st, &txn, &c, NULL);
    if (src) return src;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
    store_rc_t out_rc = read_rc(st, rc, "archive get");
    if (rc == 0) {
        if (codec_arch_decode(v.mv_data, v.mv_size, out) != 0) {
            out_rc = STORE_ERR_CORRUPT;
        } else {
            out->seq = seq;
        }
    }
    read_end(st, txn, c);
    return out_rc;
}

/* Reads a page within txn: over the archive itself, or (by_index) over
 * the sender index, each entry then read from the archive; see
 * store_archive_page. 0 or an LMDB error. */
static int page_in(MDB_txn *txn, const arch_dbs_t *d, const char *room, uint64_t lo,
                   uint64_t hi, bool backward, const char *nick, bool by_index,
                   size_t max, size_t scan, store_arch_msg_t *out, size_t *n, bool *more)
{
    unsigned char buf[KEY_MAX], abuf[KEY_MAX];
    MDB_val k, v, ak;
    MDB_cursor *c;
    uint64_t at = backward ? hi : lo;
    int rc =
        by_index ? with_key(room, nick, at, buf, &k) : room_key(room, at, NULL, buf, &k);
    if (rc) return 0; /* a name no entry can have */
    size_t plen = k.mv_size - 8;
    if ((rc = mdb_cursor_open(txn, by_index ? d->with : d->arch, &c)) != 0) return rc;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (backward) {
        if (rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
        else if (rc == 0 && !(in_room(&k, buf, plen) && key_seq(&k) == hi))
            rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    }
    size_t read = 0;
    for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, backward ? MDB_PREV : MDB_NEXT)) {
        if (!in_room(&k, buf, plen)) break;
        uint64_t s = key_seq(&k);
        if (s < lo || s > hi) break;
        if (*n == max || read == scan) {
            *more = true; /* by index: rarely a same-hash nick's entry */
            break;
        }
        read++;
        if (by_index) {
            room_key(room, s, NULL, abuf, &ak);
            int grc = mdb_get(txn, d->arch, &ak, &v);
            if (grc == MDB_NOTFOUND) continue;
            if (grc) {
                rc = grc;
                break;
            }
        }
        store_arch_msg_t m;
        if (codec_arch_decode(v.mv_data, v.mv_size, &m) != 0) continue; /* skipped */
        if (nick && strcmp(nick, m.nick) != 0) { /* scanning, or a same-hash nick */
            store_arch_msgs_free(&m, 1);
            continue;
        }
        m.seq = s;
        out[(*n)++] = m;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

store_rc_t store_archive_page(store_t *st, const char *room, uint64_t lo, uint64_t hi,
                              bool backward, const char *nick, size_t max, size_t scan,
                              store_arch_msg_t *out, size_t *n, bool *more)
{
    MDB_txn *txn;
    MDB_cursor *c;
    arch_dbs_t d;
    *n = 0;
    *more = false;
    if (lo > hi || lo == 0 || !dbs_of(st, &d)) return STORE_OK;
    store_rc_t src = read_begin(st, &txn, &c, NULL);
    if (src) return src == STORE_ERR_NOTFOUND ? STORE_OK : src;
    bool by_index = nick && d.has_with;
    int rc = page_in(txn, &d, room, lo, hi, backward, nick, by_index, max,
                     by_index ? SIZE_MAX : scan, out, n, more);
    read_end(st, txn, c);
    if (rc) {
        store_arch_msgs_free(out, *n);
        *n = 0;
        return store_fail(st, "archive page", rc);
    }
    return STORE_OK;
}

int archive_delete_room(store_t *st, MDB_txn *txn, const char *room)
{
    arch_dbs_t d;
    if (!dbs_of(st, &d)) return 0;
    MDB_dbi dbis[] = {d.arch, d.ids, d.with};
    unsigned char buf[KEY_MAX];
    MDB_val k, v;
    if (room_key(room, 0, "", buf, &k) != 0) return 0; /* "room\0": every prefix */
    size_t plen = k.mv_size;
    for (int i = 0; i < (d.has_with ? 3 : 2); i++) {
        MDB_cursor *c;
        int rc = mdb_cursor_open(txn, dbis[i], &c);
        if (rc) return rc;
        k = (MDB_val){plen, buf};
        for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT)) {
            if (k.mv_size < plen || memcmp(k.mv_data, buf, plen) != 0) break;
            if ((rc = mdb_cursor_del(c, 0)) != 0) break;
        }
        mdb_cursor_close(c);
        if (rc && rc != MDB_NOTFOUND && rc != EINVAL) return rc;
    }
    return 0;
}

store_rc_t store_archive_prune_age(store_t *st, int64_t cutoff_ms, size_t budget,
                                   char *resume, size_t resume_cap, size_t *removed)
{
    arch_dbs_t d;
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    *removed = 0;
    if (!dbs_of(st, &d)) return STORE_OK;
    int rc = store_write_begin(st, &txn);
    if (rc) return store_fail(st, "begin", rc);
    char room[KEY_MAX];
    size_t rooms = 0;
    snprintf(room, sizeof room, "%s", resume);
    while (rc == 0 && *removed < budget && rooms++ < 64) {
        /* the first entry at or after "room\0" + seq 0 is this room's or the next's */
        unsigned char buf[KEY_MAX];
        if (room[0] && room_key(room, 0, NULL, buf, &k) != 0) {
            room[0] = '\0';
            break;
        }
        if ((rc = mdb_cursor_open(txn, d.arch, &c)) != 0) break;
        rc = room[0] ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)
                     : mdb_cursor_get(c, &k, &v, MDB_FIRST);
        if (rc == 0) snprintf(room, sizeof room, "%s", (const char *)k.mv_data);
        mdb_cursor_close(c);
        if (rc == MDB_NOTFOUND) {
            room[0] = '\0'; /* wrapped: the next call starts again */
            rc = 0;
            break;
        }
        if (rc) break;
        rc = prune_room(txn, &d, room, 0, cutoff_ms, budget, removed);
        if (rc) break;
        if (*removed < budget) { /* done with this room: on to the next */
            size_t rl = strlen(room);
            if (rl + 2 > sizeof room) break;
            room[rl] = '\x01'; /* "room\x01" sorts after every "room\0..." key */
            room[rl + 1] = '\0';
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return store_fail(st, "archive prune", rc);
    }
    if ((rc = mdb_txn_commit(txn)) != 0) return store_fail(st, "commit", rc);
    snprintf(resume, resume_cap, "%s", room);
    return STORE_OK;
}

/* ---- retraction (XEP-0424/0425; feat_moderation.c) ---------------------- */

store_rc_t store_archive_replace(store_t *st, const char *room, const char *id,
                                 const char *xml)
{
    MDB_dbi arch, ids;
    MDB_txn *txn;
    unsigned char kbuf[KEY_MAX], ibuf[KEY_MAX];
    MDB_val k, ik, v;
    if (!store_archive_dbis(st, &arch, &ids)) return STORE_ERR_NOTFOUND;
    if (room_key(room, 0, id, ibuf, &ik) != 0) return STORE_ERR_NOTFOUND;
    int rc = store_write_begin(st, &txn);
    if (rc) return store_fail(st, "begin", rc);
    rc = mdb_get(txn, ids, &ik, &v);
    if (rc == 0 && v.mv_size != 8) rc = MDB_NOTFOUND;
    if (rc == 0) rc = room_key(room, rd64(v.mv_data), NULL, kbuf, &k);
    if (rc == 0) rc = mdb_get(txn, arch, &k, &v);
    store_arch_msg_t m = {0};
    void *rec = NULL;
    size_t len = 0;
    if (rc == 0 && codec_arch_decode(v.mv_data, v.mv_size, &m) != 0) rc = MDB_CORRUPTED;
    if (rc == 0) {
        char *old = m.xml;
        m.xml = (char *)xml; /* same sequence, stamp, id and nick: gapless */
        if (!(rec = codec_arch_encode(&m, &len))) rc = ENOMEM;
        m.xml = old;
    }
    store_arch_msgs_free(&m, 1);
    if (rc == 0) {
        v = (MDB_val){len, rec};
        rc = mdb_put(txn, arch, &k, &v, 0);
    }
    free(rec);
    if (rc) {
        mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND) return STORE_ERR_NOTFOUND;
        return store_fail(st, "archive replace", rc);
    }
    if ((rc = mdb_txn_commit(txn)) != 0) return store_fail(st, "commit", rc);
    return STORE_OK;
}
