/* test_config.c - configuration loading and its error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "component/config.h"

#define GOOD                                                                             \
    "[component]\nserver = 127.0.0.1\nport = 5347\ndomain = chat.localhost\n"            \
    "secret = s3cret\n\n[storage]\npath = /tmp/x\n"

static char path[64];

static void write_conf(const char *text)
{
    strcpy(path, "/tmp/mucd-test-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Loads text; returns config_load's rc and leaves the message in err. */
static int load(const char *text, config_t *cfg, char *err, size_t n)
{
    write_conf(text);
    err[0] = '\0';
    int rc = config_load(path, cfg, err, n);
    unlink(path);
    return rc;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_good_with_defaults(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "127.0.0.1");
    assert_int_equal(c.port, 5347);
    assert_string_equal(c.domain, "chat.localhost");
    assert_string_equal(c.secret, "s3cret");
    assert_string_equal(c.storage_path, "/tmp/x");
    assert_int_equal(c.reconnect_max, 30);
    assert_int_equal(c.map_size_mb, 1024);
    assert_string_equal(c.service_name, "Chatrooms");
    assert_int_equal(c.log_level, LOG_INFO);
    config_free(&c);
}

static void test_all_keys(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD "map_size_mb = 64\n[muc]\nname = My Rooms ; comment\n"
                               "[log]\nlevel = debug\n[component]\nreconnect_max = 5\n",
                          &c, err, sizeof err),
                     0);
    assert_int_equal(c.map_size_mb, 64);
    assert_string_equal(c.service_name, "My Rooms");
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_int_equal(c.reconnect_max, 5);
    config_free(&c);
}

static void test_limits(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD, &c, err, sizeof err), 0);
    assert_int_equal(c.max_stanza_size, 65536);
    assert_int_equal(c.max_room_name_length, 128);
    assert_int_equal(c.max_rooms, 1000000);
    assert_int_equal(c.max_rooms_per_creator, 100);
    assert_int_equal(c.message_rate, 10);
    assert_int_equal(c.message_burst, 30);
    service_opts_t o = config_service_opts(&c, NULL); /* what mucd runs with */
    assert_int_equal(o.limits.max_stanza_size, 65536);
    assert_int_equal(o.limits.max_rooms_per_creator, 100);
    assert_int_equal(o.limits.message_burst, 30);
    assert_string_equal(o.domain, "chat.localhost");
    config_free(&c);
    assert_int_equal(load(GOOD "[limits]\nmessage_rate = 0\nmax_rooms = 0\n"
                               "max_rooms_per_creator = 0\nmax_stanza_size = 1024\n",
                          &c, err, sizeof err),
                     0);
    assert_int_equal(c.message_rate, 0); /* 0 turns these off */
    assert_int_equal(c.max_rooms, 0);
    assert_int_equal(c.max_rooms_per_creator, 0);
    assert_int_equal(c.max_stanza_size, 1024);
    config_free(&c);
    assert_int_equal(load(GOOD "[limits]\nmax_stanza_size = 100\n", &c, err, sizeof err),
                     -1);
    assert_contains(err, "[limits] max_stanza_size: out of range");
    assert_int_equal(load(GOOD "[limits]\nmessage_burst = 0\n", &c, err, sizeof err), -1);
    assert_contains(err, "[limits] message_burst: out of range");
}

/* The archive keys: on by default, on/off, day and message limits. */
static void test_archive_keys(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD, &c, err, sizeof err), 0);
    service_opts_t o = config_service_opts(&c, NULL);
    assert_false(o.archive_off);
    assert_int_equal(o.archive_max_messages, 0);
    assert_int_equal(o.archive_max_days, 0);
    config_free(&c);
    assert_int_equal(load(GOOD "[muc]\narchive_default = off\narchive_max_messages = 500\n"
                               "archive_max_days = 30\n",
                          &c, err, sizeof err),
                     0);
    o = config_service_opts(&c, NULL);
    assert_true(o.archive_off);
    assert_int_equal(o.archive_max_messages, 500);
    assert_int_equal(o.archive_max_days, 30);
    config_free(&c);
    assert_int_equal(load(GOOD "[muc]\narchive_default = maybe\n", &c, err, sizeof err), -1);
    assert_contains(err, "[muc] archive_default: must be on or off");
    assert_int_equal(load(GOOD "[muc]\narchive_max_days = -1\n", &c, err, sizeof err), -1);
    assert_contains(err, "[muc] archive_max_days: out of range");
}

static void test_missing_key(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load("[component]\nserver = h\ndomain = d\n[storage]\npath = p\n",
                          &c, err, sizeof err),
                     -1);
    assert_contains(err, "/tmp/mucd-test-conf-");
    assert_contains(err, "[component] secret: missing required key");
}

static void test_invalid_value_names_line(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD "[log]\nlevel = loud\n", &c, err, sizeof err), -1);
    assert_contains(err, ":10: [log] level: must be one of");
    assert_int_equal(load("[component]\nport = 70000\n", &c, err, sizeof err), -1);
    assert_contains(err, ":2: [component] port: out of range");
    assert_int_equal(load("[component]\nport = 12ab\n", &c, err, sizeof err), -1);
    assert_contains(err, ":2: [component] port: not an integer");
    assert_int_equal(load("[component]\ndomain = a b\n", &c, err, sizeof err), -1);
    assert_contains(err, ":2: [component] domain: not a valid domain name");
    assert_int_equal(load("[component]\n\nsecret =\n", &c, err, sizeof err), -1);
    assert_contains(err, ":3: [component] secret: must not be empty");
}

static void test_unknown_key_and_section(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load(GOOD "sercet = x\n", &c, err, sizeof err), -1);
    assert_contains(err, ":9: [storage] sercet: unknown key");
    assert_int_equal(load("[nope]\nkey = 1\n", &c, err, sizeof err), -1);
    assert_contains(err, ":2: [nope] key: unknown key");
}

static void test_syntax_error_and_missing_file(void **state)
{
    (void)state;
    config_t c;
    char err[512];
    assert_int_equal(load("[component\n", &c, err, sizeof err), -1);
    assert_contains(err, ":1: syntax error");
    assert_int_equal(config_load("/nonexistent/mucd.conf", &c, err, sizeof err), -1);
    assert_contains(err, "/nonexistent/mucd.conf: cannot open");
}

static void test_example_file_is_valid(void **state)
{
    (void)state;
    const char *dir = getenv("MUCD_SOURCE_DIR");
    if (!dir) dir = ".";
    char p[1024];
    snprintf(p, sizeof p, "%s/muc.conf.example", dir);
    config_t c;
    char err[512];
    if (config_load(p, &c, err, sizeof err) != 0) fail_msg("%s", err);
    assert_string_equal(c.domain, "chat.localhost");
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_with_defaults),
        cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_archive_keys),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_invalid_value_names_line),
        cmocka_unit_test(test_unknown_key_and_section),
        cmocka_unit_test(test_syntax_error_and_missing_file),
        cmocka_unit_test(test_example_file_is_valid),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
