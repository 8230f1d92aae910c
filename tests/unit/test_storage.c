/* test_storage.c - opening the store and its schema-version check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <lmdb.h>

#include "storage/storage.h"

static char dir[64];

static int make_tmp(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/mucd-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int remove_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes meta/schema_version directly with LMDB, as another build would. */
static void force_version(const char *d, const char *version)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, d, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", MDB_CREATE, &dbi), 0);
    MDB_val k = {strlen("schema_version"), "schema_version"};
    MDB_val v = {strlen(version), (void *)version};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_create_and_reopen(void **state)
{
    (void)state;
    char sub[128], err[512];
    snprintf(sub, sizeof sub, "%s/a/b/store", dir);
    store_t *st;
    assert_int_equal(store_open(sub, 1 << 20, false, &st, err, sizeof err), STORE_OK);
    store_close(st);
    assert_int_equal(store_open(sub, 1 << 20, false, &st, err, sizeof err), STORE_OK);
    store_close(st);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char err[512];
    store_t *st;
    force_version(dir, "99");
    assert_int_equal(store_open(dir, 1 << 20, false, &st, err, sizeof err),
                     STORE_ERR_VERSION);
    assert_null(st);
    assert_non_null(strstr(err, "schema version '99'"));
    assert_non_null(strstr(err, "refusing"));
}

static void test_garbage_schema_refused(void **state)
{
    (void)state;
    char err[512];
    store_t *st;
    force_version(dir, "one");
    assert_int_equal(store_open(dir, 1 << 20, false, &st, err, sizeof err),
                     STORE_ERR_VERSION);
}

static void test_unwritable_dir(void **state)
{
    (void)state;
    char err[512];
    store_t *st;
    assert_int_equal(
        store_open("/proc/mucd-cannot-exist", 1 << 20, false, &st, err, sizeof err),
        STORE_ERR_IO);
    assert_non_null(strstr(err, "/proc/mucd-cannot-exist"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reopen, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(test_garbage_schema_refused, make_tmp,
                                        remove_tmp),
        cmocka_unit_test_setup_teardown(test_unwritable_dir, make_tmp, remove_tmp),
    };
    return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
