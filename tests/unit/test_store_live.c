/* test_store_live.c - the live listing: public temporary rooms of every
 * mucd process on one store (scale-out). Two real processes (fork) share
 * one LMDB directory, as two mucd do behind ejabberd's domain_balancing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "muc/service.h"
#include "storage/storage.h"
#include "tests/support/tmpdir.h"

#define MAP (8u << 20)

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/mucd-test-live-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return remove_dir(dir);
}

static store_t *open_store(void)
{
    store_t *st = NULL;
    char err[256];
    if (store_open(dir, MAP, false, &st, err, sizeof err) != STORE_OK)
        fail_msg("store_open: %s", err);
    return st;
}

/* The child: lists `name` and waits until told to go; it then exits
 * without closing anything, like a crashed mucd. */
static void child(int ready_fd, int go_fd, const char *name, const char *title)
{
    store_t *st = NULL;
    char err[256], c = 0;
    if (store_open(dir, MAP, false, &st, err, sizeof err) != STORE_OK) _exit(2);
    if (store_live_put(st, name, title) != STORE_OK) _exit(3);
    if (write(ready_fd, "r", 1) != 1) _exit(4);
    if (read(go_fd, &c, 1) < 0) _exit(5);
    _exit(0);
}

static void assert_listed(store_t *st, size_t n_expected, const char *first_name,
                          const char *first_title)
{
    store_listed_t out[8];
    size_t n = 0, count = 0;
    assert_int_equal(store_live_count(st, &count), STORE_OK);
    assert_int_equal(count, n_expected);
    assert_int_equal(store_live_page(st, NULL, NULL, 8, out, &n), STORE_OK);
    assert_int_equal(n, n_expected);
    if (n) {
        assert_string_equal(out[0].name, first_name);
        if (first_title)
            assert_string_equal(out[0].title, first_title);
        else
            assert_null(out[0].title);
    }
    store_listed_free(out, n);
}

static void test_rooms_of_another_process_are_listed(void **state)
{
    (void)state;
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child(ready[1], go[0], "kids", "The kids' room");
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    store_t *st = open_store(); /* the child's entry is not reaped: it runs */
    assert_listed(st, 1, "kids", "The kids' room");
    assert_true(store_live_has(st, "kids"));
    assert_int_equal(store_live_put(st, "adults", NULL), STORE_OK);
    assert_listed(st, 2, "adults", NULL);
    /* paging in JID order, like the public index */
    store_listed_t out[2];
    size_t n = 0;
    assert_int_equal(store_live_page(st, "adults", NULL, 2, out, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].name, "kids");
    store_listed_free(out, n);
    assert_int_equal(store_live_page(st, NULL, "", 1, out, &n), STORE_OK);
    assert_string_equal(out[0].name, "kids");
    store_listed_free(out, n);
    /* the child dies without unlisting: the next opener drops its entry, and
     * ours too (a new process cannot have rooms yet) */
    assert_int_equal(write(go[1], "g", 1), 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    store_close(st);
    st = open_store();
    assert_listed(st, 0, NULL, NULL);
    store_close(st);
    close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
}

/* A process that dies without unlisting its rooms: the survivors reap its
 * entries while they run (store_live_reap, from service_tick), keeping
 * their own and those of processes alive. */
static void test_running_process_reaps_a_dead_ones_rooms(void **state)
{
    (void)state;
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    store_t *st = open_store();
    assert_int_equal(store_live_put(st, "mine", NULL), STORE_OK);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child(ready[1], go[0], "theirs", NULL);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    store_live_reap(st); /* the child runs: its entry stays */
    assert_listed(st, 2, "mine", NULL);
    assert_true(store_live_has(st, "theirs"));
    assert_int_equal(write(go[1], "g", 1), 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    store_live_reap(st); /* gone: reaped; ours stays */
    assert_listed(st, 1, "mine", NULL);
    assert_false(store_live_has(st, "theirs"));
    store_close(st);
    close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
}

/* Starts a child that lists `name`, then lets it die; returns once it is
 * gone (its entry left behind). */
static void child_lists_then_dies(const char *name)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child(ready[1], go[0], name, NULL);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
}

static time_t clock_s = 1000;
static time_t fake_now(void)
{
    return clock_s;
}

/* The service reaps from service_tick, every 10 s of its clock. */
static void test_service_tick_reaps_every_10_s(void **state)
{
    (void)state;
    store_t *st = open_store();
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    service_t *svc =
        service_new(ctx, &(service_opts_t){.domain = "chat.localhost", .store = st});
    assert_non_null(svc);
    svc->now = fake_now;
    child_lists_then_dies("first");
    service_tick(svc); /* the first tick reaps */
    assert_false(store_live_has(st, "first"));
    child_lists_then_dies("second");
    clock_s += 9;
    service_tick(svc); /* 9 s later: not yet */
    assert_true(store_live_has(st, "second"));
    clock_s += 1;
    service_tick(svc); /* 10 s: reaped */
    assert_false(store_live_has(st, "second"));
    service_free(svc);
    xmpp_ctx_free(ctx);
    store_close(st);
}

static void test_put_replaces_and_del_removes(void **state)
{
    (void)state;
    store_t *st = open_store();
    assert_int_equal(store_live_put(st, "room", "Old"), STORE_OK);
    assert_int_equal(store_live_put(st, "room", "New"), STORE_OK);
    assert_listed(st, 1, "room", "New");
    assert_int_equal(store_live_del(st, "room"), STORE_OK);
    assert_int_equal(store_live_del(st, "room"), STORE_OK); /* absent: fine */
    assert_listed(st, 0, NULL, NULL);
    assert_false(store_live_has(st, "room"));
    store_close(st);
}

static void test_read_only_open_has_no_live_listing(void **state)
{
    (void)state;
    store_close(open_store()); /* create it */
    store_t *ro = NULL;
    char err[256];
    assert_int_equal(store_open(dir, MAP, true, &ro, err, sizeof err), STORE_OK);
    size_t count = 1;
    assert_int_equal(store_live_count(ro, &count), STORE_OK);
    assert_int_equal(count, 0);
    assert_int_equal(store_live_put(ro, "x", NULL), STORE_OK); /* a no-op */
    store_close(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rooms_of_another_process_are_listed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_running_process_reaps_a_dead_ones_rooms,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_tick_reaps_every_10_s, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_put_replaces_and_del_removes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_only_open_has_no_live_listing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
