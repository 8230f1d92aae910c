/* test_muc_service.c - room discovery (XEP-0030 on rooms, XEP-0045 §6) and
 * the service's room-creation restriction. */
#include <string.h>

#include "tests/support/muc_asserts.h"

#define JOIN_AT(from, room, nick)                                                        \
    "<presence from='" from "' to='" room "@" FX_DOMAIN "/" nick "'><x xmlns='" NS_MUC   \
    "'/></presence>"

/* ---- helpers ---------------------------------------------------------- */

/* The only stanza fed xml produced. */
static xmpp_stanza_t *feed_one(fixture_t *fx, const char *xml)
{
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    return capture_at(&fx->cap, 0);
}

/* Feeds a creating join (2 stanzas) and, unless NULL, the instant-room
 * acceptance (1 stanza); leaves the capture empty. */
static void create(fixture_t *fx, const char *join_xml, const char *unlock_xml)
{
    assert_int_equal(fixture_feed(fx, join_xml), 2);
    if (unlock_xml) assert_int_equal(fixture_feed(fx, unlock_xml), 1);
    capture_clear(&fx->cap);
}

#define UNLOCK(room)                                                                     \
    "<iq type='set' id='c1' from='" ALICE "' to='" room "@" FX_DOMAIN                    \
    "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA                               \
    "' type='submit'/></query></iq>"

/* ---- room disco -------------------------------------------------------- */

static void test_room_disco_info(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), UNLOCK("room"));
    xmpp_stanza_t *r = feed_one(fx, DISCO("d1", ROOM, NS_DISCO_INFO));
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "d1");
    assert_attr(r, "from", ROOM);
    assert_attr(r, "to", BOB);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_INFO);
    assert_non_null(q);
    assert_int_equal(child_count(q, "identity"), 1);
    xmpp_stanza_t *id = xmpp_stanza_get_child_by_name(q, "identity");
    assert_attr(id, "category", "conference");
    assert_attr(id, "type", "text");
    static const char *const expected[] = {
        NS_MUC,     "muc_semianonymous", "muc_temporary", "muc_public",
        "muc_open", "muc_unmoderated",   "muc_unsecured",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (!has_feature(q, expected[i])) fail_msg("missing feature %s", expected[i]);
    static const char *const absent[] = {
        "muc_nonanonymous", "muc_persistent", "muc_hidden",
        "muc_membersonly",  "muc_moderated",  "muc_passwordprotected",
    };
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        if (has_feature(q, absent[i])) fail_msg("unexpected feature %s", absent[i]);
}

static void test_room_disco_info_follows_config(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), UNLOCK("room"));
    room_t *room = service_room(fx->svc, "room");
    assert_non_null(room);
    room->cfg.whois_anyone = true;
    room->cfg.moderated = true;
    xmpp_stanza_t *r = feed_one(fx, DISCO("d2", ROOM, NS_DISCO_INFO));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_INFO);
    assert_non_null(q);
    assert_true(has_feature(q, "muc_nonanonymous"));
    assert_false(has_feature(q, "muc_semianonymous"));
    assert_true(has_feature(q, "muc_moderated"));
    assert_false(has_feature(q, "muc_unmoderated"));
}

static void test_room_disco_info_missing_room(void **state)
{
    fixture_t *fx = *state;
    xmpp_stanza_t *r = feed_one(fx, DISCO("d3", "nowhere@" FX_DOMAIN, NS_DISCO_INFO));
    assert_string_equal(xmpp_stanza_get_name(r), "iq");
    assert_stanza_error(r, "cancel", "item-not-found");
    assert_attr(r, "id", "d3");
    assert_attr(r, "to", BOB);
    assert_attr(r, "from", "nowhere@" FX_DOMAIN);
    /* asking does not create it */
    assert_null(service_room(fx->svc, "nowhere"));
}

static void test_room_disco_info_locked_room(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), NULL);
    xmpp_stanza_t *r = feed_one(fx, DISCO("d4", ROOM, NS_DISCO_INFO));
    assert_stanza_error(r, "cancel", "item-not-found");
}

static void test_room_disco_items_lists_occupants(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), UNLOCK("room"));
    xmpp_stanza_t *r = feed_one(fx, DISCO("d5", ROOM, NS_DISCO_ITEMS));
    assert_attr(r, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_int_equal(child_count(q, "item"), 1);
    assert_attr(xmpp_stanza_get_child_by_name(q, "item"), "jid", ROOM "/Alice");
}

/* ---- service disco#items ----------------------------------------------- */

static void test_service_items_lists_unlocked_public_rooms(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), UNLOCK("room"));
    create(fx, JOIN_AT(ALICE, "locked", "Alice"), NULL);
    create(fx, JOIN_AT(ALICE, "hidden", "Alice"), UNLOCK("hidden"));
    service_room(fx->svc, "hidden")->cfg.public_list = false;

    xmpp_stanza_t *r = feed_one(fx, DISCO("i1", FX_DOMAIN, NS_DISCO_ITEMS));
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "i1");
    assert_attr(r, "from", FX_DOMAIN);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_int_equal(child_count(q, "item"), 1);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    assert_attr(item, "jid", ROOM);
    assert_attr(item, "name", "room");
}

static void test_service_items_sorted(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "zeta", "Alice"), UNLOCK("zeta"));
    create(fx, JOIN_AT(ALICE, "alpha", "Alice"), UNLOCK("alpha"));
    xmpp_stanza_t *r = feed_one(fx, DISCO("i2", FX_DOMAIN, NS_DISCO_ITEMS));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_int_equal(child_count(q, "item"), 2);
    xmpp_stanza_t *first = xmpp_stanza_get_child_by_name(q, "item");
    assert_attr(first, "jid", "alpha@" FX_DOMAIN);
    assert_attr(xmpp_stanza_get_next(first), "jid", "zeta@" FX_DOMAIN);
}

static void test_service_items_drop_destroyed_room(void **state)
{
    fixture_t *fx = *state;
    create(fx, JOIN_AT(ALICE, "room", "Alice"), UNLOCK("room"));
    assert_int_equal(fixture_feed(fx, "<presence type='unavailable' from='" ALICE
                                      "' to='" ROOM "/Alice'/>"),
                     1);
    xmpp_stanza_t *r = feed_one(fx, DISCO("i3", FX_DOMAIN, NS_DISCO_ITEMS));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_int_equal(child_count(q, "item"), 0);
}

/* ---- who may create rooms ---------------------------------------------- */

static void test_room_creation_restricted(void **state)
{
    fixture_t *fx = *state;
    service_opts_t opts = {.domain = FX_DOMAIN,
                           .name = "Restricted",
                           .history_length = 20,
                           .max_nick_length = 20,
                           .creators = "example.org, boss@localhost"};
    service_t *svc2 = service_new(fx->ctx, &opts);
    assert_non_null(svc2);

    /* alice@localhost: neither the domain nor the JID is listed */
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT(ALICE, "r1", "Alice")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_stanza_error(e, "cancel", "not-allowed");
    assert_attr(e, "to", ALICE);
    assert_attr(e, "from", "r1@" FX_DOMAIN "/Alice");
    assert_null(service_room(svc2, "r1"));
    capture_clear(&fx->cap);

    /* a listed bare JID */
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT("boss@localhost/desk", "r2", "Boss")), 2);
    xmpp_stanza_t *p = capture_at(&fx->cap, 0);
    assert_attr(p, "type", NULL);
    assert_attr(p, "from", "r2@" FX_DOMAIN "/Boss");
    assert_non_null(service_room(svc2, "r2"));
    capture_clear(&fx->cap);

    /* anyone from a listed domain */
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT("x@example.org/r", "r3", "X")), 2);
    assert_attr(capture_at(&fx->cap, 0), "type", NULL);
    assert_non_null(service_room(svc2, "r3"));
    capture_clear(&fx->cap);

    /* neither a subdomain nor a user of the listed JID's domain */
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT("x@sub.example.org/r", "r4", "X")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "not-allowed");
    capture_clear(&fx->cap);
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT("bossy@localhost/r", "r5", "X")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "not-allowed");
    capture_clear(&fx->cap);

    /* alice may still enter a room someone allowed created */
    assert_int_equal(feed_svc(fx, svc2, UNLOCK("r2")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "auth", "forbidden"); /* not her room */
    capture_clear(&fx->cap);
    assert_int_equal(
        feed_svc(fx, svc2,
                 "<iq type='set' id='c2' from='boss@localhost/desk' to='r2@" FX_DOMAIN
                 "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
                 "' type='submit'/></query></iq>"),
        1);
    assert_attr(capture_at(&fx->cap, 0), "type", "result");
    capture_clear(&fx->cap);
    assert_int_equal(feed_svc(fx, svc2, JOIN_AT(ALICE, "r2", "Alice")),
                     4); /* Boss, self x2, subject */
    assert_attr(capture_at(&fx->cap, 0), "type", NULL);
    capture_clear(&fx->cap);

    service_free(svc2);
}

static void test_room_creation_open_by_default(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN_AT("anyone@elsewhere.example/x", "r", "A")),
                     2);
    assert_attr(capture_at(&fx->cap, 0), "type", NULL);
    assert_non_null(service_room(fx->svc, "r"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_room_disco_info),
        T(test_room_disco_info_follows_config),
        T(test_room_disco_info_missing_room),
        T(test_room_disco_info_locked_room),
        T(test_room_disco_items_lists_occupants),
        T(test_service_items_lists_unlocked_public_rooms),
        T(test_service_items_sorted),
        T(test_service_items_drop_destroyed_room),
        T(test_room_creation_restricted),
        T(test_room_creation_open_by_default),
#undef T
    };
    return cmocka_run_group_tests_name("muc_service", tests, NULL, NULL);
}
