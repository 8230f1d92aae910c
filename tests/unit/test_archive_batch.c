/* test_archive_batch.c - batched archive writes (store_set_batching,
 * store_commit; the event loop commits once per turn): several appends in
 * one transaction committed once, in order, seen by the archive's reads
 * before the commit; a failed append (full map) leaves nothing of itself
 * and the batch's earlier appends are written again; any
 * other write of the store commits the pending appends first (LMDB has one
 * writer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/storage.h"

#define MAP_SIZE (4u << 20)

typedef struct tstore {
    char dir[64];
    store_t *st;
} tstore_t;

static store_t *open_store(const char *dir, size_t map)
{
    char err[512];
    store_t *st = NULL;
    store_rc_t rc = store_open(dir, map, false, &st, err, sizeof err);
    if (rc != STORE_OK) fail_msg("store_open(%s): %d %s", dir, rc, err);
    return st;
}

static int setup_map(void **state, size_t map)
{
    tstore_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    strcpy(t->dir, "/tmp/mucd-test-batch-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    t->st = open_store(t->dir, map);
    *state = t;
    return 0;
}

static int setup(void **state)
{
    return setup_map(state, MAP_SIZE);
}

/* A map barely bigger than the empty store: big batches fill it. */
static int setup_tiny(void **state)
{
    return setup_map(state, 256u << 10);
}

static int teardown(void **state)
{
    tstore_t *t = *state;
    store_close(t->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void reopen(tstore_t *t)
{
    store_close(t->st);
    t->st = open_store(t->dir, MAP_SIZE);
}

static store_rc_t append(store_t *st, const char *room, const char *id, uint64_t *seq)
{
    char xml[128];
    snprintf(xml, sizeof xml, "<message><body>%s</body></message>", id);
    return store_archive_append(st, room, 1000, id, "nick", xml, 0, seq);
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
    for (int i = 0; i < 1000 && rc == STORE_OK; i++) {
        char id[16];
        snprintf(id, sizeof id, "big%d", i);
        rc = store_archive_append(t->st, "a", 1000, id, "nick", xml, 0, NULL);
        if (rc == STORE_OK) ok++;
    }
    free(xml);
    assert_int_equal(rc, STORE_ERR_FULL);
    assert_true(ok > 0);
    assert_bounds(t->st, "a", 1, 1 + (uint64_t)ok); /* replayed, still pending */
    assert_int_equal(store_commit(t->st), STORE_OK);
    char failed[16];
    snprintf(failed, sizeof failed, "big%d", ok);
    uint64_t seq;
    assert_int_equal(store_archive_seq_of(t->st, "a", failed, &seq), STORE_ERR_NOTFOUND);
    /* the store goes on: the next append takes the next sequence */
    store_close(t->st);
    t->st = open_store(t->dir, 256u << 10);
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
    assert_int_equal(store_archive_append(t->st, "a", 1000, "huge", "n", huge, 0, NULL),
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_then_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unbatched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_append_in_batch, setup_tiny,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_write_commits_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_close, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
