/* test_muc_admin.c - muc#admin through the core: kicking, banning, voice,
 * moderator status, atomic multi-item sets, the last-owner rule, member and
 * role lists, members-only membership loss and service admins (XEP-0045 §8,
 * §9, §10), driven through service_handle with a capture sink. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/muc_asserts.h"

#define DAVE "dave@localhost/d"
#define ROOT "root@localhost/r"

#define ADMIN_GET(from, id, item)                                                        \
    "<iq type='get' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_ADMIN "'>" item "</query></iq>"
#define ROLE_ITEM(nick, role) "<item nick='" nick "' role='" role "'/>"

/* ---- helpers ---------------------------------------------------------- */

/* Feeds xml and expects exactly one reply: an IQ error (type, condition). */
static void feed_expect_error(fixture_t *fx, const char *xml, const char *type,
                              const char *cond)
{
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), type, cond);
    capture_clear(&fx->cap);
}

static role_t role_of(fixture_t *fx, const char *nick)
{
    occupant_t *o = room_occupant_by_nick(the_room(fx), nick);
    assert_non_null(o);
    return o->role;
}

/* Alice creates and unlocks room@, then Bob and Carol join; capture empty. */
static void room_of_three(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c0", "")), 1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Carol")), 6);
    capture_clear(&fx->cap);
}

/* Feeds an admin set from `from` expecting success; capture cleared. */
static void admin_ok(fixture_t *fx, const char *xml)
{
    capture_clear(&fx->cap);
    assert_true(fixture_feed(fx, xml) >= 1);
    xmpp_stanza_t *last = capture_at(&fx->cap, fx->cap.count - 1);
    assert_string_equal(xmpp_stanza_get_name(last), "iq");
    assert_attr(last, "type", "result");
    capture_clear(&fx->cap);
}

/* ---- kicking ---------------------------------------------------------- */

static void test_kick_broadcast_and_removal(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(fixture_feed(fx, ADMIN_SET(ALICE, "k1",
                                                "<item nick='Bob' role='none'><reason>"
                                                "bye</reason></item>")),
                     4);
    assert_int_equal(count_named(fx, "presence"), 3);
    static const char *const to[] = {ALICE, BOB, CAROL};
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *p = nth_to(fx, to[i], 0);
        /* Alice (moderator) and Bob himself see his JID, Carol does not */
        assert_presence(p, "unavailable", ROOM "/Bob", to[i], "none", "none",
                        i == 2 ? NULL : BOB);
        assert_true(has_status(p, 307));
        assert_int_equal(has_status(p, 110), i == 1);
        xmpp_stanza_t *item = muc_item(p);
        assert_child_text(item, "reason", "bye");
        xmpp_stanza_t *actor = xmpp_stanza_get_child_by_name(item, "actor");
        assert_non_null(actor);
        assert_attr(actor, "nick", "Alice");
        assert_attr(actor, "jid", NULL);
    }
    /* the result comes last, to the owner */
    assert_result(capture_at(&fx->cap, 3), "k1", ALICE);
    assert_int_equal(count_to(fx, ALICE), 2);
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_null(room_occupant_by_jid(room, BOB));
    assert_int_equal(room_occupant_count(room), 2);
    /* a kick is no ban: Bob may come back */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 6);
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_NONE);
}

static void test_kick_unknown_nick(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_expect_error(fx, ADMIN_SET(ALICE, "k2", ROLE_ITEM("Nobody", "none")), "cancel",
                      "item-not-found");
    assert_int_equal(room_occupant_count(the_room(fx)), 3);
}

static void test_kick_by_participant_forbidden(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_expect_error(fx, ADMIN_SET(BOB, "k3", ROLE_ITEM("Carol", "none")), "auth",
                      "forbidden");
    assert_int_equal(room_occupant_count(the_room(fx)), 3);
}

static void test_admin_kicks_owner_not_allowed(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    admin_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("carol@localhost", "admin")));
    assert_int_equal(role_of(fx, "Carol"), ROLE_MODERATOR);
    feed_expect_error(fx, ADMIN_SET(CAROL, "k4", ROLE_ITEM("Alice", "none")), "cancel",
                      "not-allowed");
    assert_int_equal(room_occupant_count(the_room(fx)), 3);
    /* but she kicks a participant */
    admin_ok(fx, ADMIN_SET(CAROL, "k5", ROLE_ITEM("Bob", "none")));
    assert_null(room_occupant_by_nick(the_room(fx), "Bob"));
}

/* CORE BUG (perm.c rule order): XEP-0045 §8.2 - a participant moderator who
 * tries to kick an admin gets <not-allowed/> (type cancel). perm_role_change
 * matches "revoking moderator needs an admin" first (the admin holds the
 * moderator role) and the reply is <forbidden/> (type auth). */
static void test_regression_participant_moderator_kicks_admin_not_allowed(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    admin_ok(fx, ADMIN_SET(ALICE, "m1", ROLE_ITEM("Bob", "moderator")));
    admin_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("carol@localhost", "admin")));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, ADMIN_SET(BOB, "k6", ROLE_ITEM("Carol", "none"))),
                     1);
    assert_int_equal(room_occupant_count(the_room(fx)), 3);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "not-allowed");
}

static void test_kick_occupant_with_two_sessions(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_true(fixture_feed(fx, JOIN("bob@localhost/other", "Bob")) > 0);
    capture_clear(&fx->cap);
    /* Alice, Carol and both of Bob's sessions, then the result */
    assert_int_equal(fixture_feed(fx, ADMIN_SET(ALICE, "k7", ROLE_ITEM("Bob", "none"))),
                     5);
    static const char *const bobs[] = {BOB, "bob@localhost/other"};
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *p = nth_to(fx, bobs[i], 0);
        assert_attr(p, "type", "unavailable");
        assert_true(has_status(p, 307));
        assert_true(has_status(p, 110));
    }
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_null(room_occupant_by_jid(room, BOB));
    assert_null(room_occupant_by_jid(room, "bob@localhost/other"));
}

static void test_malformed_sets_refused(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* no item */
    feed_expect_error(fx, ADMIN_SET(ALICE, "e1", ""), "modify", "bad-request");
    /* both a role and an affiliation, or neither */
    feed_expect_error(fx,
                      ADMIN_SET(ALICE, "e2",
                                "<item nick='Bob' jid='bob@localhost' role='none' "
                                "affiliation='outcast'/>"),
                      "modify", "bad-request");
    feed_expect_error(fx, ADMIN_SET(ALICE, "e3", "<item nick='Bob'/>"), "modify",
                      "bad-request");
    /* unknown names */
    feed_expect_error(fx, ADMIN_SET(ALICE, "e4", ROLE_ITEM("Bob", "king")), "modify",
                      "bad-request");
    feed_expect_error(fx, ADMIN_SET(ALICE, "e5", AFF_ITEM("bob@localhost", "friend")),
                      "modify", "bad-request");
    /* a bad or missing JID */
    feed_expect_error(fx, ADMIN_SET(ALICE, "e6", AFF_ITEM("bad jid@localhost", "member")),
                      "modify", "jid-malformed");
    feed_expect_error(fx, ADMIN_SET(ALICE, "e7", "<item affiliation='member'/>"),
                      "modify", "jid-malformed");
    /* the same occupant twice, even with a valid first item */
    feed_expect_error(
        fx, ADMIN_SET(ALICE, "e8", ROLE_ITEM("Bob", "visitor") ROLE_ITEM("Bob", "none")),
        "modify", "bad-request");
    room_t *room = the_room(fx);
    assert_int_equal(room_occupant_count(room), 3);
    assert_int_equal(role_of(fx, "Bob"), ROLE_PARTICIPANT);
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_NONE);
    /* a set to a room that does not exist */
    feed_expect_error(fx,
                      "<iq type='set' id='e9' from='" ALICE "' to='nowhere@" FX_DOMAIN
                      "'><query xmlns='" NS_MUC_ADMIN
                      "'>" ROLE_ITEM("Bob", "none") "</query></iq>",
                      "cancel", "item-not-found");
}

/* ---- banning ---------------------------------------------------------- */

static void test_ban_by_jid(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(fixture_feed(fx, ADMIN_SET(ALICE, "b1",
                                                "<item jid='bob@localhost' "
                                                "affiliation='outcast'><reason>spam"
                                                "</reason></item>")),
                     4);
    static const char *const to[] = {ALICE, BOB, CAROL};
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *p = nth_to(fx, to[i], 0);
        assert_presence(p, "unavailable", ROOM "/Bob", to[i], "outcast", "none",
                        i == 2 ? NULL : BOB);
        assert_true(has_status(p, 301));
        assert_false(has_status(p, 307));
        assert_int_equal(has_status(p, 110), i == 1);
        assert_child_text(muc_item(p), "reason", "spam");
    }
    assert_result(capture_at(&fx->cap, 3), "b1", ALICE);
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_OUTCAST);

    /* banned: any resource, any nick */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<presence from='bob@localhost/other' to='" ROOM
                                      "/Robert'><x xmlns='" NS_MUC "'/></presence>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_stanza_error(e, "auth", "forbidden");
    assert_attr(e, "to", "bob@localhost/other");
    assert_null(room_occupant_by_nick(room, "Robert"));

    /* the ban list shows him */
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, ADMIN_GET(ALICE, "b2", "<item affiliation='outcast'/>")), 1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_MUC_ADMIN);
    assert_non_null(q);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    assert_non_null(item);
    assert_attr(item, "jid", "bob@localhost");
    assert_attr(item, "affiliation", "outcast");
}

/* ---- voice and moderator ---------------------------------------------- */

static void test_voice_in_moderated_room(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c0", FIELD("moderatedroom", "1"))),
                     1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_int_equal(role_of(fx, "Bob"), ROLE_VISITOR);
    capture_clear(&fx->cap);

    /* §8.3 grant voice */
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "v1", ROLE_ITEM("Bob", "participant"))), 3);
    assert_presence(nth_to(fx, ALICE, 0), NULL, ROOM "/Bob", ALICE, "none", "participant",
                    BOB);
    xmpp_stanza_t *self = nth_to(fx, BOB, 0);
    assert_presence(self, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_true(has_status(self, 110));
    assert_attr(xmpp_stanza_get_child_by_name(muc_item(self), "actor"), "nick", "Alice");
    assert_result(capture_at(&fx->cap, 2), "v1", ALICE);
    assert_int_equal(role_of(fx, "Bob"), ROLE_PARTICIPANT);

    /* §8.4 revoke it */
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "v2", ROLE_ITEM("Bob", "visitor"))), 3);
    assert_presence(nth_to(fx, ALICE, 0), NULL, ROOM "/Bob", ALICE, "none", "visitor",
                    BOB);
    assert_presence(nth_to(fx, BOB, 0), NULL, ROOM "/Bob", BOB, "none", "visitor", BOB);
    assert_int_equal(role_of(fx, "Bob"), ROLE_VISITOR);
    /* and the visitor is silenced */
    feed_expect_error(fx,
                      "<message type='groupchat' id='g1' from='" BOB "' to='" ROOM
                      "'><body>hi</body></message>",
                      "auth", "forbidden");
}

static void test_grant_moderator_by_owner(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "m1", ROLE_ITEM("Bob", "moderator"))), 4);
    /* Carol sees the new moderator (still without his JID) */
    assert_presence(nth_to(fx, CAROL, 0), NULL, ROOM "/Bob", CAROL, "none", "moderator",
                    NULL);
    assert_presence(nth_to(fx, BOB, 0), NULL, ROOM "/Bob", BOB, "none", "moderator", BOB);
    assert_result(capture_at(&fx->cap, 3), "m1", ALICE);
    assert_int_equal(role_of(fx, "Bob"), ROLE_MODERATOR);
    /* being a moderator he may now kick a participant */
    admin_ok(fx, ADMIN_SET(BOB, "k1", ROLE_ITEM("Carol", "none")));
    assert_null(room_occupant_by_nick(the_room(fx), "Carol"));
}

static void test_grant_moderator_by_participant_moderator_forbidden(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    admin_ok(fx, ADMIN_SET(ALICE, "m1", ROLE_ITEM("Bob", "moderator")));
    feed_expect_error(fx, ADMIN_SET(BOB, "m2", ROLE_ITEM("Carol", "moderator")), "auth",
                      "forbidden");
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);
    /* nor may he take Alice's */
    feed_expect_error(fx, ADMIN_SET(BOB, "m3", ROLE_ITEM("Alice", "participant")), "auth",
                      "forbidden");
    assert_int_equal(role_of(fx, "Alice"), ROLE_MODERATOR);
}

/* ---- atomic sets ------------------------------------------------------ */

static void test_multi_item_set_is_atomic(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    admin_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("dave@localhost", "admin")));
    /* Dave (admin) may make members and kick, but not grant admin */
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(DAVE, "x1",
                                   AFF_ITEM("erin@localhost", "member")
                                       ROLE_ITEM("Bob", "none")
                                           AFF_ITEM("carol@localhost", "outcast")
                                               AFF_ITEM("frank@localhost", "admin"))),
        1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "iq");
    assert_attr(e, "id", "x1");
    assert_attr(e, "to", DAVE);
    assert_stanza_error(e, "auth", "forbidden");
    room_t *room = the_room(fx);
    assert_int_equal(room_affiliation(room, "erin@localhost"), AFF_NONE);
    assert_int_equal(room_affiliation(room, "carol@localhost"), AFF_NONE);
    assert_int_equal(room_affiliation(room, "frank@localhost"), AFF_NONE);
    assert_int_equal(room_occupant_count(room), 3);
    assert_non_null(room_occupant_by_nick(room, "Bob"));
    assert_non_null(room_occupant_by_nick(room, "Carol"));
    /* the member list is still empty */
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, ADMIN_GET(ALICE, "x2", "<item affiliation='member'/>")), 1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_MUC_ADMIN);
    assert_non_null(q);
    assert_null(xmpp_stanza_get_child_by_name(q, "item"));
}

static void test_multi_item_set_all_allowed(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(fixture_feed(fx, ADMIN_SET(ALICE, "x3",
                                                AFF_ITEM("erin@localhost", "member")
                                                    ROLE_ITEM("Bob", "none"))),
                     1 + 3);
    room_t *room = the_room(fx);
    assert_int_equal(room_affiliation(room, "erin@localhost"), AFF_MEMBER);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_result(capture_at(&fx->cap, fx->cap.count - 1), "x3", ALICE);
}

/* ---- the last owner --------------------------------------------------- */

static void test_removing_last_owner_conflict(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_expect_error(fx, ADMIN_SET(ALICE, "o1", AFF_ITEM("alice@localhost", "admin")),
                      "cancel", "conflict");
    feed_expect_error(fx, ADMIN_SET(ALICE, "o2", AFF_ITEM("alice@localhost", "none")),
                      "cancel", "conflict");
    assert_int_equal(room_affiliation(the_room(fx), "alice@localhost"), AFF_OWNER);
    /* with a second owner she may step down */
    admin_ok(fx, ADMIN_SET(ALICE, "o3", AFF_ITEM("bob@localhost", "owner")));
    assert_int_equal(role_of(fx, "Bob"), ROLE_MODERATOR);
    admin_ok(fx, ADMIN_SET(ALICE, "o4", AFF_ITEM("alice@localhost", "member")));
    assert_int_equal(room_affiliation(the_room(fx), "alice@localhost"), AFF_MEMBER);
    assert_int_equal(role_of(fx, "Alice"), ROLE_PARTICIPANT);
    /* and now Bob is the last one */
    feed_expect_error(fx, ADMIN_SET(BOB, "o5", AFF_ITEM("bob@localhost", "none")),
                      "cancel", "conflict");
}

/* ---- lists ------------------------------------------------------------ */

static void test_member_of_absent_jid_then_list(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* nobody present is concerned: only the result */
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "l1", AFF_ITEM("erin@localhost", "member"))),
        1);
    assert_result(capture_at(&fx->cap, 0), "l1", ALICE);
    assert_int_equal(room_affiliation(the_room(fx), "erin@localhost"), AFF_MEMBER);

    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, ADMIN_GET(ALICE, "l2", "<item affiliation='member'/>")), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_result(r, "l2", ALICE);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_MUC_ADMIN);
    assert_non_null(q);
    int items = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        assert_string_equal(xmpp_stanza_get_name(c), "item");
        assert_attr(c, "jid", "erin@localhost");
        assert_attr(c, "affiliation", "member");
        items++;
    }
    assert_int_equal(items, 1);

    /* the owner list has Alice only */
    capture_clear(&fx->cap);
    fixture_feed(fx, ADMIN_GET(ALICE, "l3", "<item affiliation='owner'/>"));
    q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query",
                                             NS_MUC_ADMIN);
    assert_non_null(q);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    assert_non_null(item);
    assert_attr(item, "jid", "alice@localhost");
    assert_null(xmpp_stanza_get_next(item));
}

static void test_affiliation_list_get_by_non_admin_forbidden(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_expect_error(fx, ADMIN_GET(BOB, "l4", "<item affiliation='member'/>"), "auth",
                      "forbidden");
    feed_expect_error(fx, ADMIN_GET(BOB, "l5", "<item affiliation='outcast'/>"), "auth",
                      "forbidden");
    /* nor from outside the room */
    feed_expect_error(fx,
                      "<iq type='get' id='l6' from='zed@localhost/z' to='" ROOM
                      "'><query xmlns='" NS_MUC_ADMIN
                      "'><item affiliation='owner'/></query></iq>",
                      "auth", "forbidden");
}

static void test_role_list_get_by_moderator(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(
        fixture_feed(fx, ADMIN_GET(ALICE, "r1", "<item role='participant'/>")), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_result(r, "r1", ALICE);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_MUC_ADMIN);
    assert_non_null(q);
    static const char *const nicks[] = {"Bob", "Carol"};
    static const char *const jids[] = {"bob@localhost", "carol@localhost"};
    size_t n = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        assert_true(n < 2);
        assert_attr(c, "role", "participant");
        assert_attr(c, "nick", nicks[n]);
        assert_attr(c, "affiliation", "none");
        assert_attr(c, "jid", jids[n]);
        n++;
    }
    assert_int_equal(n, 2);

    capture_clear(&fx->cap);
    fixture_feed(fx, ADMIN_GET(ALICE, "r2", "<item role='moderator'/>"));
    q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query",
                                             NS_MUC_ADMIN);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    assert_non_null(item);
    assert_attr(item, "nick", "Alice");
    assert_attr(item, "affiliation", "owner");
    assert_null(xmpp_stanza_get_next(item));

    /* a participant may not */
    feed_expect_error(fx, ADMIN_GET(BOB, "r3", "<item role='participant'/>"), "auth",
                      "forbidden");
}

/* ---- affiliation changes of present occupants ------------------------- */

static void test_member_grant_broadcast(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "g1", AFF_ITEM("bob@localhost", "member"))), 4);
    assert_presence(nth_to(fx, CAROL, 0), NULL, ROOM "/Bob", CAROL, "member",
                    "participant", NULL);
    assert_presence(nth_to(fx, ALICE, 0), NULL, ROOM "/Bob", ALICE, "member",
                    "participant", BOB);
    assert_true(has_status(nth_to(fx, BOB, 0), 110));
    assert_int_equal(room_affiliation(the_room(fx), "bob@localhost"), AFF_MEMBER);
}

static void test_member_loses_membership_in_members_only_room(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c0", FIELD("membersonly", "1"))), 1);
    admin_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("bob@localhost", "member")));
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);

    assert_int_equal(fixture_feed(fx, ADMIN_SET(ALICE, "a2",
                                                "<item jid='bob@localhost' "
                                                "affiliation='none'><reason>sorry"
                                                "</reason></item>")),
                     3);
    xmpp_stanza_t *to_alice = nth_to(fx, ALICE, 0);
    assert_presence(to_alice, "unavailable", ROOM "/Bob", ALICE, "none", "none", BOB);
    assert_true(has_status(to_alice, 321));
    assert_false(has_status(to_alice, 110));
    assert_child_text(muc_item(to_alice), "reason", "sorry");
    xmpp_stanza_t *to_bob = nth_to(fx, BOB, 0);
    assert_attr(to_bob, "type", "unavailable");
    assert_true(has_status(to_bob, 321));
    assert_true(has_status(to_bob, 110));
    assert_result(capture_at(&fx->cap, 2), "a2", ALICE);
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_NONE);
    /* and he may not come back */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "auth", "registration-required");
}

/* ---- memory safety of multi-item sets -------------------------------- */

/* Runs scenario(fx) in a child process, so that memory corruption in the
 * core fails this test alone: under ASan the child reports and exits 1,
 * without it glibc may abort or the outcome is wrong. The child exits 0 when
 * scenario returns 1. No cmocka assertion may fail inside scenario. */
static void run_isolated(fixture_t *fx, int (*scenario)(fixture_t *))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a crash must end the child, not be caught by cmocka (which would go
         * on running the remaining tests in it) */
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        _exit(scenario(fx) ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) fail_msg("the core crashed (signal %d)", WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("wrong outcome or memory error in the core (child exit %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Presences from `from` addressed to `to` in the capture. */
static int presences_from_to(fixture_t *fx, const char *from, const char *to)
{
    int n = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *s = fx->cap.stanzas[i];
        const char *f = xmpp_stanza_get_from(s);
        if (strcmp(xmpp_stanza_get_name(s), "presence") == 0 && is_to(s, to) && f &&
            strcmp(f, from) == 0)
            n++;
    }
    return n;
}

static int last_is(fixture_t *fx, const char *type)
{
    const char *t =
        fx->cap.count ? xmpp_stanza_get_type(fx->cap.stanzas[fx->cap.count - 1]) : NULL;
    return t && strcmp(t, type) == 0;
}

/* Ban bob@localhost, then change the role of Bob, in one set. Acceptable:
 * the set refused whole (nothing changed), or Bob banned and removed once. */
static int ban_then_role_change(fixture_t *fx)
{
    fixture_feed(fx, ADMIN_SET(ALICE, "u1",
                               AFF_ITEM("bob@localhost", "outcast")
                                   ROLE_ITEM("Bob", "participant")));
    room_t *room = service_room(fx->svc, "room");
    int notices = presences_from_to(fx, ROOM "/Bob", ALICE);
    if (last_is(fx, "error"))
        return room_occupant_by_nick(room, "Bob") && notices == 0 &&
               room_affiliation(room, "bob@localhost") == AFF_NONE;
    return last_is(fx, "result") && !room_occupant_by_nick(room, "Bob") && notices == 1 &&
           room_affiliation(room, "bob@localhost") == AFF_OUTCAST;
}

/* CORE BUG (use after free, admin.c): parse_items() only refuses two role
 * items for the same occupant. An affiliation item that removes an occupant
 * (outcast; or below member in a members-only room) followed by a role item
 * for the same occupant makes apply_role() write to and broadcast the freed
 * occupant_t (ASan: heap-use-after-free in apply_role, admin.c:134; freed by
 * muc_apply_affiliation -> muc_presence_remove). Stanza:
 *   <iq type='set' from='alice@localhost/a' to='room@chat.localhost'>
 *     <query xmlns='...muc#admin'><item jid='bob@localhost'
 *     affiliation='outcast'/><item nick='Bob' role='participant'/></query></iq>
 * Expected: bad-request (as for two role items) or one clean ban. */
static void test_regression_ban_then_role_change_of_same_occupant(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    run_isolated(fx, ban_then_role_change);
}

/* Alice (one of two owners) bans herself, then makes Carol a member. */
static int self_ban_then_member(fixture_t *fx)
{
    fixture_feed(fx, ADMIN_SET(ALICE, "u2",
                               AFF_ITEM("alice@localhost", "outcast")
                                   AFF_ITEM("carol@localhost", "member")));
    room_t *room = service_room(fx->svc, "room");
    if (last_is(fx, "error")) return room_occupant_by_nick(room, "Alice") != NULL;
    if (!last_is(fx, "result") || room_occupant_by_nick(room, "Alice") ||
        room_affiliation(room, "carol@localhost") != AFF_MEMBER)
        return 0;
    /* Bob sees Carol's new affiliation; the actor, if named, is Alice */
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *s = fx->cap.stanzas[i];
        const char *f = xmpp_stanza_get_from(s);
        if (!is_to(s, BOB) || !f || strcmp(f, ROOM "/Carol") != 0) continue;
        xmpp_stanza_t *x = muc_x(s);
        xmpp_stanza_t *item = x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
        xmpp_stanza_t *actor = item ? xmpp_stanza_get_child_by_name(item, "actor") : NULL;
        const char *nick = actor ? xmpp_stanza_get_attribute(actor, "nick") : NULL;
        return item && (!actor || (nick && strcmp(nick, "Alice") == 0));
    }
    return 0;
}

/* CORE BUG (use after free, admin.c): the actor's nick (actor_t.nick) points
 * into the actor's own occupant_t. When an item of the set removes the actor
 * (an owner banning herself while another owner remains), every later item
 * is announced with <actor nick=.../> read from freed memory (ASan:
 * heap-use-after-free in build_presence, presence.c:90, via
 * muc_apply_affiliation). Stanza, with Bob a second owner:
 *   <item jid='alice@localhost' affiliation='outcast'/>
 *   <item jid='carol@localhost' affiliation='member'/>
 * Expected: Alice banned, Carol a member, her presence with actor Alice (or
 * none). */
static void test_regression_actor_removed_by_own_set(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    admin_ok(fx, ADMIN_SET(ALICE, "o1", AFF_ITEM("bob@localhost", "owner")));
    run_isolated(fx, self_ban_then_member);
}

/* ---- service admins --------------------------------------------------- */

static void test_service_admin_acts_as_owner(void **state)
{
    fixture_t *fx = *state;
    service_opts_t opts = {.domain = FX_DOMAIN,
                           .name = "Admins",
                           .history_length = 20,
                           .max_nick_length = 20,
                           .admins = "root@localhost"};
    service_t *svc2 = service_new(fx->ctx, &opts);
    assert_non_null(svc2);
    assert_int_equal(feed_svc(fx, svc2, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(feed_svc(fx, svc2, CONFIG(ALICE, "c0", "")), 1);
    assert_int_equal(feed_svc(fx, svc2, JOIN(BOB, "Bob")), 4);
    assert_int_equal(feed_svc(fx, svc2, JOIN(CAROL, "Carol")), 6);
    capture_clear(&fx->cap);
    room_t *room = service_room(svc2, "room");
    assert_non_null(room);
    assert_int_equal(room_affiliation(room, "root@localhost"), AFF_OWNER);

    /* root, not in the room, kicks Bob: no actor nick to show */
    assert_int_equal(feed_svc(fx, svc2, ADMIN_SET(ROOT, "s1", ROLE_ITEM("Bob", "none"))),
                     4);
    xmpp_stanza_t *p = nth_to(fx, CAROL, 0);
    assert_attr(p, "type", "unavailable");
    assert_true(has_status(p, 307));
    assert_null(xmpp_stanza_get_child_by_name(muc_item(p), "actor"));
    assert_attr(capture_at(&fx->cap, 3), "type", "result");
    assert_attr(capture_at(&fx->cap, 3), "to", ROOT);
    assert_null(room_occupant_by_nick(room, "Bob"));
    capture_clear(&fx->cap);

    /* grants admin (owners only) */
    assert_int_equal(
        feed_svc(fx, svc2, ADMIN_SET(ROOT, "s2", AFF_ITEM("carol@localhost", "admin"))),
        3);
    assert_int_equal(room_affiliation(room, "carol@localhost"), AFF_ADMIN);
    capture_clear(&fx->cap);

    /* reads the owner form */
    assert_int_equal(feed_svc(fx, svc2,
                              "<iq type='get' id='s3' from='" ROOT "' to='" ROOM
                              "'><query xmlns='" NS_MUC_OWNER "'/></iq>"),
                     1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_attr(r, "type", "result");
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(
        xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_MUC_OWNER), "x", NS_DATA));
    capture_clear(&fx->cap);

    /* and may not be kicked by the room's admin, nor banned */
    assert_int_equal(
        feed_svc(fx, svc2, ADMIN_SET(CAROL, "s4", AFF_ITEM("root@localhost", "outcast"))),
        1);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "not-allowed");
    capture_clear(&fx->cap);

    /* the same JID is nobody on the fixture's service */
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c0", "")), 1);
    feed_expect_error(fx, ADMIN_SET(ROOT, "s5", ROLE_ITEM("Alice", "none")), "auth",
                      "forbidden");
    service_free(svc2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_kick_broadcast_and_removal),
        T(test_kick_unknown_nick),
        T(test_kick_occupant_with_two_sessions),
        T(test_malformed_sets_refused),
        T(test_kick_by_participant_forbidden),
        T(test_admin_kicks_owner_not_allowed),
        T(test_ban_by_jid),
        T(test_voice_in_moderated_room),
        T(test_grant_moderator_by_owner),
        T(test_grant_moderator_by_participant_moderator_forbidden),
        T(test_multi_item_set_is_atomic),
        T(test_multi_item_set_all_allowed),
        T(test_removing_last_owner_conflict),
        T(test_member_of_absent_jid_then_list),
        T(test_affiliation_list_get_by_non_admin_forbidden),
        T(test_role_list_get_by_moderator),
        T(test_member_grant_broadcast),
        T(test_member_loses_membership_in_members_only_room),
        T(test_service_admin_acts_as_owner),
        /* known core bugs (fail until fixed) */
        T(test_regression_participant_moderator_kicks_admin_not_allowed),
        T(test_regression_ban_then_role_change_of_same_occupant),
        T(test_regression_actor_removed_by_own_set),
#undef T
    };
    return cmocka_run_group_tests_name("muc_admin", tests, NULL, NULL);
}
