/* test_limits.c - the [limits] of the service (issue 7): stanza size, room
 * name length, rooms in all and per creator (stored rooms counted through
 * the store's creators index), and the per-occupant message rate. Each
 * limit crossed gives its error with a text, and nothing else changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

#define GROUPCHAT(from, id, body)                                                        \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM "'><body>" body    \
    "</body></message>"
#define JOIN_ROOM(from, room, nick)                                                      \
    "<presence from='" from "' to='" room "@" FX_DOMAIN "/" nick "'><x xmlns='" NS_MUC   \
    "'/></presence>"
#define INSTANT(from, room)                                                              \
    "<iq type='set' id='inst' from='" from "' to='" room "@" FX_DOMAIN                   \
    "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA                               \
    "' type='submit'/></query></iq>"
#define PERSIST(from, room)                                                              \
    "<iq type='set' id='keep' from='" from "' to='" room "@" FX_DOMAIN                   \
    "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA "' type='submit'>"            \
    "<field var='FORM_TYPE'><value>" NS_ROOMCONFIG "</value></field>"                    \
    "<field "                                                                            \
    "var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>"
#define LEAVE_ROOM(from, room, nick)                                                     \
    "<presence type='unavailable' from='" from "' to='" room "@" FX_DOMAIN "/" nick "'/" \
    ">"
#define DESTROY(from, room)                                                              \
    "<iq type='set' id='bye' from='" from "' to='" room "@" FX_DOMAIN                    \
    "'><query xmlns='" NS_MUC_OWNER "'><destroy/></query></iq>"

static long long fake_ms;
static long long fake_now_ms(void)
{
    return fake_ms;
}

/* ---- fixtures --------------------------------------------------------- */

/* The support fixture with a fake monotonic clock. */
static int setup(void **state)
{
    int rc = fixture_setup(state);
    fixture_t *fx = *state;
    fake_ms = 1000000;
    fx->svc->now_ms = fake_now_ms;
    return rc;
}

/* A service that keeps rooms in a store (for stored room counts), with
 * the fake clock; the cmocka prestate of setup_store. */
static sfx_config_t store_config = {
    .opts = {.max_nick_length = 20}, .map = 8u << 20, .now_ms = fake_now_ms};

static int setup_store(void **state)
{
    fake_ms = 1000000;
    return sfx_setup(state);
}

/* ---- helpers ---------------------------------------------------------- */

/* Asserts the last captured stanza is an error with this condition, type
 * and a <text/> containing `text`. */
static void assert_last_error(fixture_t *fx, const char *type, const char *cond,
                              const char *text)
{
    xmpp_stanza_t *e = capture_at(&fx->cap, fx->cap.count - 1);
    assert_stanza_error(e, type, cond);
    xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(e, "error");
    xmpp_stanza_t *t = xmpp_stanza_get_child_by_name(err, "text");
    assert_non_null(t);
    char *s = xmpp_stanza_get_text(t);
    assert_non_null(s);
    if (!strstr(s, text)) fail_msg("error text '%s' lacks '%s'", s, text);
    xmpp_free(fx->ctx, s);
}

/* alice creates room `name` (instant room) and stays in it. */
static void create(fixture_t *fx, const char *name)
{
    char join[256], inst[512];
    snprintf(join, sizeof join,
             "<presence from='" ALICE "' to='%s@" FX_DOMAIN "/Alice'><x xmlns='" NS_MUC
             "'/></presence>",
             name);
    snprintf(inst, sizeof inst,
             "<iq type='set' id='inst' from='" ALICE "' to='%s@" FX_DOMAIN
             "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
             "' type='submit'/></query></iq>",
             name);
    assert_int_equal(fixture_feed(fx, join), 2); /* self presence + subject */
    assert_int_equal(fixture_feed(fx, inst), 1);
}

/* Alice in room@ (unlocked), Bob too; the capture is left empty. */
static void room_with_bob(fixture_t *fx)
{
    create(fx, "room");
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* ---- stanza size ------------------------------------------------------ */

static void test_oversized_stanza_refused(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fx->svc->limits.max_stanza_size = 1024;
    char big[2048];
    memset(big, 'x', 1100);
    big[1100] = '\0';
    char msg[4096];
    snprintf(msg, sizeof msg, GROUPCHAT(BOB, "big", "%s"), big);
    assert_int_equal(fixture_feed(fx, msg), 1); /* the error only: no broadcast */
    assert_true(is_to(capture_at(&fx->cap, 0), BOB));
    assert_last_error(fx, "modify", "not-acceptable", "at most 1024 bytes");
    assert_int_equal(service_room_loaded(fx->svc, "room")->history_count, 0);
    /* a message under the limit still goes through */
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "small", "hello")), 2);
}

static void test_oversized_error_is_dropped(void **state)
{
    fixture_t *fx = *state;
    fx->svc->limits.max_stanza_size = 1024;
    char big[2048], msg[4096];
    memset(big, 'x', 1500);
    big[1500] = '\0';
    snprintf(msg, sizeof msg,
             "<message type='error' from='" BOB "' to='" ROOM "/x'><error type='cancel'>"
             "<text>%s</text></error></message>",
             big);
    assert_int_equal(fixture_feed(fx, msg), 0); /* errors are never answered */
}

static void test_oversized_attributes_count(void **state)
{
    fixture_t *fx = *state;
    fx->svc->limits.max_stanza_size = 1024;
    char val[1200], iq[2048];
    memset(val, 'a', 1100);
    val[1100] = '\0';
    snprintf(iq, sizeof iq,
             "<iq type='get' id='p1' from='" BOB "' to='" FX_DOMAIN "' x='%s'><ping "
             "xmlns='urn:xmpp:ping'/></iq>",
             val);
    assert_int_equal(fixture_feed(fx, iq), 1);
    assert_last_error(fx, "modify", "not-acceptable", "stanza too large");
}

/* ---- room names and room counts --------------------------------------- */

static void test_room_name_too_long(void **state)
{
    fixture_t *fx = *state;
    fx->svc->limits.max_room_name_length = 8;
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "ninechars", "Alice")), 1);
    assert_last_error(fx, "modify", "not-acceptable", "room name too long");
    assert_null(service_room_loaded(fx->svc, "ninechars"));
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "eightchr", "Alice")), 2);
    assert_non_null(service_room_loaded(fx->svc, "eightchr"));
}

static void test_max_rooms(void **state)
{
    fixture_t *fx = *state;
    fx->svc->limits.max_rooms = 2;
    create(fx, "one");
    create(fx, "two");
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(BOB, "three", "Bob")), 1);
    assert_last_error(fx, "wait", "resource-constraint", "maximum of 2 rooms");
    assert_null(service_room_loaded(fx->svc, "three"));
    /* joining an existing room is not creating one */
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(BOB, "one", "Bob")), 4);
    /* when a temporary room goes away, there is room again */
    assert_int_equal(fixture_feed(fx, LEAVE_ROOM(ALICE, "two", "Alice")), 1);
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(BOB, "three", "Bob")), 2);
}

static void test_max_rooms_per_creator(void **state)
{
    fixture_t *fx = *state;
    fx->svc->limits.max_rooms_per_creator = 2;
    create(fx, "one");
    create(fx, "two");
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "three", "Alice")), 1);
    assert_last_error(fx, "modify", "policy-violation", "maximum of 2 rooms");
    assert_null(service_room_loaded(fx->svc, "three"));
    /* another user is not limited by alice's rooms */
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(BOB, "three", "Bob")), 2);
}

static void test_admin_passes_room_counts(void **state)
{
    fixture_t *fx = *state;
    service_free(fx->svc);
    service_opts_t opts = {.domain = FX_DOMAIN, .admins = "alice@localhost"};
    fx->svc = service_new(fx->ctx, &opts);
    assert_non_null(fx->svc);
    fx->svc->limits.max_rooms = 1;
    fx->svc->limits.max_rooms_per_creator = 1;
    create(fx, "one");
    create(fx, "two"); /* a service admin: allowed */
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(BOB, "three", "Bob")), 1);
    assert_last_error(fx, "wait", "resource-constraint", "maximum of 1 rooms");
}

/* Stored rooms count for their creator after they unload and after a
 * restart (the creators index in the store); destroying one frees a slot. */
static void test_stored_rooms_per_creator(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    fx->svc->limits.max_rooms_per_creator = 1;
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "kept", "Alice")), 2);
    assert_int_equal(fixture_feed(fx, PERSIST(ALICE, "kept")), 1);
    assert_int_equal(fixture_feed(fx, LEAVE_ROOM(ALICE, "kept", "Alice")), 1);
    assert_null(service_room_loaded(fx->svc, "kept")); /* unloaded to the store */
    size_t n = 0;
    assert_int_equal(store_rooms_by_creator(p->st, "alice@localhost", &n), STORE_OK);
    assert_int_equal(n, 1);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "other", "Alice")), 1);
    assert_last_error(fx, "modify", "policy-violation", "maximum of 1 rooms");
    /* the creator survives a reload: destroy it, and the slot is free */
    assert_int_equal(fixture_feed(fx, DESTROY(ALICE, "kept")), 1);
    assert_int_equal(store_rooms_by_creator(p->st, "alice@localhost", &n), STORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(fixture_feed(fx, JOIN_ROOM(ALICE, "other", "Alice")), 2);
}

/* ---- message rate ----------------------------------------------------- */

static void test_message_rate(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fx->svc->limits.message_rate = 2;
    fx->svc->limits.message_burst = 3;
    for (int i = 0; i < 3; i++)
        assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m", "burst")), 2);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "over", "one too many")), 1);
    assert_true(is_to(capture_at(&fx->cap, fx->cap.count - 1), BOB));
    assert_last_error(fx, "wait", "resource-constraint", "at most 2 per second");
    /* others are not limited by Bob's bucket */
    assert_int_equal(fixture_feed(fx, GROUPCHAT(ALICE, "a", "mine")), 2);
    /* half a second later one more token (2/s) */
    fake_ms += 500;
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m", "again")), 2);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "over", "too soon")), 1);
    assert_last_error(fx, "wait", "resource-constraint", "too many messages");
    /* a long pause refills to the burst, not beyond */
    fake_ms += 60000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m", "burst")), 2);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "over", "fourth")), 1);
}

static void test_message_rate_counts_private_messages(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fx->svc->limits.message_rate = 1;
    fx->svc->limits.message_burst = 2;
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m1", "one")), 2);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='pm' from='" BOB
                                      "' to='" ROOM "/Alice'><body>two</body></message>"),
                     1);
    assert_true(is_to(capture_at(&fx->cap, fx->cap.count - 1), ALICE));
    assert_int_equal(fixture_feed(fx,
                                  "<message type='chat' id='pm2' from='" BOB "' to='" ROOM
                                  "/Alice'><body>three</body></message>"),
                     1);
    assert_last_error(fx, "wait", "resource-constraint", "too many messages");
    assert_true(is_to(capture_at(&fx->cap, fx->cap.count - 1), BOB));
}

static void test_limits_off_by_default(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m", "no limit")), 2);
        capture_clear(&fx->cap);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_oversized_stanza_refused),
        T(test_oversized_error_is_dropped),
        T(test_oversized_attributes_count),
        T(test_room_name_too_long),
        T(test_max_rooms),
        T(test_max_rooms_per_creator),
        T(test_admin_passes_room_counts),
        cmocka_unit_test_prestate_setup_teardown(
            test_stored_rooms_per_creator, setup_store, sfx_teardown, &store_config),
        T(test_message_rate),
        T(test_message_rate_counts_private_messages),
        T(test_limits_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
