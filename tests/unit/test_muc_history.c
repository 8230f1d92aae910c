/* test_muc_history.c - discussion history on entering a room (XEP-0045
 * §7.2.12-7.2.15, XEP-0203 delays, XEP-0082 dates), with a controlled
 * clock. */
#include <stdio.h>
#include <string.h>

#include "tests/support/muc_asserts.h"

#define DAVID "david@localhost/d" /* as long as CAROL: same stanza lengths */

#define T0 ((time_t)1700000000) /* 2023-11-14T22:13:20Z */

static time_t fake_now;

static time_t fake_clock(void)
{
    return fake_now;
}

/* ---- helpers ---------------------------------------------------------- */

static xmpp_stanza_t *delay_of(xmpp_stanza_t *st)
{
    return xmpp_stanza_get_child_by_name_and_ns(st, "delay", NS_DELAY);
}

/* Collects the delayed (history) messages sent to `to`, in order. */
static size_t history_to(fixture_t *fx, const char *to, xmpp_stanza_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = fx->cap.stanzas[i];
        if (!is_to(st, to) || strcmp(xmpp_stanza_get_name(st), "message") != 0 ||
            !delay_of(st))
            continue;
        assert_true(n < max);
        out[n++] = st;
    }
    return n;
}

/* Asserts the last stanza to `to` is the (empty) room subject. */
static void assert_subject_last(fixture_t *fx, const char *to)
{
    xmpp_stanza_t *last = nth_to(fx, to, count_to(fx, to) - 1);
    assert_string_equal(xmpp_stanza_get_name(last), "message");
    assert_attr(last, "type", "groupchat");
    assert_attr(last, "from", ROOM);
    assert_child_text(last, "subject", NULL);
    assert_null(delay_of(last));
}

static size_t the_room_history_count(fixture_t *fx)
{
    room_t *room = service_room(fx->svc, "room");
    assert_non_null(room);
    return room->history_count;
}

static void say(fixture_t *fx, const char *from, const char *body)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='id-%s' from='%s' to='" ROOM
             "'><body>%s</body></message>",
             body, from, body);
    assert_true(fixture_feed(fx, xml) >= 2);
}

/* Joins with <history attrs/> and returns how many stanzas were sent. */
static size_t join_with_history(fixture_t *fx, const char *from, const char *nick,
                                const char *attrs)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<presence from='%s' to='" ROOM "/%s'><x xmlns='" NS_MUC
             "'><history %s/></x></presence>",
             from, nick, attrs);
    return fixture_feed(fx, xml);
}

/* Alice's unlocked room with Bob in it, the clock at T0, the capture empty. */
static void room_with_bob(fixture_t *fx)
{
    fake_now = T0;
    fx->svc->now = fake_clock;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx,
                                  "<iq type='set' id='c1' from='" ALICE "' to='" ROOM
                                  "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
                                  "' type='submit'/></query></iq>"),
                     1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* Five messages m1..m5, 100 s apart from T0, then the clock at T0+500. */
static void five_messages(fixture_t *fx)
{
    char body[8];
    for (int i = 1; i <= 5; i++) {
        fake_now = T0 + (i - 1) * 100;
        snprintf(body, sizeof body, "m%d", i);
        say(fx, i % 2 ? ALICE : BOB, body);
    }
    fake_now = T0 + 500;
    capture_clear(&fx->cap);
}

/* ---- tests ------------------------------------------------------------- */

static void test_history_order_and_delay(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    say(fx, ALICE, "one");
    fake_now = T0 + 60;
    say(fx, BOB, "two");
    fake_now = T0 + 120;
    say(fx, ALICE, "three");
    fake_now = T0 + 300;
    capture_clear(&fx->cap);

    fixture_feed(fx, JOIN(CAROL, "Carol"));
    /* Alice, Bob, herself, three history messages, the subject */
    assert_int_equal(count_to(fx, CAROL), 7);
    assert_attr(nth_to(fx, CAROL, 0), "from", ROOM "/Alice");
    assert_attr(nth_to(fx, CAROL, 1), "from", ROOM "/Bob");
    assert_attr(nth_to(fx, CAROL, 2), "from", ROOM "/Carol");
    assert_string_equal(xmpp_stanza_get_name(nth_to(fx, CAROL, 2)), "presence");

    static const char *const from[] = {ROOM "/Alice", ROOM "/Bob", ROOM "/Alice"};
    static const char *const id[] = {"id-one", "id-two", "id-three"};
    static const char *const body[] = {"one", "two", "three"};
    static const char *const stamp[] = {"2023-11-14T22:13:20Z", "2023-11-14T22:14:20Z",
                                        "2023-11-14T22:15:20Z"};
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *m = nth_to(fx, CAROL, 3 + i);
        assert_string_equal(xmpp_stanza_get_name(m), "message");
        assert_attr(m, "type", "groupchat");
        assert_attr(m, "from", from[i]);
        assert_attr(m, "id", id[i]);
        assert_child_text(m, "body", body[i]);
        xmpp_stanza_t *d = delay_of(m);
        assert_non_null(d);
        assert_attr(d, "from", ROOM);
        assert_attr(d, "stamp", stamp[i]);
    }
    assert_subject_last(fx, CAROL);
    /* history goes to the joiner only */
    assert_int_equal(count_to(fx, ALICE), 1);
    assert_int_equal(count_to(fx, BOB), 1);
}

static void test_history_keeps_at_most_history_length(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    char body[8];
    for (int i = 1; i <= 25; i++) {
        snprintf(body, sizeof body, "m%d", i);
        say(fx, ALICE, body);
    }
    capture_clear(&fx->cap);
    assert_int_equal(the_room_history_count(fx), 20);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *h[32];
    assert_int_equal(history_to(fx, CAROL, h, 32), 20);
    for (int i = 0; i < 20; i++) {
        snprintf(body, sizeof body, "m%d", i + 6);
        assert_child_text(h[i], "body", body);
    }
    assert_subject_last(fx, CAROL);
}

static void test_history_maxstanzas(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    join_with_history(fx, CAROL, "Carol", "maxstanzas='2'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 2);
    assert_child_text(h[0], "body", "m4");
    assert_child_text(h[1], "body", "m5");
    assert_int_equal(count_to(fx, CAROL), 3 + 2 + 1);
    assert_subject_last(fx, CAROL);
}

static void test_history_maxstanzas_zero(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    join_with_history(fx, CAROL, "Carol", "maxstanzas='0'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 0);
    assert_int_equal(count_to(fx, CAROL), 3 + 1);
    assert_subject_last(fx, CAROL);
}

static void test_history_maxstanzas_above_count(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    join_with_history(fx, CAROL, "Carol", "maxstanzas='50'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 5);
    assert_child_text(h[0], "body", "m1");
}

static void test_history_seconds(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx); /* stamps T0, +100, +200, +300, +400; now T0+500 */
    join_with_history(fx, CAROL, "Carol", "seconds='150'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 1);
    assert_child_text(h[0], "body", "m5");
    assert_subject_last(fx, CAROL);

    /* the boundary is inclusive: exactly `seconds` old is still sent */
    capture_clear(&fx->cap);
    join_with_history(fx, DAVID, "David", "seconds='200'");
    assert_int_equal(history_to(fx, DAVID, h, 8), 2);
    assert_child_text(h[0], "body", "m4");
    assert_child_text(h[1], "body", "m5");
}

static void test_history_seconds_follows_clock(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    fake_now = T0 + 10000; /* much later: nothing is recent enough */
    join_with_history(fx, CAROL, "Carol", "seconds='3600'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 0);
    assert_subject_last(fx, CAROL);
}

static void test_history_since(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    /* T0+250: m4 (T0+300) and m5 (T0+400) */
    join_with_history(fx, CAROL, "Carol", "since='2023-11-14T22:17:30Z'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 2);
    assert_child_text(h[0], "body", "m4");
    assert_child_text(h[1], "body", "m5");
    assert_subject_last(fx, CAROL);

    /* inclusive, with fractions and a time zone offset: T0+200 */
    capture_clear(&fx->cap);
    join_with_history(fx, DAVID, "David", "since='2023-11-14T23:16:40.000+01:00'");
    assert_int_equal(history_to(fx, DAVID, h, 8), 3);
    assert_child_text(h[0], "body", "m3");
}

static void test_history_since_and_maxstanzas(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    /* every limit applies: since allows all five, maxstanzas one */
    join_with_history(fx, CAROL, "Carol", "since='2023-11-14T22:13:20Z' maxstanzas='1'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 1);
    assert_child_text(h[0], "body", "m5");
}

static void test_history_maxchars_zero(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    join_with_history(fx, CAROL, "Carol", "maxchars='0'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 0);
    assert_int_equal(count_to(fx, CAROL), 3 + 1);
    assert_subject_last(fx, CAROL);
}

static void test_history_maxchars_counts_whole_stanzas(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    /* measure the newest history stanza as Carol gets it */
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 5);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(h[4], &text, &len), 0);
    xmpp_free(fx->ctx, text);
    capture_clear(&fx->cap);

    char attrs[64];
    /* one stanza's worth, exactly: the newest only */
    snprintf(attrs, sizeof attrs, "maxchars='%zu'", len);
    join_with_history(fx, DAVID, "David", attrs);
    assert_int_equal(history_to(fx, DAVID, h, 8), 1);
    assert_child_text(h[0], "body", "m5");
    assert_subject_last(fx, DAVID);
    /* one character less: none */
    capture_clear(&fx->cap);
    fixture_feed(fx,
                 "<presence type='unavailable' from='" DAVID "' to='" ROOM "/David'/>");
    capture_clear(&fx->cap);
    snprintf(attrs, sizeof attrs, "maxchars='%zu'", len - 1);
    join_with_history(fx, DAVID, "David", attrs);
    assert_int_equal(history_to(fx, DAVID, h, 8), 0);
    assert_subject_last(fx, DAVID);
}

static void test_history_bad_limits_ignored(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    five_messages(fx);
    join_with_history(fx, CAROL, "Carol",
                      "maxstanzas='many' maxchars='-3' since='yesterday'");
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 5);
}

static void test_message_without_body_not_in_history(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='groupchat' from='" BOB "' to='" ROOM
                                      "'><composing xmlns='http://jabber.org/protocol/"
                                      "chatstates'/></message>"),
                     2);
    assert_int_equal(the_room_history_count(fx), 0);
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 0);
}

static void test_history_survives_sender_leaving(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    say(fx, BOB, "before leaving");
    fixture_feed(fx, "<presence type='unavailable' from='" BOB "' to='" ROOM "/Bob'/>");
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *h[8];
    assert_int_equal(history_to(fx, CAROL, h, 8), 1);
    assert_attr(h[0], "from", ROOM "/Bob");
    assert_child_text(h[0], "body", "before leaving");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_history_order_and_delay),
        T(test_history_keeps_at_most_history_length),
        T(test_history_maxstanzas),
        T(test_history_maxstanzas_zero),
        T(test_history_maxstanzas_above_count),
        T(test_history_seconds),
        T(test_history_seconds_follows_clock),
        T(test_history_since),
        T(test_history_since_and_maxstanzas),
        T(test_history_maxchars_zero),
        T(test_history_maxchars_counts_whole_stanzas),
        T(test_history_bad_limits_ignored),
        T(test_message_without_body_not_in_history),
        T(test_history_survives_sender_leaving),
#undef T
    };
    return cmocka_run_group_tests_name("muc_history", tests, NULL, NULL);
}
