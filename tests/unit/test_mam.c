/* test_mam.c - the room archive (XEP-0313, urn:xmpp:mam:2): storage,
 * writing on broadcast, queries with every filter and RSM edge, who may
 * query, semi-anonymity of results, the archive switch, retention by count
 * and by age (a fake clock), restarts and deletion with the room. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/archive.h"
#include "muc/muc.h"
#include "muc/stanza.h"
#include "storage/storage.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

#define NMSG 25

static time_t fake_time = 1700000000;
static time_t fake_now(void)
{
    return fake_time;
}

/* The stanza-ids of the messages said (say_many), by index. */
static char msg_ids[NMSG + 8][IDS_STANZA_ID_SIZE];

/* The cmocka prestate of setup and setup_tiny; the second run batches the
 * archive writes, as the link does. */
static sfx_config_t config = {.opts = {.max_nick_length = 20, .history_length = 20},
                              .now = fake_now};

static int reset(void)
{
    fake_time = 1700000000;
    memset(msg_ids, 0, sizeof msg_ids);
    return 0;
}

static int setup(void **state)
{
    return reset() + sfx_setup(state);
}

static int setup_tiny(void **state)
{
    return reset() + sfx_setup_tiny(state);
}

/* ---- helpers ---------------------------------------------------------- */

static void persistent_room(sfx_t *p)
{
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
}

/* NMSG messages, ten seconds apart, Alice the even ones, Bob the odd. */
static void say_many(sfx_t *p, int n)
{
    for (int i = 0; i < n; i++) {
        char body[32];
        snprintf(body, sizeof body, "message %d", i);
        sfx_say(p->fx, i % 2 ? BOB : ALICE, body, msg_ids[i]);
        fake_time += 10;
    }
}

typedef struct res {
    size_t n;
    char ids[120][IDS_STANZA_ID_SIZE];
    xmpp_stanza_t *iq; /* the last stanza (borrowed from the capture) */
    const char *complete;
    char first[64], last[64];
    long count; /* -1: absent */
    char first_index[16];
} res_t;

static void child_text(xmpp_stanza_t *set, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    xmpp_stanza_t *c = set ? xmpp_stanza_get_child_by_name(set, name) : NULL;
    char *t = c ? xmpp_stanza_get_text(c) : NULL;
    if (t) snprintf(out, n, "%s", t);
    if (t) xmpp_free(xmpp_stanza_get_context(c), t);
}

/* Sends a MAM query from `from` with the form fields and the RSM <set/>
 * contents; fills r from the answer. Returns the number of stanzas sent. */
static size_t query(sfx_t *p, const char *from, const char *fields, const char *set,
                    bool flip, res_t *r)
{
    fixture_t *fx = p->fx;
    static char xml[8192];
    memset(r, 0, sizeof *r);
    r->count = -1;
    capture_clear(&fx->cap);
    snprintf(xml, sizeof xml,
             "<iq type='set' id='q1' from='%s' to='" ROOM "'><query xmlns='" NS_MAM
             "' queryid='Q7'><x xmlns='" NS_DATA "' type='submit'><field var='FORM_TYPE' "
             "type='hidden'><value>" NS_MAM "</value></field>%s</x>%s%s%s%s</query></iq>",
             from, fields ? fields : "", set ? "<set xmlns='" NS_RSM "'>" : "",
             set ? set : "", set ? "</set>" : "", flip ? "<flip-page/>" : "");
    size_t sent = fixture_feed(fx, xml);
    assert_true(sent >= 1);
    for (size_t i = 0; i + 1 < sent; i++) {
        xmpp_stanza_t *m = capture_at(&fx->cap, i);
        assert_string_equal(xmpp_stanza_get_name(m), "message");
        assert_attr(m, "to", from);
        assert_attr(m, "from", ROOM);
        xmpp_stanza_t *res = xmpp_stanza_get_child_by_name_and_ns(m, "result", NS_MAM);
        assert_non_null(res);
        assert_attr(res, "queryid", "Q7");
        xmpp_stanza_t *fw =
            xmpp_stanza_get_child_by_name_and_ns(res, "forwarded", NS_FORWARD);
        assert_non_null(fw);
        assert_non_null(xmpp_stanza_get_child_by_name_and_ns(fw, "delay", NS_DELAY));
        xmpp_stanza_t *inner = xmpp_stanza_get_child_by_name(fw, "message");
        assert_non_null(inner);
        assert_string_equal(xmpp_stanza_get_ns(inner), "jabber:client");
        xmpp_stanza_t *sid =
            xmpp_stanza_get_child_by_name_and_ns(inner, "stanza-id", NS_SID);
        assert_non_null(sid);
        assert_string_equal(xmpp_stanza_get_id(sid), xmpp_stanza_get_id(res));
        snprintf(r->ids[r->n++], IDS_STANZA_ID_SIZE, "%s", xmpp_stanza_get_id(res));
    }
    r->iq = capture_at(&fx->cap, sent - 1);
    if (strcmp(xmpp_stanza_get_type(r->iq), "result") == 0) {
        xmpp_stanza_t *fin = xmpp_stanza_get_child_by_name_and_ns(r->iq, "fin", NS_MAM);
        assert_non_null(fin);
        r->complete = xmpp_stanza_get_attribute(fin, "complete");
        xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(fin, "set", NS_RSM);
        assert_non_null(s);
        char c[32];
        child_text(s, "first", r->first, sizeof r->first);
        child_text(s, "last", r->last, sizeof r->last);
        child_text(s, "count", c, sizeof c);
        if (c[0]) r->count = atol(c);
        xmpp_stanza_t *f = xmpp_stanza_get_child_by_name(s, "first");
        const char *idx = f ? xmpp_stanza_get_attribute(f, "index") : NULL;
        if (idx) snprintf(r->first_index, sizeof r->first_index, "%s", idx);
    }
    return sent;
}

/* r holds exactly the messages lo..hi (indexes into msg_ids), in order. */
static void assert_page(const res_t *r, int lo, int hi, const char *complete)
{
    assert_int_equal(r->n, hi >= lo ? hi - lo + 1 : 0);
    for (int i = lo; i <= hi; i++)
        assert_string_equal(r->ids[i - lo], msg_ids[i]);
    assert_non_null(r->complete);
    assert_string_equal(r->complete, complete);
    if (r->n) {
        assert_string_equal(r->first, r->ids[0]);
        assert_string_equal(r->last, r->ids[r->n - 1]);
    } else {
        assert_string_equal(r->first, "");
        assert_string_equal(r->last, "");
    }
}

static void expect_error(sfx_t *p, const char *from, const char *fields, const char *set,
                         const char *type, const char *cond)
{
    res_t r;
    assert_int_equal(query(p, from, fields, set, false, &r), 1);
    assert_stanza_error(r.iq, type, cond);
}

#define F(var, value) "<field var='" var "'><value>" value "</value></field>"

/* ---- storage ------------------------------------------------------------ */

static void test_store_codec_and_api(void **state)
{
    sfx_t *p = *state;
    store_set_batching(p->st, false); /* it reads the sequences appends give */
    store_arch_msg_t m = {.ts_ms = 12345,
                          .id = "abc",
                          .nick = "Nick",
                          .xml = "<message/>",
                          .jid = "bob@localhost/pda"},
                     out;
    size_t len;
    unsigned char *buf = codec_arch_encode(&m, &len);
    assert_non_null(buf);
    assert_int_equal(codec_arch_decode(buf, len, &out), 0);
    assert_int_equal(out.ts_ms, 12345);
    assert_string_equal(out.nick, "Nick");
    assert_string_equal(out.jid, "bob@localhost/pda");
    store_arch_msgs_free(&out, 1);
    for (size_t n = 0; n < len; n++) /* every truncation fails */
        assert_int_equal(codec_arch_decode(buf, n, &out), -1);
    buf[0] = 3; /* a version from the future */
    assert_int_equal(codec_arch_decode(buf, len, &out), -1);
    free(buf);
    /* no JID (the room's own): none after decoding */
    m.jid = NULL;
    buf = codec_arch_encode(&m, &len);
    assert_int_equal(codec_arch_decode(buf, len, &out), 0);
    assert_null(out.jid);
    store_arch_msgs_free(&out, 1);
    /* a v1 record (before the JID): the same less its last string */
    buf[0] = 1;
    assert_int_equal(codec_arch_decode(buf, len - 4, &out), 0);
    assert_string_equal(out.xml, "<message/>");
    assert_null(out.jid);
    store_arch_msgs_free(&out, 1);
    assert_int_equal(codec_arch_decode(buf, len, &out), -1); /* v1 with 4 strings */
    free(buf);

    uint64_t first, last, seq;
    assert_int_equal(store_archive_bounds(p->st, "r", &first, &last), STORE_ERR_NOTFOUND);
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "id%d", i);
        /* the clock goes back at i = 3: the timestamp is kept monotonic */
        assert_int_equal(store_archive_append(p->st, "r", i == 3 ? 0 : i * 1000, id, "n",
                                              NULL, "<message/>", 0, &seq),
                         STORE_OK);
        assert_int_equal(seq, (uint64_t)i + 1);
    }
    /* another room with a name that is a prefix is separate */
    assert_int_equal(
        store_archive_append(p->st, "rr", 0, "x", "n", NULL, "<m/>", 0, &seq), STORE_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(store_archive_bounds(p->st, "r", &first, &last), STORE_OK);
    assert_int_equal(first, 1);
    assert_int_equal(last, 5);
    assert_int_equal(store_archive_seq_of(p->st, "r", "id2", &seq), STORE_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(store_archive_seq_of(p->st, "r", "x", &seq), STORE_ERR_NOTFOUND);
    assert_int_equal(store_archive_seq_at(p->st, "r", 2000, &seq), STORE_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(store_archive_seq_at(p->st, "r", 2001, &seq), STORE_OK);
    assert_int_equal(seq, 5); /* 4 was clamped to 2000 */
    assert_int_equal(store_archive_seq_at(p->st, "r", 99999, &seq), STORE_OK);
    assert_int_equal(seq, 6);
    store_arch_msg_t page[4];
    size_t n;
    bool more;
    assert_int_equal(
        store_archive_page(p->st, "r", 2, 5, true, NULL, 2, 3, page, &n, &more),
        STORE_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    assert_int_equal(page[0].seq, 5);
    assert_int_equal(page[1].seq, 4);
    store_arch_msgs_free(page, n);
    /* pruning by age, in budgets of 2 */
    char resume[64] = "";
    size_t removed;
    assert_int_equal(
        store_archive_prune_age(p->st, 1500, 1, resume, sizeof resume, &removed),
        STORE_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(
        store_archive_prune_age(p->st, 1500, 5, resume, sizeof resume, &removed),
        STORE_OK);
    assert_int_equal(removed, 2); /* "r" 2nd and "rr"'s */
    assert_int_equal(store_archive_bounds(p->st, "r", &first, &last), STORE_OK);
    assert_int_equal(first, 3);
    assert_int_equal(store_archive_seq_of(p->st, "r", "id0", &seq), STORE_ERR_NOTFOUND);
    assert_int_equal(store_archive_bounds(p->st, "rr", &first, &last),
                     STORE_ERR_NOTFOUND);
    /* deleted with the room */
    assert_int_equal(store_room_delete(p->st, "r"), STORE_OK);
    assert_int_equal(store_archive_bounds(p->st, "r", &first, &last), STORE_ERR_NOTFOUND);
    assert_int_equal(store_archive_seq_of(p->st, "r", "id4", &seq), STORE_ERR_NOTFOUND);
}

/* Entries in the store's sender index, read with LMDB itself. */
static size_t with_entries(sfx_t *p)
{
    store_close(p->st);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_stat s = {0};
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, p->dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "archive_with", 0, &dbi), 0);
    assert_int_equal(mdb_stat(txn, dbi, &s), 0);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    p->st = sfx_store_open(p->dir, p->cfg.map, false);
    return s.ms_entries;
}

/* Drops the sender index, as in a store written before it. */
static void drop_with_index(sfx_t *p)
{
    store_close(p->st);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, p->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "archive_with", 0, &dbi), 0);
    assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* `nick`'s entries of room "r" from lo, forward, up to max: their seqs. */
static size_t by_nick(sfx_t *p, const char *nick, uint64_t lo, bool backward, size_t max,
                      uint64_t *seqs, bool *more)
{
    store_arch_msg_t page[16];
    size_t n;
    assert_true(max <= 16);
    assert_int_equal(store_archive_page(p->st, "r", lo, UINT64_MAX - 1, backward, nick,
                                        max, 1, page, &n, more),
                     STORE_OK);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(page[i].nick, nick);
        seqs[i] = page[i].seq;
    }
    store_arch_msgs_free(page, n);
    return n;
}

/* `with` reads the sender index (the scan bound of 1 given to by_nick
 * would stop a scan at once): pages of one nick among many, long nicks,
 * the index kept by retention and deletion, and built for a store from
 * before it. */
static void test_with_index(void **state)
{
    sfx_t *p = *state;
    store_set_batching(p->st, false);
    static char longnick[1001];
    memset(longnick, 'n', 1000);
    const char *nicks[] = {"a", "b", "c", longnick};
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "id%02d", i);
        assert_int_equal(store_archive_append(p->st, "r", i * 1000, id, nicks[i % 4],
                                              NULL, "<message/>", 0, NULL),
                         STORE_OK);
    }
    uint64_t seqs[16];
    bool more;
    assert_int_equal(by_nick(p, "b", 1, false, 3, seqs, &more), 3);
    assert_int_equal(seqs[0], 2);
    assert_int_equal(seqs[2], 10);
    assert_true(more);
    assert_int_equal(by_nick(p, "b", 31, false, 16, seqs, &more), 2); /* 34 38 */
    assert_int_equal(seqs[0], 34);
    assert_false(more);
    assert_int_equal(by_nick(p, longnick, 1, true, 2, seqs, &more), 2);
    assert_int_equal(seqs[0], 40);
    assert_int_equal(seqs[1], 36);
    assert_int_equal(by_nick(p, "nobody", 1, false, 16, seqs, &more), 0);
    assert_false(more);
    assert_int_equal(with_entries(p), 40);
    /* retention removes index entries with the messages */
    assert_int_equal(store_archive_append(p->st, "r", 99000, "id40", "a", NULL,
                                          "<message/>", 30, NULL),
                     STORE_OK);
    assert_int_equal(with_entries(p), 30);
    assert_int_equal(by_nick(p, "a", 1, false, 16, seqs, &more), 8);
    assert_int_equal(seqs[0], 13);
    /* a store from before the index gets it built on opening */
    drop_with_index(p);
    p->st = sfx_store_open(p->dir, p->cfg.map, false);
    assert_int_equal(with_entries(p), 30);
    assert_int_equal(by_nick(p, "c", 1, false, 16, seqs, &more), 7);
    assert_int_equal(seqs[0], 15);
    /* deleted with the room */
    assert_int_equal(store_room_delete(p->st, "r"), STORE_OK);
    assert_int_equal(with_entries(p), 0);
}

/* ---- paging --------------------------------------------------------------- */

static void test_empty_archive(void **state)
{
    sfx_t *p = *state;
    res_t r;
    persistent_room(p);
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 0, -1, "true");
    assert_int_equal(r.count, 0);
    query(p, BOB, NULL, "<before/>", false, &r);
    assert_page(&r, 0, -1, "true");
}

static void test_page_forward(void **state)
{
    sfx_t *p = *state;
    res_t r;
    char set[256];
    persistent_room(p);
    say_many(p, NMSG);
    query(p, BOB, NULL, "<max>10</max>", false, &r);
    assert_page(&r, 0, 9, "false");
    assert_int_equal(r.count, NMSG);
    assert_string_equal(r.first_index, "0");
    snprintf(set, sizeof set, "<max>10</max><after>%s</after>", r.last);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 10, 19, "false");
    assert_string_equal(r.first_index, "10");
    snprintf(set, sizeof set, "<max>10</max><after>%s</after>", r.last);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 20, 24, "true");
    /* after the last */
    snprintf(set, sizeof set, "<max>10</max><after>%s</after>", msg_ids[NMSG - 1]);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 0, -1, "true");
    assert_int_equal(r.count, NMSG);
    /* exactly max */
    query(p, BOB, NULL, "<max>25</max>", false, &r);
    assert_page(&r, 0, 24, "true");
    /* no RSM: the cap (all 25 here) */
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 0, 24, "true");
    /* max 0: only the count */
    query(p, BOB, NULL, "<max>0</max>", false, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.count, NMSG);
    /* index */
    query(p, BOB, NULL, "<max>3</max><index>4</index>", false, &r);
    assert_page(&r, 4, 6, "false");
}

static void test_page_backward(void **state)
{
    sfx_t *p = *state;
    res_t r;
    char set[256];
    persistent_room(p);
    say_many(p, NMSG);
    query(p, BOB, NULL, "<max>10</max><before/>", false, &r);
    assert_page(&r, 15, 24, "false");
    assert_int_equal(r.count, NMSG);
    snprintf(set, sizeof set, "<max>10</max><before>%s</before>", r.first);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 5, 14, "false");
    snprintf(set, sizeof set, "<max>10</max><before>%s</before>", r.first);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 0, 4, "true");
    /* before the first */
    snprintf(set, sizeof set, "<max>10</max><before>%s</before>", msg_ids[0]);
    query(p, BOB, NULL, set, false, &r);
    assert_page(&r, 0, -1, "true");
    /* exactly the whole archive backwards */
    query(p, BOB, NULL, "<max>25</max><before/>", false, &r);
    assert_page(&r, 0, 24, "true");
    /* flip-page: the same page, newest first */
    query(p, BOB, NULL, "<max>3</max><before/>", true, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.ids[0], msg_ids[24]);
    assert_string_equal(r.ids[2], msg_ids[22]);
    assert_string_equal(r.first, msg_ids[24]);
    assert_string_equal(r.last, msg_ids[22]);
    assert_string_equal(r.complete, "false");
    /* unknown RSM ids */
    expect_error(p, BOB, NULL, "<after>nope</after>", "cancel", "item-not-found");
    expect_error(p, BOB, NULL, "<before>nope</before>", "cancel", "item-not-found");
    expect_error(p, BOB, NULL, "<max>x</max>", "modify", "bad-request");
}

/* ---- filters -------------------------------------------------------------- */

static void test_filters(void **state)
{
    sfx_t *p = *state;
    res_t r;
    char fields[1024], stamp[32];
    persistent_room(p);
    time_t t0 = fake_time;
    say_many(p, NMSG);
    /* start/end: messages 5..7 */
    char end[32];
    muc_format_datetime(t0 + 50, stamp, sizeof stamp);
    muc_format_datetime(t0 + 70, end, sizeof end);
    snprintf(fields, sizeof fields,
             "<field var='start'><value>%s</value></field>"
             "<field var='end'><value>%s</value></field>",
             stamp, end);
    query(p, BOB, fields, NULL, false, &r);
    assert_page(&r, 5, 7, "true");
    assert_int_equal(r.count, 3);
    /* start only, in pages */
    snprintf(fields, sizeof fields, "<field var='start'><value>%s</value></field>", end);
    query(p, BOB, fields, "<max>5</max>", false, &r);
    assert_page(&r, 7, 11, "false");
    assert_int_equal(r.count, NMSG - 7);
    expect_error(p, BOB, F("start", "yesterday"), NULL, "modify", "bad-request");
    expect_error(p, BOB, F("end", "2024-13-01T00:00:00Z"), NULL, "modify", "bad-request");
    /* after-id / before-id */
    snprintf(fields, sizeof fields,
             "<field var='after-id'><value>%s</value></field>"
             "<field var='before-id'><value>%s</value></field>",
             msg_ids[2], msg_ids[6]);
    query(p, BOB, fields, NULL, false, &r);
    assert_page(&r, 3, 5, "true");
    assert_int_equal(r.count, 3);
    expect_error(p, BOB, F("after-id", "unknown"), NULL, "cancel", "item-not-found");
    expect_error(p, BOB, F("before-id", "unknown"), NULL, "cancel", "item-not-found");
    /* with an occupant JID: Bob said the odd ones */
    query(p, ALICE, F("with", ROOM "/Bob"), "<max>4</max>", false, &r);
    assert_int_equal(r.n, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(r.ids[i], msg_ids[2 * i + 1]);
    assert_string_equal(r.complete, "false");
    assert_int_equal(r.count, -1); /* no count for a scanning filter */
    char set[256];
    snprintf(set, sizeof set, "<max>100</max><after>%s</after>", r.last);
    query(p, ALICE, F("with", ROOM "/Bob"), set, false, &r);
    assert_int_equal(r.n, 8);
    assert_string_equal(r.ids[7], msg_ids[23]);
    assert_string_equal(r.complete, "true");
    query(p, ALICE, F("with", ROOM "/Bob"), "<max>3</max><before/>", false, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.ids[0], msg_ids[19]);
    assert_string_equal(r.ids[2], msg_ids[23]);
    /* a real JID or another room's occupant matches nothing */
    query(p, ALICE, F("with", "bob@localhost"), NULL, false, &r);
    assert_page(&r, 0, -1, "true");
    query(p, ALICE, F("with", "other@" FX_DOMAIN "/Bob"), NULL, false, &r);
    assert_page(&r, 0, -1, "true");
    expect_error(p, BOB, F("with", "@@"), NULL, "modify", "bad-request");
    /* ids: in archive order whatever the order asked */
    snprintf(fields, sizeof fields,
             "<field var='ids'><value>%s</value><value>%s</value></field>", msg_ids[9],
             msg_ids[4]);
    query(p, BOB, fields, NULL, false, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.ids[0], msg_ids[4]);
    assert_string_equal(r.ids[1], msg_ids[9]);
    assert_string_equal(r.complete, "true");
    snprintf(fields, sizeof fields,
             "<field var='ids'><value>%s</value><value>nope</value></field>", msg_ids[1]);
    expect_error(p, BOB, fields, NULL, "cancel", "item-not-found");
}

/* ---- who may query, the switch -------------------------------------------- */

static void test_permissions(void **state)
{
    sfx_t *p = *state;
    res_t r;
    persistent_room(p);
    say_many(p, 3);
    /* a public, open room: anyone not banned */
    query(p, CAROL, NULL, NULL, false, &r);
    assert_page(&r, 0, 2, "true");
    fixture_feed(p->fx, ADMIN_SET(ALICE, "b", AFF_ITEM("carol@localhost", "outcast")));
    expect_error(p, CAROL, NULL, NULL, "auth", "forbidden");
    /* members-only: occupants only */
    fixture_feed(p->fx, CONFIG(ALICE, "c3", FIELD("membersonly", "1")));
    expect_error(p, "dave@localhost/d", NULL, NULL, "auth", "forbidden");
    query(p, ALICE, NULL, NULL, false, &r);
    assert_page(&r, 0, 2, "true");
    /* the form */
    capture_clear(&p->fx->cap);
    assert_int_equal(fixture_feed(p->fx, "<iq type='get' id='f' from='" BOB "' to='" ROOM
                                         "'><query xmlns='" NS_MAM "'/></iq>"),
                     1);
    xmpp_stanza_t *res = capture_at(&p->fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_type(res), "result");
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name(
        xmpp_stanza_get_child_by_name_and_ns(res, "query", NS_MAM), "x");
    assert_non_null(form_field(x, "with"));
    assert_non_null(form_field(x, "start"));
    assert_non_null(form_field(x, "ids"));
}

/* The archive's metadata (XEP-0313 §7, with urn:xmpp:mam:2#extended):
 * empty, then the first and last ids and times; who may query may ask. */
static xmpp_stanza_t *metadata(sfx_t *p, const char *from)
{
    capture_clear(&p->fx->cap);
    char xml[256];
    snprintf(xml, sizeof xml,
             "<iq type='get' id='md' from='%s' to='" ROOM "'><metadata xmlns='" NS_MAM
             "'/></iq>",
             from);
    assert_int_equal(fixture_feed(p->fx, xml), 1);
    return capture_at(&p->fx->cap, 0);
}

static void test_metadata(void **state)
{
    sfx_t *p = *state;
    persistent_room(p);
    capture_clear(&p->fx->cap);
    fixture_feed(p->fx, DISCO("d", ROOM, NS_DISCO_INFO));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(capture_at(&p->fx->cap, 0), "query");
    assert_true(has_feature(q, NS_MAM "#extended"));
    xmpp_stanza_t *res = metadata(p, BOB);
    assert_result(res, "md", BOB);
    xmpp_stanza_t *md = xmpp_stanza_get_child_by_name_and_ns(res, "metadata", NS_MAM);
    assert_non_null(md);
    assert_null(xmpp_stanza_get_children(md)); /* empty archive: empty element */
    time_t t0 = fake_time;
    say_many(p, 4); /* ten seconds apart */
    md = xmpp_stanza_get_child_by_name_and_ns(metadata(p, CAROL), "metadata", NS_MAM);
    assert_non_null(md);
    char stamp[32];
    xmpp_stanza_t *b = xmpp_stanza_get_child_by_name(md, "start");
    assert_non_null(b);
    assert_attr(b, "id", msg_ids[0]);
    muc_format_datetime(t0, stamp, sizeof stamp);
    assert_attr(b, "timestamp", stamp);
    b = xmpp_stanza_get_child_by_name(md, "end");
    assert_non_null(b);
    assert_attr(b, "id", msg_ids[3]);
    muc_format_datetime(t0 + 30, stamp, sizeof stamp);
    assert_attr(b, "timestamp", stamp);
    /* the same rule as queries: an outcast may not */
    fixture_feed(p->fx, ADMIN_SET(ALICE, "b", AFF_ITEM("carol@localhost", "outcast")));
    assert_stanza_error(metadata(p, CAROL), "auth", "forbidden");
}

static void test_archive_switch(void **state)
{
    sfx_t *p = *state;
    res_t r;
    /* a temporary room never archives */
    assert_int_equal(fixture_feed(p->fx, JOIN(ALICE, "Alice")), 2);
    fixture_feed(p->fx, CONFIG(ALICE, "c1", ""));
    capture_clear(&p->fx->cap);
    fixture_feed(p->fx, DISCO("d", ROOM, NS_DISCO_INFO));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(capture_at(&p->fx->cap, 0), "query");
    assert_false(has_feature(q, NS_MAM));
    expect_error(p, ALICE, NULL, NULL, "cancel", "service-unavailable");
    /* persistent: on by default, with its disco feature */
    fixture_feed(p->fx, CONFIG(ALICE, "c2", FIELD("persistentroom", "1")));
    capture_clear(&p->fx->cap);
    fixture_feed(p->fx, DISCO("d", ROOM, NS_DISCO_INFO));
    q = xmpp_stanza_get_child_by_name(capture_at(&p->fx->cap, 0), "query");
    assert_true(has_feature(q, NS_MAM));
    assert_int_equal(fixture_feed(p->fx, JOIN(BOB, "Bob")) >= 3, 1);
    say_many(p, 2);
    query(p, ALICE, NULL, NULL, false, &r);
    assert_page(&r, 0, 1, "true");
    /* switched off: not written, not queried */
    fixture_feed(p->fx, CONFIG(ALICE, "c3", FIELD("enablearchiving", "0")));
    assert_false(the_room(p->fx)->cfg.archive);
    char id[IDS_STANZA_ID_SIZE];
    sfx_say(p->fx, BOB, "not archived", id);
    expect_error(p, ALICE, NULL, NULL, "cancel", "service-unavailable");
    /* the switch survives a restart */
    fixture_feed(p->fx, LEAVE(ALICE, "Alice"));
    fixture_feed(p->fx, LEAVE(BOB, "Bob"));
    sfx_restart(p);
    assert_int_equal(fixture_feed(p->fx, JOIN(ALICE, "Alice")) >= 2, 1);
    assert_false(the_room(p->fx)->cfg.archive);
    fixture_feed(p->fx, CONFIG(ALICE, "c4", FIELD("enablearchiving", "1")));
    query(p, ALICE, NULL, NULL, false, &r);
    assert_page(&r, 0, 1, "true"); /* the message said while off is not there */
}

static void test_default_off(void **state)
{
    sfx_t *p = *state;
    p->cfg.opts.archive_off = true;
    sfx_start(p);
    persistent_room(p);
    assert_false(the_room(p->fx)->cfg.archive);
    expect_error(p, ALICE, NULL, NULL, "cancel", "service-unavailable");
}

/* ---- anonymity ------------------------------------------------------------- */

static void test_semi_anonymous(void **state)
{
    sfx_t *p = *state;
    res_t r;
    persistent_room(p); /* semi-anonymous by default */
    say_many(p, 4);
    size_t sent = query(p, CAROL, NULL, NULL, false, &r);
    assert_int_equal(r.n, 4);
    for (size_t i = 0; i < sent; i++) {
        char *buf;
        size_t len;
        assert_int_equal(xmpp_stanza_to_text(capture_at(&p->fx->cap, i), &buf, &len), 0);
        if (strstr(buf, "alice@") || strstr(buf, "bob@localhost"))
            fail_msg("a real JID in a result: %s", buf);
        if (i + 1 < sent && !strstr(buf, "<occupant-id"))
            fail_msg("no occupant-id: %s", buf);
        xmpp_free(p->fx->ctx, buf);
    }
}

/* The real JID the i-th result of the last query carries (in <x
 * xmlns=muc#user><item jid/></x> inside the forwarded message), or NULL. */
static const char *result_jid(sfx_t *p, size_t i)
{
    xmpp_stanza_t *res = xmpp_stanza_get_child_by_name_and_ns(capture_at(&p->fx->cap, i),
                                                              "result", NS_MAM);
    xmpp_stanza_t *fw = xmpp_stanza_get_child_by_name(res, "forwarded");
    xmpp_stanza_t *m = fw ? xmpp_stanza_get_child_by_name(fw, "message") : NULL;
    assert_non_null(m);
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(m, "x", NS_MUC_USER);
    xmpp_stanza_t *item = x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
    return item ? xmpp_stanza_get_attribute(item, "jid") : NULL;
}

/* Those who may see real JIDs now get the senders' in results (XEP-0313
 * §6.1.2): moderators (present or, as owners and admins, not) in a
 * semi-anonymous room, everyone in a non-anonymous one; nobody else. */
static void test_real_jids_to_those_who_may_see_them(void **state)
{
    sfx_t *p = *state;
    res_t r;
    persistent_room(p);
    say_many(p, 2);                         /* Alice, then Bob */
    query(p, ALICE, NULL, NULL, false, &r); /* the owner: a moderator */
    assert_int_equal(r.n, 2);
    assert_string_equal(result_jid(p, 0), ALICE);
    assert_string_equal(result_jid(p, 1), BOB);
    query(p, BOB, NULL, NULL, false, &r); /* a participant */
    assert_int_equal(r.n, 2);
    assert_null(result_jid(p, 0));
    assert_null(result_jid(p, 1));
    query(p, CAROL, NULL, NULL, false, &r); /* an outsider */
    assert_null(result_jid(p, 1));
    fixture_feed(p->fx, LEAVE(ALICE, "Alice")); /* an owner away still may */
    query(p, ALICE, NULL, NULL, false, &r);
    assert_string_equal(result_jid(p, 1), BOB);
    fixture_feed(p->fx, JOIN(ALICE, "Alice"));
    fixture_feed(p->fx, CONFIG(ALICE, "c9", FIELD("whois", "anyone")));
    query(p, CAROL, NULL, NULL, false, &r); /* non-anonymous: everyone */
    assert_int_equal(r.n, 2);
    assert_string_equal(result_jid(p, 0), ALICE);
    assert_string_equal(result_jid(p, 1), BOB);
}

/* ---- subject, restart, deletion, failure ----------------------------------- */

static void test_subject_restart_delete(void **state)
{
    sfx_t *p = *state;
    res_t r;
    persistent_room(p);
    say_many(p, 2);
    capture_clear(&p->fx->cap);
    assert_int_equal(fixture_feed(p->fx,
                                  "<message type='groupchat' from='" ALICE "' to='" ROOM
                                  "'><subject>Topic</subject></message>"),
                     2);
    xmpp_stanza_t *sid = xmpp_stanza_get_child_by_name_and_ns(nth_to(p->fx, ALICE, 0),
                                                              "stanza-id", NS_SID);
    snprintf(msg_ids[2], IDS_STANZA_ID_SIZE, "%s", xmpp_stanza_get_id(sid));
    fixture_feed(p->fx, LEAVE(ALICE, "Alice"));
    fixture_feed(p->fx, LEAVE(BOB, "Bob"));
    sfx_restart(p);
    query(p, CAROL, NULL, NULL, false, &r);
    assert_page(&r, 0, 2, "true");
    /* destroyed: the archive goes with the room */
    fixture_feed(p->fx, JOIN(ALICE, "Alice"));
    fixture_feed(p->fx, "<iq type='set' id='x' from='" ALICE "' to='" ROOM
                        "'><query xmlns='" NS_MUC_OWNER "'><destroy/></query></iq>");
    uint64_t first, last;
    assert_int_equal(store_archive_bounds(p->st, "room", &first, &last),
                     STORE_ERR_NOTFOUND);
    persistent_room(p);
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 0, -1, "true");
}

/* A full store: the sender gets resource-constraint and nothing is shown. */
static void test_store_full(void **state)
{
    sfx_t *p = *state;
    persistent_room(p);
    static char xml[20000], big[16000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(xml, sizeof xml,
             "<message type='groupchat' from='" BOB "' to='" ROOM
             "'><body>%s</body></message>",
             big);
    size_t sent = 0;
    for (int i = 0; i < 200; i++) {
        capture_clear(&p->fx->cap);
        sent = fixture_feed(p->fx, xml);
        if (sent != 2) break;
    }
    assert_int_equal(sent, 1);
    xmpp_stanza_t *e = capture_at(&p->fx->cap, 0);
    assert_attr(e, "to", BOB);
    assert_stanza_error(e, "wait", "resource-constraint");
}

/* ---- retention ---------------------------------------------------------------- */

static void test_retention_count(void **state)
{
    sfx_t *p = *state;
    res_t r;
    p->cfg.opts.archive_max_messages = 5;
    sfx_start(p);
    persistent_room(p);
    say_many(p, 12);
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 7, 11, "true");
    assert_int_equal(r.count, 5);
    char fields[256];
    snprintf(fields, sizeof fields, "<field var='after-id'><value>%s</value></field>",
             msg_ids[3]); /* pruned: unknown now */
    expect_error(p, BOB, fields, NULL, "cancel", "item-not-found");
}

static void test_retention_age(void **state)
{
    sfx_t *p = *state;
    res_t r;
    p->cfg.opts.archive_max_days = 1;
    sfx_start(p);
    persistent_room(p);
    say_many(p, 3);
    service_tick(p->fx->svc); /* nothing expired yet */
    query(p, BOB, NULL, NULL, false, &r);
    assert_int_equal(r.n, 3);
    fake_time += 86400 - 15; /* the first two are now older than a day */
    service_tick(p->fx->svc);
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 2, 2, "true");
    fake_time += 86400;
    sfx_say(p->fx, ALICE, "new", msg_ids[3]);
    service_tick(p->fx->svc);
    service_tick(p->fx->svc);
    query(p, BOB, NULL, NULL, false, &r);
    assert_page(&r, 3, 3, "true");
}

int main(void)
{
#define T(f, s) cmocka_unit_test_prestate_setup_teardown(f, s, sfx_teardown, &config)
    const struct CMUnitTest tests[] = {
        T(test_store_codec_and_api, setup),
        T(test_with_index, setup),
        T(test_empty_archive, setup),
        T(test_page_forward, setup),
        T(test_page_backward, setup),
        T(test_filters, setup),
        T(test_permissions, setup),
        T(test_metadata, setup),
        T(test_archive_switch, setup),
        T(test_default_off, setup),
        T(test_semi_anonymous, setup),
        T(test_real_jids_to_those_who_may_see_them, setup),
        T(test_subject_restart_delete, setup),
        T(test_store_full, setup_tiny),
        T(test_retention_count, setup),
        T(test_retention_age, setup),
    };
#undef T
    int failed = cmocka_run_group_tests_name("unbatched", tests, NULL, NULL);
    config.batching = true; /* fixture_feed commits after each stanza */
    return failed + cmocka_run_group_tests_name("batched", tests, NULL, NULL);
}
