/* test_archive_batch.c - batched archive writes (store_set_batching,
 * store_commit; the event loop commits once per turn): several appends in
 * one transaction committed once, in order, seen by the archive's reads
 * before the commit; a failed append (full map) leaves nothing of itself
 * and the batch's earlier appends are written again; any
 * other write of the store commits the pending appends first (LMDB has one
 * writer).
 *
 * The COMMIT itself failing, for real (no mocks): LMDB (no MDB_WRITEMAP)
 * writes a transaction's dirty pages only in mdb_txn_commit, so with the
 * process's file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored as mucd does)
 * at data.mdb's current size the puts of a batch succeed and its commit
 * fails writing the first page beyond the end of the file: the whole batch
 * is lost, store_commit reports it once, what was committed before stays,
 * and once the limit is raised the store goes on; the same through
 * service_commit with a service fed groupchat messages. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "muc/muc.h"
#include "storage/storage.h"
#include "tests/support/fixture.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

/* ---- the process's file-size limit ------------------------------------- */

static struct rlimit saved_fsize;
static bool fsize_lowered;

/* Lowers the soft RLIMIT_FSIZE to bytes (the hard limit is kept, so it can
 * be raised again). */
static void limit_fsize(rlim_t bytes)
{
    struct rlimit r;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &r), 0);
    if (!fsize_lowered) saved_fsize = r;
    fsize_lowered = true;
    r.rlim_cur = bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

/* Puts the limit back; every teardown calls it too (a failed assertion
 * between limit_fsize and the test's own restore_fsize jumps there). */
static void restore_fsize(void)
{
    if (!fsize_lowered) return;
    fsize_lowered = false;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
}

static off_t data_size(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return sb.st_size;
}

static int teardown(void **state)
{
    restore_fsize();
    return tstore_teardown(state);
}

static void reopen(tstore_t *t)
{
    store_close(t->st);
    t->st = sfx_store_open(t->dir, SFX_MAP, false);
}

static store_rc_t append(store_t *st, const char *room, const char *id, uint64_t *seq)
{
    char xml[128];
    snprintf(xml, sizeof xml, "<message><body>%s</body></message>", id);
    return store_archive_append(st, room, 1000, id, "nick", NULL, xml, 0, seq);
}

static void assert_entry(store_t *st, const char *room, uint64_t seq, const char *id)
{
    store_arch_msg_t m;
    assert_int_equal(store_archive_get(st, room, seq, &m), STORE_OK);
    assert_string_equal(m.id, id);
    store_arch_msgs_free(&m, 1);
}

static void assert_bounds(store_t *st, const char *room, uint64_t first, uint64_t last)
{
    uint64_t f = 0, l = 0;
    assert_int_equal(store_archive_bounds(st, room, &f, &l), STORE_OK);
    assert_int_equal(f, first);
    assert_int_equal(l, last);
}

/* Several appends (two rooms, interleaved) then one commit: every one is
 * stored, in order, with contiguous sequences; before the commit the
 * archive's reads already see them (through the open transaction). */
static void test_batch_then_commit(void **state)
{
    tstore_t *t = *state;
    store_set_batching(t->st, true);
    uint64_t seq = 99;
    assert_int_equal(append(t->st, "a", "a1", &seq), STORE_OK);
    assert_int_equal(seq, 0); /* not known until committed */
    assert_int_equal(append(t->st, "b", "b1", NULL), STORE_OK);
    assert_int_equal(append(t->st, "a", "a2", NULL), STORE_OK);
    assert_int_equal(append(t->st, "a", "a3", NULL), STORE_OK);
    assert_bounds(t->st, "a", 1, 3);
    assert_int_equal(store_archive_seq_of(t->st, "a", "a2", &seq), STORE_OK);
    assert_int_equal(seq, 2);
    assert_int_equal(store_commit(t->st), STORE_OK);
    assert_int_equal(store_commit(t->st), STORE_OK); /* nothing pending: no-op */
    reopen(t);
    assert_bounds(t->st, "a", 1, 3);
    assert_bounds(t->st, "b", 1, 1);
    assert_entry(t->st, "a", 1, "a1");
    assert_entry(t->st, "a", 2, "a2");
    assert_entry(t->st, "a", 3, "a3");
    assert_entry(t->st, "b", 1, "b1");
    /* a second batch goes on after the first */
    store_set_batching(t->st, true);
    assert_int_equal(append(t->st, "a", "a4", NULL), STORE_OK);
    assert_int_equal(store_commit(t->st), STORE_OK);
    assert_bounds(t->st, "a", 1, 4);
    assert_entry(t->st, "a", 4, "a4");
}

/* Without batching every append commits on its own (and gives its seq). */
static void test_unbatched(void **state)
{
    tstore_t *t = *state;
    uint64_t seq = 0;
    assert_int_equal(append(t->st, "a", "a1", &seq), STORE_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(store_commit(t->st), STORE_OK);
    reopen(t);
    assert_bounds(t->st, "a", 1, 1);
}

/* A full map in the middle of a batch: the failing append reports FULL and
 * leaves nothing of itself (no record, no id entry, no sequence used); the
 * appends acknowledged before it in the batch (the failure spoilt LMDB's
 * transaction) are written again and committed, in order. */
static void test_failed_append_in_batch(void **state)
{
    tstore_t *t = *state;
    assert_int_equal(append(t->st, "a", "before", NULL), STORE_OK); /* committed */
    store_set_batching(t->st, true);
    size_t big = 16u << 10;
    char *xml = malloc(big + 1);
    assert_non_null(xml);
    memset(xml, 'x', big);
    xml[big] = '\0';
    store_rc_t rc = STORE_OK;
    int ok = 0;
    /* 4 fit, with room left for the commit's own pages; the 5th does not */
    for (int i = 0; i < 5 && rc == STORE_OK; i++) {
        char id[16];
        snprintf(id, sizeof id, "big%d", i);
        if (i == 4) { /* bigger than the map */
            free(xml);
            big = 300u << 10;
            xml = malloc(big + 1);
            assert_non_null(xml);
            memset(xml, 'x', big);
            xml[big] = '\0';
        }
        rc = store_archive_append(t->st, "a", 1000, id, "nick", NULL, xml, 0, NULL);
        if (rc == STORE_OK) ok++;
    }
    free(xml);
    assert_int_equal(rc, STORE_ERR_FULL);
    assert_int_equal(ok, 4);
    assert_bounds(t->st, "a", 1, 1 + (uint64_t)ok); /* replayed, still pending */
    assert_int_equal(store_commit(t->st), STORE_OK);
    char failed[16];
    snprintf(failed, sizeof failed, "big%d", ok);
    uint64_t seq;
    assert_int_equal(store_archive_seq_of(t->st, "a", failed, &seq), STORE_ERR_NOTFOUND);
    /* the store goes on: the next append takes the next sequence */
    store_close(t->st);
    t->st = sfx_store_open(t->dir, SFX_MAP_TINY, false);
    assert_bounds(t->st, "a", 1, 1 + (uint64_t)ok);
    assert_entry(t->st, "a", 1, "before");
    assert_entry(t->st, "a", 2, "big0");
    char last[16];
    snprintf(last, sizeof last, "big%d", ok - 1);
    assert_entry(t->st, "a", 1 + (uint64_t)ok, last);
    /* a lone failed append (nothing acknowledged pending) loses nothing */
    store_set_batching(t->st, true);
    char *huge = calloc(1, 300u << 10);
    assert_non_null(huge);
    memset(huge, 'y', (300u << 10) - 1);
    assert_int_equal(
        store_archive_append(t->st, "a", 1000, "huge", "n", NULL, huge, 0, NULL),
        STORE_ERR_FULL);
    free(huge);
    assert_int_equal(store_commit(t->st), STORE_OK);
    assert_bounds(t->st, "a", 1, 1 + (uint64_t)ok);
}

/* Another write during a batch (LMDB: one writer) commits the pending
 * appends first; appends after it go on in order. */
static void test_other_write_commits_first(void **state)
{
    tstore_t *t = *state;
    store_set_batching(t->st, true);
    assert_int_equal(append(t->st, "a", "a1", NULL), STORE_OK);
    assert_int_equal(append(t->st, "a", "a2", NULL), STORE_OK);
    store_room_t r = {.name = "a", .title = "A", .persistent = true, .archive = 1};
    assert_int_equal(store_room_save(t->st, &r, NULL, 0), STORE_OK);
    assert_int_equal(append(t->st, "a", "a3", NULL), STORE_OK);
    assert_int_equal(store_commit(t->st), STORE_OK);
    reopen(t);
    assert_true(store_room_exists(t->st, "a"));
    assert_bounds(t->st, "a", 1, 3);
    assert_entry(t->st, "a", 1, "a1");
    assert_entry(t->st, "a", 3, "a3");
}

/* Deleting a room with appends pending: they are committed, then deleted
 * with the rest of its archive. Closing the store commits a batch. */
static void test_delete_and_close(void **state)
{
    tstore_t *t = *state;
    store_room_t r = {.name = "a", .title = "A", .persistent = true, .archive = 1};
    assert_int_equal(store_room_save(t->st, &r, NULL, 0), STORE_OK);
    store_set_batching(t->st, true);
    assert_int_equal(append(t->st, "a", "a1", NULL), STORE_OK);
    assert_int_equal(append(t->st, "b", "b1", NULL), STORE_OK);
    assert_int_equal(store_room_delete(t->st, "a"), STORE_OK);
    uint64_t f, l;
    assert_int_equal(store_archive_bounds(t->st, "a", &f, &l), STORE_ERR_NOTFOUND);
    assert_int_equal(append(t->st, "b", "b2", NULL), STORE_OK);
    reopen(t); /* store_close commits */
    assert_bounds(t->st, "b", 1, 2);
    assert_entry(t->st, "b", 2, "b2");
}

/* ---- a commit that fails (file-size limit) ----------------------------- */

#define BODY_BYTES                                                                       \
    1500 /* each message its own overflow page: the batch must                           \
            grow the file (freed pages cannot hold it) */

static store_rc_t append_big(store_t *st, const char *room, const char *id)
{
    char xml[BODY_BYTES + 64];
    char body[BODY_BYTES + 1];
    memset(body, 'z', BODY_BYTES);
    body[BODY_BYTES] = '\0';
    snprintf(xml, sizeof xml, "<message><body>%s %s</body></message>", id, body);
    return store_archive_append(st, room, 1000, id, "nick", NULL, xml, 0, NULL);
}

/* Every entry of room, in order, is ids[0..n) (and nothing else). */
static void assert_archive(store_t *st, const char *room, const char *const *ids,
                           size_t n)
{
    assert_bounds(st, room, 1, n);
    store_arch_msg_t page[64];
    size_t got = 0;
    bool more = true;
    assert_true(n <= 64);
    assert_int_equal(store_archive_page(st, room, 1, UINT64_MAX, false, NULL, 64, 1000,
                                        page, &got, &more),
                     STORE_OK);
    assert_int_equal(got, n);
    assert_false(more);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(page[i].seq, i + 1);
        assert_string_equal(page[i].id, ids[i]);
    }
    store_arch_msgs_free(page, got);
}

#define NPRE   20
#define NLOST  48
#define NAFTER 5

/* A batch appended under a file-size limit at data.mdb's size: every put
 * returns STORE_OK and writes nothing; the commit fails (EFBIG writing the
 * first page beyond the end of the file); store_commit reports it exactly
 * once; none of the batch is stored (bounds, ids, pages), in either room;
 * everything committed before is intact; with the limit raised appends and
 * commits work again (taking the sequences the lost batch had), and the
 * store reopens with exactly the committed messages. */
static void test_commit_fails_batch_lost(void **state)
{
    tstore_t *t = *state;
    char ids[NPRE + NLOST + NAFTER][16];
    const char *want[NPRE + NAFTER];
    store_set_batching(t->st, true);
    for (int i = 0; i < NPRE; i++) {
        snprintf(ids[i], sizeof ids[i], "pre%d", i);
        want[i] = ids[i];
        assert_int_equal(append_big(t->st, "a", ids[i]), STORE_OK);
    }
    assert_int_equal(append(t->st, "b", "bpre", NULL), STORE_OK);
    assert_int_equal(store_commit(t->st), STORE_OK);

    off_t size = data_size(t->dir);
    limit_fsize((rlim_t)size);
    store_rc_t arc = STORE_OK;
    for (int i = 0; i < NLOST && arc == STORE_OK; i++) {
        snprintf(ids[NPRE + i], sizeof ids[0], "lost%d", i);
        arc = append_big(t->st, "a", ids[NPRE + i]);
    }
    if (arc == STORE_OK) arc = append(t->st, "b", "blost", NULL);
    off_t size_before_commit = data_size(t->dir);
    store_rc_t crc = store_commit(t->st);
    restore_fsize();
    assert_int_equal(arc, STORE_OK);            /* the puts succeed ... */
    assert_int_equal(size_before_commit, size); /* ... and write nothing */
    assert_int_equal(crc, STORE_ERR_IO);        /* the commit fails */
    assert_string_equal(store_last_error(t->st), "archive batch: File too large");
    assert_int_equal(store_commit(t->st), STORE_OK); /* reported once */

    assert_archive(t->st, "a", want, NPRE);
    const char *bwant[] = {"bpre"};
    assert_archive(t->st, "b", bwant, 1);
    uint64_t seq;
    for (int i = 0; i < NLOST; i++)
        assert_int_equal(store_archive_seq_of(t->st, "a", ids[NPRE + i], &seq),
                         STORE_ERR_NOTFOUND);
    assert_int_equal(store_archive_seq_of(t->st, "b", "blost", &seq), STORE_ERR_NOTFOUND);

    /* the limit raised: the store goes on where the committed data ends */
    for (int i = 0; i < NAFTER; i++) {
        snprintf(ids[NPRE + NLOST + i], sizeof ids[0], "after%d", i);
        want[NPRE + i] = ids[NPRE + NLOST + i];
        assert_int_equal(append_big(t->st, "a", ids[NPRE + NLOST + i]), STORE_OK);
    }
    assert_int_equal(store_commit(t->st), STORE_OK);
    assert_true(data_size(t->dir) > size);
    assert_archive(t->st, "a", want, NPRE + NAFTER);
    reopen(t);
    assert_archive(t->st, "a", want, NPRE + NAFTER);
    assert_archive(t->st, "b", bwant, 1);
    for (int i = 0; i < NLOST; i++)
        assert_int_equal(store_archive_seq_of(t->st, "a", ids[NPRE + i], &seq),
                         STORE_ERR_NOTFOUND);
}

/* Under the limit, another write of the store commits the pending batch
 * first (one writer): that commit fails, the loss is kept and reported by
 * the next store_commit, once; the write itself is all or nothing (it may
 * fit in pages the store already has): stored after a reopen iff it
 * returned STORE_OK. */
static void test_commit_fails_in_other_write(void **state)
{
    tstore_t *t = *state;
    store_set_batching(t->st, true);
    assert_int_equal(append(t->st, "a", "a1", NULL), STORE_OK);
    assert_int_equal(store_commit(t->st), STORE_OK);
    off_t size = data_size(t->dir);
    limit_fsize((rlim_t)size);
    store_rc_t arc = STORE_OK;
    char id[16];
    for (int i = 0; i < NLOST && arc == STORE_OK; i++) {
        snprintf(id, sizeof id, "lost%d", i);
        arc = append_big(t->st, "a", id);
    }
    store_room_t r = {.name = "r", .title = "R", .persistent = true, .archive = 1};
    store_rc_t src = store_room_save(t->st, &r, NULL, 0);
    store_rc_t crc = store_commit(t->st);
    restore_fsize();
    assert_int_equal(arc, STORE_OK);
    assert_true(src == STORE_OK || src == STORE_ERR_IO);
    assert_int_equal(crc, STORE_ERR_IO);
    assert_string_equal(store_last_error(t->st), "archive batch: File too large");
    assert_int_equal(store_commit(t->st), STORE_OK);
    const char *want[] = {"a1"};
    assert_archive(t->st, "a", want, 1);
    reopen(t);
    assert_archive(t->st, "a", want, 1);
    assert_int_equal(store_room_exists(t->st, "r"), src == STORE_OK);
    uint64_t seq;
    assert_int_equal(store_archive_seq_of(t->st, "a", "lost0", &seq), STORE_ERR_NOTFOUND);
}

/* ---- the same through the service (what link.c does per turn) --------- */

/* The cmocka prestate of setup_service: batching on, as under the event
 * loop. */
static sfx_config_t service_config = {
    .opts = {.max_nick_length = 20, .history_length = 100, .max_history_length = 100},
    .batching = true};

static int teardown_service(void **state)
{
    restore_fsize();
    return sfx_teardown(state);
}

/* `from` says "<id> zzz...": the room broadcasts it to Alice and Bob. Not
 * committed: one of the stanzas of an event-loop turn (link.c handles what
 * is readable, then commits once, service_commit, before the output). */
static void svc_say(fixture_t *fx, const char *from, const char *id)
{
    char body[BODY_BYTES + 1];
    memset(body, 'z', BODY_BYTES);
    body[BODY_BYTES] = '\0';
    char xml[BODY_BYTES + 256];
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='%s' from='%s' to='" ROOM
             "'><body>%s %s</body>"
             "</message>",
             id, from, id, body);
    capture_clear(&fx->cap);
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(fx->ctx, xml);
    assert_non_null(st);
    assert_true(service_handle(fx->svc, st, &fx->cap.sink)); /* shows a pending append */
    xmpp_stanza_release(st);
    assert_int_equal(fx->cap.count, 2);
    assert_int_equal(count_to(fx, ALICE), 1);
    assert_int_equal(count_to(fx, BOB), 1);
    capture_clear(&fx->cap);
}

/* How many messages of a join burst carry a body starting with prefix. */
static size_t bodies_with(fixture_t *fx, const char *to, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = fx->cap.stanzas[i];
        if (!is_to(st, to) || strcmp(xmpp_stanza_get_name(st), "message") != 0) continue;
        xmpp_stanza_t *b = xmpp_stanza_get_child_by_name(st, "body");
        char *text = b ? xmpp_stanza_get_text(b) : NULL;
        if (text && strncmp(text, prefix, strlen(prefix)) == 0) n++;
        if (text) xmpp_free(fx->ctx, text);
    }
    return n;
}

#define SVC_PRE  5
#define SVC_LOST 30

/* A service with batching on (as under the event loop): groupchat messages
 * of a persistent archived room are broadcast into the capture (the turn's
 * output; service_handle says it shows a pending append), then
 * service_commit under the file-size limit reports failure (-1), once (the
 * next returns 0); service_report_lost gives each sender of a lost message
 * a resource-constraint error, once; the archive holds exactly the
 * messages committed before; after the limit is raised new messages are
 * stored. */
static void test_service_commit_fails(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    sfx_room_with(fx, FIELD("persistentroom", "1"));
    assert_int_equal(service_commit(fx->svc), 0);

    char ids[SVC_PRE + SVC_LOST + 1][16];
    const char *want_bodies[SVC_PRE + 1];
    for (int i = 0; i < SVC_PRE; i++) {
        snprintf(ids[i], sizeof ids[i], "pre%d", i);
        svc_say(fx, i % 2 ? BOB : ALICE, ids[i]);
    }
    assert_int_equal(service_commit(fx->svc), 0);
    off_t size = data_size(p->dir);

    limit_fsize((rlim_t)size);
    for (int i = 0; i < SVC_LOST; i++) {
        snprintf(ids[SVC_PRE + i], sizeof ids[0], "lost%d", i);
        svc_say(fx, i % 2 ? BOB : ALICE, ids[SVC_PRE + i]); /* broadcast (captured) */
    }
    int crc = service_commit(fx->svc);
    restore_fsize();
    assert_int_equal(crc, -1);
    capture_clear(&fx->cap);
    service_report_lost(fx->svc, &fx->cap.sink);
    assert_int_equal(fx->cap.count, SVC_LOST);
    for (int i = 0; i < SVC_LOST; i++) {
        xmpp_stanza_t *e = capture_at(&fx->cap, (size_t)i);
        assert_string_equal(xmpp_stanza_get_name(e), "message");
        assert_attr(e, "to", i % 2 ? BOB : ALICE);
        assert_attr(e, "from", ROOM);
        assert_attr(e, "id", ids[SVC_PRE + i]);
        assert_stanza_error(e, "wait", "resource-constraint");
    }
    capture_clear(&fx->cap);
    service_report_lost(fx->svc, &fx->cap.sink); /* told once */
    assert_int_equal(fx->cap.count, 0);
    assert_int_equal(service_commit(fx->svc), 0); /* reported once */

    uint64_t first = 0, last = 0;
    assert_int_equal(store_archive_bounds(p->st, "room", &first, &last), STORE_OK);
    assert_int_equal(first, 1);
    assert_int_equal(last, SVC_PRE);
    store_arch_msg_t page[SVC_PRE];
    size_t n = 0;
    bool more = true;
    assert_int_equal(store_archive_page(p->st, "room", 1, UINT64_MAX, false, NULL,
                                        SVC_PRE, 100, page, &n, &more),
                     STORE_OK);
    assert_int_equal(n, SVC_PRE);
    assert_false(more);
    for (size_t i = 0; i < n; i++) {
        want_bodies[i] = ids[i];
        assert_non_null(strstr(page[i].xml, want_bodies[i]));
        assert_null(strstr(page[i].xml, "lost"));
    }
    store_arch_msgs_free(page, n);

    /* the limit raised: the next message is stored, after the committed ones */
    snprintf(ids[SVC_PRE + SVC_LOST], sizeof ids[0], "after0");
    svc_say(fx, ALICE, ids[SVC_PRE + SVC_LOST]);
    assert_int_equal(service_commit(fx->svc), 0);
    assert_int_equal(store_archive_bounds(p->st, "room", &first, &last), STORE_OK);
    assert_int_equal(last, SVC_PRE + 1);
    store_arch_msg_t m;
    assert_int_equal(store_archive_get(p->st, "room", SVC_PRE + 1, &m), STORE_OK);
    assert_non_null(strstr(m.xml, "after0"));
    store_arch_msgs_free(&m, 1);
}

/* The messages of a lost batch went into the room's in-memory history when
 * they were broadcast; the failed commit puts the history back as the
 * archive holds it, so a newcomer is never shown, as history, a message
 * nobody was shown and no archive holds. */
static void test_lost_batch_leaves_history(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    sfx_room_with(fx, FIELD("persistentroom", "1"));
    char id[16];
    for (int i = 0; i < SVC_PRE; i++) {
        snprintf(id, sizeof id, "pre%d", i);
        svc_say(fx, ALICE, id);
    }
    assert_int_equal(service_commit(fx->svc), 0);
    limit_fsize((rlim_t)data_size(p->dir));
    for (int i = 0; i < SVC_LOST; i++) {
        snprintf(id, sizeof id, "lost%d", i);
        svc_say(fx, BOB, id);
    }
    int crc = service_commit(fx->svc);
    restore_fsize();
    assert_int_equal(crc, -1);
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    assert_int_equal(bodies_with(fx, CAROL, "pre"), SVC_PRE);
    assert_int_equal(bodies_with(fx, CAROL, "lost"), 0);
    capture_clear(&fx->cap);
}

int main(void)
{
#define T(f, s) cmocka_unit_test_setup_teardown(f, s, teardown)
#define SERVICE_T(f)                                                                     \
    cmocka_unit_test_prestate_setup_teardown(f, sfx_setup, teardown_service,             \
                                             &service_config)
    const struct CMUnitTest tests[] = {
        T(test_batch_then_commit, tstore_setup),
        T(test_unbatched, tstore_setup),
        T(test_failed_append_in_batch, tstore_setup_tiny),
        T(test_other_write_commits_first, tstore_setup),
        T(test_delete_and_close, tstore_setup),
        T(test_commit_fails_batch_lost, tstore_setup),
        T(test_commit_fails_in_other_write, tstore_setup),
        SERVICE_T(test_service_commit_fails),
        SERVICE_T(test_lost_batch_leaves_history),
    };
#undef T
#undef SERVICE_T
    signal(SIGXFSZ, SIG_IGN); /* as mucd does: a write past the limit fails (EFBIG) */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
