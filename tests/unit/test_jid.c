/* test_jid.c - JID parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "muc/jid.h"

static void test_full_jid(void **state)
{
    (void)state;
    jid_t j;
    assert_int_equal(jid_parse("Room@Chat.Example.ORG/Nick Name/x@y", &j), 0);
    assert_string_equal(j.local, "room");
    assert_string_equal(j.domain, "chat.example.org");
    assert_string_equal(j.resource, "Nick Name/x@y");
}

static void test_bare_and_domain(void **state)
{
    (void)state;
    jid_t j;
    assert_int_equal(jid_parse("a@b", &j), 0);
    assert_string_equal(j.local, "a");
    assert_null(j.resource);
    assert_int_equal(jid_parse("chat.localhost", &j), 0);
    assert_null(j.local);
    assert_string_equal(j.domain, "chat.localhost");
    assert_int_equal(jid_parse("chat.localhost./r", &j), 0);
    assert_string_equal(j.domain, "chat.localhost");
    assert_string_equal(j.resource, "r");
}

static void test_invalid(void **state)
{
    (void)state;
    jid_t j;
    const char *bad[] = {"",      "@b",    "a@",       "a@b/",  "/r", "a b@c",
                         "a<b@c", "a@b c", "a@b/\x01", "a\"@b", NULL};
    for (int i = 0; bad[i]; i++)
        assert_int_equal(jid_parse(bad[i], &j), -1);
    assert_int_equal(jid_parse(NULL, &j), -1);
}

static void test_part_length(void **state)
{
    (void)state;
    char s[2100];
    memset(s, 'a', 1023);
    strcpy(s + 1023, "@d/");
    memset(s + 1026, 'r', 1023);
    s[2049] = '\0';
    jid_t j;
    assert_int_equal(jid_parse(s, &j), 0);
    assert_int_equal(strlen(j.resource), 1023);
    strcat(s, "r");
    assert_int_equal(jid_parse(s, &j), -1);
}

static void test_domain_eq(void **state)
{
    (void)state;
    assert_true(jid_domain_eq("Chat.Localhost", "chat.localhost"));
    assert_false(jid_domain_eq("chat.localhost", "chat.localhost2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_jid),  cmocka_unit_test(test_bare_and_domain),
        cmocka_unit_test(test_invalid),   cmocka_unit_test(test_part_length),
        cmocka_unit_test(test_domain_eq),
    };
    return cmocka_run_group_tests_name("jid", tests, NULL, NULL);
}
