/* test_router.c - the core's envelope checks, dispatch, disco, ping and
 * error replies, driven through service_handle with a capture sink. */
#include <string.h>

#include "muc/ns.h"
#include "tests/support/fixture.h"

#define IQ(type, id, to, body)                                                           \
    "<iq type='" type "' id='" id "' from='" FX_USER "' to='" to "'>" body "</iq>"

static xmpp_stanza_t *feed_one(fixture_t *fx, const char *xml)
{
    assert_int_equal(fixture_feed(fx, xml), 1);
    return capture_at(&fx->cap, fx->cap.count - 1);
}

static int has_feature(xmpp_stanza_t *query, const char *var)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "feature") == 0 &&
            strcmp(xmpp_stanza_get_attribute(c, "var"), var) == 0)
            return 1;
    return 0;
}

static void test_disco_info_service(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r =
        feed_one(fx, IQ("get", "d1", FX_DOMAIN, "<query xmlns='" NS_DISCO_INFO "'/>"));
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "d1");
    assert_attr(r, "to", FX_USER);
    assert_attr(r, "from", FX_DOMAIN);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_INFO);
    assert_non_null(q);
    xmpp_stanza_t *id = xmpp_stanza_get_child_by_name(q, "identity");
    assert_non_null(id);
    assert_attr(id, "category", "conference");
    assert_attr(id, "type", "text");
    assert_attr(id, "name", "Test Rooms");
    assert_true(has_feature(q, NS_MUC));
    assert_true(has_feature(q, NS_DISCO_INFO));
    assert_true(has_feature(q, NS_DISCO_ITEMS));
    assert_true(has_feature(q, NS_PING));
    assert_false(has_feature(q, "urn:example:nothing"));
}

static void test_disco_info_unknown_node(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(
        fx, IQ("get", "d2", FX_DOMAIN, "<query xmlns='" NS_DISCO_INFO "' node='x'/>"));
    assert_stanza_error(r, "cancel", "item-not-found");
    assert_attr(r, "id", "d2");
}

static void test_disco_items_service_empty(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r =
        feed_one(fx, IQ("get", "i1", FX_DOMAIN, "<query xmlns='" NS_DISCO_ITEMS "'/>"));
    assert_attr(r, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_null(xmpp_stanza_get_children(q));
}

static void test_ping(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r =
        feed_one(fx, IQ("get", "p1", FX_DOMAIN, "<ping xmlns='urn:xmpp:ping'/>"));
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "p1");
    assert_attr(r, "from", FX_DOMAIN);
    assert_null(xmpp_stanza_get_children(r));
}

static void test_version(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r =
        feed_one(fx, IQ("get", "v1", FX_DOMAIN, "<query xmlns='jabber:iq:version'/>"));
    assert_attr(r, "type", "result");
    xmpp_stanza_t *name = xmpp_stanza_get_child_by_path(r, "iq", "query", "name", NULL);
    assert_non_null(name);
    char *text = xmpp_stanza_get_text(name);
    assert_string_equal(text, "mucd");
    xmpp_free(fx->ctx, text);
}

static void test_unknown_iq_get_and_set(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r =
        feed_one(fx, IQ("get", "u1", FX_DOMAIN, "<query xmlns='urn:example:unknown'/>"));
    assert_stanza_error(r, "cancel", "service-unavailable");
    assert_attr(r, "id", "u1");
    assert_attr(r, "to", FX_USER);
    assert_attr(r, "from", FX_DOMAIN);
    r = feed_one(fx, IQ("set", "u2", FX_DOMAIN, "<query xmlns='urn:example:unknown'/>"));
    assert_stanza_error(r, "cancel", "service-unavailable");
    /* a known payload with the wrong type is unknown too */
    r = feed_one(fx, IQ("set", "u3", FX_DOMAIN, "<ping xmlns='urn:xmpp:ping'/>"));
    assert_stanza_error(r, "cancel", "service-unavailable");
    /* a known name in no namespace */
    r = feed_one(fx, IQ("get", "u4", FX_DOMAIN, "<ping/>"));
    assert_stanza_error(r, "cancel", "service-unavailable");
}

static void test_iq_payload_count(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(fx, IQ("get", "b1", FX_DOMAIN, ""));
    assert_stanza_error(r, "modify", "bad-request");
    r = feed_one(fx, IQ("get", "b2", FX_DOMAIN,
                        "<ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/>"));
    assert_stanza_error(r, "modify", "bad-request");
    r = feed_one(fx, "<iq type='bogus' id='b3' from='" FX_USER "' to='" FX_DOMAIN
                     "'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_stanza_error(r, "modify", "bad-request");
    r = feed_one(fx, "<iq id='b4' from='" FX_USER "' to='" FX_DOMAIN
                     "'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_stanza_error(r, "modify", "bad-request");
}

static void test_results_and_errors_get_no_reply(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, IQ("result", "r1", FX_DOMAIN, "")), 0);
    assert_int_equal(fixture_feed(fx, IQ("error", "r2", FX_DOMAIN, "<error/>")), 0);
    assert_int_equal(
        fixture_feed(fx, "<message type='error' from='" FX_USER "' to='" FX_DOMAIN "'/>"),
        0);
    assert_int_equal(fixture_feed(fx, "<presence type='error' from='" FX_USER
                                      "' to='room@" FX_DOMAIN "/nick'/>"),
                     0);
}

static void test_envelope_from(void **state)
{
    fixture_t *fx = *state;
    /* no from, or a malformed one: dropped, never answered as someone else */
    assert_int_equal(fixture_feed(fx, "<iq type='get' id='e1' to='" FX_DOMAIN
                                      "'><ping xmlns='urn:xmpp:ping'/></iq>"),
                     0);
    assert_int_equal(
        fixture_feed(fx, "<iq type='get' id='e2' from='@localhost' to='" FX_DOMAIN
                         "'><ping xmlns='urn:xmpp:ping'/></iq>"),
        0);
    assert_int_equal(fixture_feed(fx, "<message from='a@b/' to='" FX_DOMAIN
                                      "'><body>x</body></message>"),
                     0);
}

static void test_envelope_to(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(fx, "<iq type='get' id='t1' from='" FX_USER
                                    "'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_stanza_error(r, "modify", "jid-malformed");
    r = feed_one(fx, IQ("get", "t2", "a@b@" FX_DOMAIN, "<ping xmlns='urn:xmpp:ping'/>"));
    assert_stanza_error(r, "modify", "jid-malformed");
    /* a foreign domain is not ours to answer */
    assert_int_equal(fixture_feed(fx, IQ("get", "t3", "other.example",
                                         "<ping xmlns='urn:xmpp:ping'/>")),
                     0);
    /* domains compare case-insensitively */
    r = feed_one(fx, IQ("get", "t4", "CHAT.localhost", "<ping xmlns='urn:xmpp:ping'/>"));
    assert_attr(r, "type", "result");
}

static void test_non_stanza_ignored(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, "<foo from='" FX_USER "' to='" FX_DOMAIN "'/>"), 0);
}

static void test_message_and_presence_to_service(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(fx, "<message id='m1' from='" FX_USER "' to='" FX_DOMAIN
                                    "'><body>hi</body></message>");
    assert_string_equal(xmpp_stanza_get_name(r), "message");
    assert_stanza_error(r, "cancel", "service-unavailable");
    assert_attr(r, "id", "m1");
    assert_int_equal(
        fixture_feed(fx, "<presence from='" FX_USER "' to='" FX_DOMAIN "'/>"), 0);
    assert_int_equal(fixture_feed(fx, "<presence type='probe' from='" FX_USER
                                      "' to='" FX_DOMAIN "'/>"),
                     0);
}

static void test_error_reply_has_text_when_given(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(fx, IQ("get", "x1", "a b@" FX_DOMAIN, "<a xmlns='b'/>"));
    assert_stanza_error(r, "modify", "jid-malformed");
    xmpp_stanza_t *text = xmpp_stanza_get_child_by_path(
        r, "iq", "error", XMPP_STANZA_NAME_IN_NS("text", NS_STANZAS), NULL);
    assert_non_null(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_disco_info_service),
        T(test_disco_info_unknown_node),
        T(test_disco_items_service_empty),
        T(test_ping),
        T(test_version),
        T(test_unknown_iq_get_and_set),
        T(test_iq_payload_count),
        T(test_results_and_errors_get_no_reply),
        T(test_envelope_from),
        T(test_envelope_to),
        T(test_non_stanza_ignored),
        T(test_message_and_presence_to_service),
        T(test_error_reply_has_text_when_given),
#undef T
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
