/* test_fuzz_regressions.c - inputs the libFuzzer targets (fuzz/) found to
 * crash, leak or misbehave, replayed through the core. Each input is also
 * kept under fuzz/regressions/ for the fuzz targets themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/ns.h"
#include "tests/support/fixture.h"

#define BOB "bob@localhost/b"
#define ITEMS(set)                                                                       \
    "<iq type='get' id='r' from='" BOB "' to='" FX_DOMAIN                                \
    "'><query xmlns='" NS_DISCO_ITEMS "'><set xmlns='" NS_RSM "'>" set                   \
    "</set></query></iq>"

/* Asserts st is a disco#items result with no items and <count/> n. */
static void assert_empty_page(xmpp_stanza_t *st, const char *n)
{
    assert_attr(st, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(st, "query");
    assert_non_null(q);
    assert_null(xmpp_stanza_get_child_by_name(q, "item"));
    xmpp_stanza_t *set = xmpp_stanza_get_child_by_name_and_ns(q, "set", NS_RSM);
    assert_non_null(set);
    char *count = xmpp_stanza_get_text(xmpp_stanza_get_child_by_name(set, "count"));
    assert_non_null(count);
    assert_string_equal(count, n);
    xmpp_free(xmpp_stanza_get_context(st), count);
}

/* fuzz_rsm (fuzz/regressions/rsm-huge-index-oom.xml): an <index/> far
 * beyond the list made disco#items allocate index * 16 bytes (16 GB for
 * 10^9; past LONG_MAX / 16 the size overflowed and the request failed
 * with resource-constraint). It is an empty page like any index past the
 * end. */
static void test_rsm_huge_index_is_an_empty_page(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, ITEMS("<index>9223372036854775000</index>")), 1);
    assert_empty_page(capture_at(&fx->cap, 0), "0");
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, ITEMS("<max>1</max><index>1000000000</index>")), 1);
    assert_empty_page(capture_at(&fx->cap, 0), "0");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_rsm_huge_index_is_an_empty_page),
    };
#undef T
    return cmocka_run_group_tests_name("fuzz_regressions", tests, NULL, NULL);
}
