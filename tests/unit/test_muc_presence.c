/* test_muc_presence.c - entering, locked new rooms and instant-room
 * configuration, presence updates, nick changes, leaving, several sessions
 * under one nick, nick validation and ghost removal (XEP-0045 §7.2, §7.4,
 * §7.6, §7.14, §10.1), driven through service_handle with a capture sink. */
#include <stdio.h>
#include <string.h>

#include "tests/support/muc_asserts.h"

#define ALICE_B "alice@localhost/b"

#define OWNER_SET(from, id, form_type)                                                   \
    "<iq type='set' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA "' type='" form_type          \
    "'/></query></iq>"

/* ---- helpers ---------------------------------------------------------- */

static int status_count(xmpp_stanza_t *st)
{
    int n = 0;
    xmpp_stanza_t *x = muc_x(st);
    for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "status") == 0) n++;
    return n;
}

/* Alice creates room@ and accepts the default configuration. */
static void create_room(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, OWNER_SET(ALICE, "c1", "submit")), 1);
    assert_false(the_room(fx)->locked);
    capture_clear(&fx->cap);
}

/* Alice's unlocked room with Bob in it, the capture empty. */
static void room_with_bob(fixture_t *fx)
{
    create_room(fx);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* ---- creating a room -------------------------------------------------- */

static void test_create_room_self_presence_and_subject(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    xmpp_stanza_t *p = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(p), "presence");
    assert_attr(p, "type", NULL);
    assert_attr(p, "from", ROOM "/Alice");
    assert_attr(p, "to", ALICE);
    xmpp_stanza_t *item = muc_item(p);
    assert_attr(item, "affiliation", "owner");
    assert_attr(item, "role", "moderator");
    assert_true(has_status(p, 110));
    assert_true(has_status(p, 201));
    assert_false(has_status(p, 100)); /* semi-anonymous by default */
    assert_int_equal(status_count(p), 2);
    /* no MUC protocol element of the join is echoed */
    assert_null(xmpp_stanza_get_child_by_name_and_ns(p, "x", NS_MUC));

    xmpp_stanza_t *m = capture_at(&fx->cap, 1);
    assert_string_equal(xmpp_stanza_get_name(m), "message");
    assert_attr(m, "type", "groupchat");
    assert_attr(m, "from", ROOM);
    assert_attr(m, "to", ALICE);
    assert_child_text(m, "subject", NULL);
    assert_null(xmpp_stanza_get_child_by_name(m, "body"));

    room_t *room = the_room(fx);
    assert_true(room->locked);
    assert_int_equal(room_occupant_count(room), 1);
    assert_int_equal(room_affiliation(room, "alice@localhost"), AFF_OWNER);
}

static void test_locked_room_refuses_others(void **state)
{
    fixture_t *fx = *state;
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_stanza_error(e, "cancel", "item-not-found");
    assert_attr(e, "to", BOB);
    assert_attr(e, "from", ROOM "/Bob");
    room_t *room = the_room(fx);
    assert_true(room->locked);
    assert_int_equal(room_occupant_count(room), 1);
    assert_null(room_occupant_by_nick(room, "Bob"));
}

static void test_instant_room_unlocks(void **state)
{
    fixture_t *fx = *state;
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, OWNER_SET(ALICE, "c1", "submit")), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(r), "iq");
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "c1");
    assert_attr(r, "to", ALICE);
    assert_attr(r, "from", ROOM);
    assert_false(the_room(fx)->locked);

    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(BOB, "Bob"));
    xmpp_stanza_t *self = nth_to(fx, BOB, 1);
    assert_presence(self, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_true(has_status(self, 110));
    assert_false(any_error(fx));
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

static void test_owner_set_by_non_owner_forbidden(void **state)
{
    fixture_t *fx = *state;
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, OWNER_SET(BOB, "c2", "submit")), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(r), "iq");
    assert_stanza_error(r, "auth", "forbidden");
    assert_attr(r, "id", "c2");
    assert_attr(r, "to", BOB);
    assert_true(the_room(fx)->locked);
    /* still locked: Bob is still kept out */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "item-not-found");
}

static void test_cancel_destroys_locked_room(void **state)
{
    fixture_t *fx = *state;
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, OWNER_SET(ALICE, "c3", "cancel")), 2);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(r), "iq");
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "c3");
    xmpp_stanza_t *p = capture_at(&fx->cap, 1);
    assert_string_equal(xmpp_stanza_get_name(p), "presence");
    assert_attr(p, "type", "unavailable");
    assert_attr(p, "from", ROOM "/Alice");
    assert_attr(p, "to", ALICE);
    assert_attr(muc_item(p), "role", "none");
    assert_true(has_status(p, 110));
    assert_null(service_room(fx->svc, "room"));
}

static void test_cancel_on_unlocked_room_keeps_it(void **state)
{
    fixture_t *fx = *state;
    create_room(fx);
    assert_int_equal(fixture_feed(fx, OWNER_SET(ALICE, "c4", "cancel")), 1);
    assert_attr(capture_at(&fx->cap, 0), "type", "result");
    assert_int_equal(room_occupant_count(the_room(fx)), 1);
}

/* ---- entering an existing room ---------------------------------------- */

static void test_join_order_and_jid_visibility(void **state)
{
    fixture_t *fx = *state;
    create_room(fx);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_int_equal(count_to(fx, BOB), 3);
    assert_int_equal(count_to(fx, ALICE), 1);

    /* 1: the existing occupant, without her real JID (Bob is no moderator) */
    xmpp_stanza_t *a = nth_to(fx, BOB, 0);
    assert_presence(a, NULL, ROOM "/Alice", BOB, "owner", "moderator", NULL);
    assert_false(has_status(a, 110));
    /* 2: his own presence */
    xmpp_stanza_t *self = nth_to(fx, BOB, 1);
    assert_presence(self, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_true(has_status(self, 110));
    assert_false(has_status(self, 201));
    assert_false(has_status(self, 100));
    /* 3: the (empty) subject, last */
    xmpp_stanza_t *subj = nth_to(fx, BOB, 2);
    assert_string_equal(xmpp_stanza_get_name(subj), "message");
    assert_attr(subj, "type", "groupchat");
    assert_attr(subj, "from", ROOM);
    assert_child_text(subj, "subject", NULL);
    /* the moderator sees Bob's real JID */
    xmpp_stanza_t *b = nth_to(fx, ALICE, 0);
    assert_presence(b, NULL, ROOM "/Bob", ALICE, "none", "participant", BOB);
    assert_false(has_status(b, 110));
    /* the occupant list is complete before Bob's own presence reaches him */
    size_t i_alice = 0, i_self = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        if (fx->cap.stanzas[i] == a) i_alice = i;
        if (fx->cap.stanzas[i] == self) i_self = i;
    }
    assert_true(i_alice < i_self);
    assert_ptr_equal(capture_at(&fx->cap, fx->cap.count - 1), subj);
}

static void test_join_existing_occupants_in_join_order(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    assert_int_equal(count_to(fx, CAROL), 4);
    assert_attr(nth_to(fx, CAROL, 0), "from", ROOM "/Alice");
    assert_attr(nth_to(fx, CAROL, 1), "from", ROOM "/Bob");
    assert_attr(muc_item(nth_to(fx, CAROL, 1)), "jid", NULL);
    assert_attr(nth_to(fx, CAROL, 2), "from", ROOM "/Carol");
    assert_true(has_status(nth_to(fx, CAROL, 2), 110));
    /* Bob (participant) sees Carol without her JID, Alice with it */
    assert_presence(nth_to(fx, BOB, 0), NULL, ROOM "/Carol", BOB, "none", "participant",
                    NULL);
    assert_presence(nth_to(fx, ALICE, 0), NULL, ROOM "/Carol", ALICE, "none",
                    "participant", CAROL);
}

static void test_non_anonymous_room_shows_jids(void **state)
{
    fixture_t *fx = *state;
    create_room(fx);
    the_room(fx)->cfg.whois_anyone = true;
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    xmpp_stanza_t *a = nth_to(fx, BOB, 0);
    assert_presence(a, NULL, ROOM "/Alice", BOB, "owner", "moderator", ALICE);
    xmpp_stanza_t *self = nth_to(fx, BOB, 1);
    assert_presence(self, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_true(has_status(self, 100));
    assert_true(has_status(self, 110));
    capture_clear(&fx->cap);
    /* a participant sees a newcomer's JID too */
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    assert_presence(nth_to(fx, BOB, 0), NULL, ROOM "/Carol", BOB, "none", "participant",
                    CAROL);
}

static void test_rejoin_same_session_resends_state(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    /* a client that lost track re-sends its join: it gets the state again */
    fixture_feed(fx, JOIN(BOB, "Bob"));
    assert_int_equal(count_to(fx, BOB), 3);
    assert_attr(nth_to(fx, BOB, 0), "from", ROOM "/Alice");
    assert_true(has_status(nth_to(fx, BOB, 1), 110));
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

/* ---- presence updates and leaving ------------------------------------- */

static void test_presence_update_broadcast(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM "/Bob'>"
                                      "<show>away</show><status>brb</status></presence>"),
                     2);
    xmpp_stanza_t *to_alice = nth_to(fx, ALICE, 0);
    assert_presence(to_alice, NULL, ROOM "/Bob", ALICE, "none", "participant", BOB);
    assert_child_text(to_alice, "show", "away");
    assert_child_text(to_alice, "status", "brb");
    assert_false(has_status(to_alice, 110));
    xmpp_stanza_t *to_bob = nth_to(fx, BOB, 0);
    assert_presence(to_bob, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_child_text(to_bob, "show", "away");
    assert_child_text(to_bob, "status", "brb");
    assert_true(has_status(to_bob, 110));

    /* a later joiner sees Bob's current show */
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *b = nth_to(fx, CAROL, 1);
    assert_attr(b, "from", ROOM "/Bob");
    assert_child_text(b, "show", "away");
    assert_child_text(b, "status", "brb");
}

/* Occupant presences sent to a joiner are written as text: markup in nicks,
 * JIDs and status must come out escaped and intact. */
static void test_joiner_sees_escaped_nick_and_status(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, "<presence type='unavailable' from='" BOB "' to='" ROOM "/Bob'/>");
    fixture_feed(fx, "<presence from='" BOB "' to='" ROOM "/a&amp;b&apos;&lt;c'>"
                     "<x xmlns='http://jabber.org/protocol/muc'/>"
                     "<status>1 &lt; 2 &amp; &quot;q&quot;</status><priority>5</priority>"
                     "</presence>");
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *b = NULL;
    for (size_t i = 0; i < fx->cap.count; i++) {
        const char *from = xmpp_stanza_get_from(fx->cap.stanzas[i]);
        if (from && strcmp(from, ROOM "/a&b'<c") == 0) b = fx->cap.stanzas[i];
    }
    assert_non_null(b);
    assert_attr(b, "to", CAROL);
    assert_child_text(b, "status", "1 < 2 & \"q\"");
    assert_child_text(b, "priority", "5");
    assert_presence(b, NULL, ROOM "/a&b'<c", CAROL, "none", "participant", NULL);
}

static void test_leave_broadcasts_unavailable(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx,
                                  "<presence type='unavailable' from='" BOB "' to='" ROOM
                                  "/Bob'><status>bye</status></presence>"),
                     2);
    xmpp_stanza_t *to_alice = nth_to(fx, ALICE, 0);
    assert_presence(to_alice, "unavailable", ROOM "/Bob", ALICE, "none", "none", BOB);
    assert_false(has_status(to_alice, 110));
    assert_child_text(to_alice, "status", "bye");
    xmpp_stanza_t *to_bob = nth_to(fx, BOB, 0);
    assert_attr(to_bob, "type", "unavailable");
    assert_attr(to_bob, "from", ROOM "/Bob");
    assert_attr(muc_item(to_bob), "role", "none");
    assert_true(has_status(to_bob, 110));
    room_t *room = the_room(fx);
    assert_int_equal(room_occupant_count(room), 1);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_null(room_occupant_by_jid(room, BOB));
}

static void test_owner_leaving_keeps_affiliation(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, LEAVE(ALICE, "Alice"));
    xmpp_stanza_t *to_bob = nth_to(fx, BOB, 0);
    assert_presence(to_bob, "unavailable", ROOM "/Alice", BOB, "owner", "none", NULL);
}

static void test_last_leave_destroys_temporary_room(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, LEAVE(BOB, "Bob"));
    assert_non_null(service_room(fx->svc, "room"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, LEAVE(ALICE, "Alice")), 1);
    xmpp_stanza_t *p = capture_at(&fx->cap, 0);
    assert_attr(p, "type", "unavailable");
    assert_attr(p, "to", ALICE);
    assert_true(has_status(p, 110));
    assert_null(service_room(fx->svc, "room"));
}

static void test_leave_when_not_in_room_is_silent(void **state)
{
    fixture_t *fx = *state;
    create_room(fx);
    assert_int_equal(fixture_feed(fx, LEAVE(CAROL, "Carol")), 0);
    assert_int_equal(fixture_feed(fx, LEAVE(CAROL, "Alice")), 0);
    assert_int_equal(room_occupant_count(the_room(fx)), 1);
}

/* ---- nick changes ------------------------------------------------------ */

static void test_nick_change(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM "/Robert'/>"),
                     4);
    /* everyone first sees the old nick leave with the new one announced */
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        assert_attr(st, "type", "unavailable");
        assert_attr(st, "from", ROOM "/Bob");
        assert_attr(muc_item(st), "nick", "Robert");
        assert_true(has_status(st, 303));
    }
    for (size_t i = 2; i < 4; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        assert_attr(st, "type", NULL);
        assert_attr(st, "from", ROOM "/Robert");
        assert_attr(muc_item(st), "role", "participant");
        assert_attr(muc_item(st), "nick", NULL);
        assert_false(has_status(st, 303));
    }
    xmpp_stanza_t *gone_alice = nth_to(fx, ALICE, 0);
    assert_presence(gone_alice, "unavailable", ROOM "/Bob", ALICE, "none", "none", BOB);
    assert_false(has_status(gone_alice, 110));
    xmpp_stanza_t *gone_bob = nth_to(fx, BOB, 0);
    assert_true(has_status(gone_bob, 110));
    assert_true(has_status(gone_bob, 303));
    assert_true(has_status(nth_to(fx, BOB, 1), 110));
    assert_false(has_status(nth_to(fx, ALICE, 1), 110));
    assert_attr(nth_to(fx, ALICE, 1), "from", ROOM "/Robert");

    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    occupant_t *occ = room_occupant_by_nick(room, "Robert");
    assert_non_null(occ);
    assert_ptr_equal(room_occupant_by_jid(room, BOB), occ);
}

static void test_nick_change_conflict(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM "/Alice'/>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_stanza_error(e, "cancel", "conflict");
    assert_attr(e, "to", BOB);
    assert_attr(e, "from", ROOM "/Alice");
    room_t *room = the_room(fx);
    assert_string_equal(room_occupant_by_jid(room, BOB)->nick, "Bob");
    assert_string_equal(room_occupant_by_nick(room, "Alice")->bare_jid,
                        "alice@localhost");
}

static void test_nick_change_to_invalid_nick(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM
                                      "/abcdefghijklmnopqrstu'/>"),
                     1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    assert_string_equal(room_occupant_by_jid(the_room(fx), BOB)->nick, "Bob");
}

static void test_join_with_taken_nick_conflict(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Bob")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, "cancel", "conflict");
    assert_attr(e, "to", CAROL);
    assert_attr(e, "from", ROOM "/Bob");
    room_t *room = the_room(fx);
    assert_int_equal(room_occupant_count(room), 2);
    assert_null(room_occupant_by_jid(room, CAROL));
}

/* ---- several sessions under one nick ---------------------------------- */

static void test_multi_session_join(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    assert_false(any_error(fx));
    /* the new session gets the room state and its own presence */
    assert_attr(nth_to(fx, ALICE_B, 0), "from", ROOM "/Bob");
    xmpp_stanza_t *self = nth_to(fx, ALICE_B, 1);
    assert_presence(self, NULL, ROOM "/Alice", ALICE_B, "owner", "moderator", ALICE_B);
    assert_true(has_status(self, 110));
    assert_false(has_status(self, 201));
    room_t *room = the_room(fx);
    assert_int_equal(room_occupant_count(room), 2);
    occupant_t *occ = room_occupant_by_nick(room, "Alice");
    assert_non_null(occ);
    assert_ptr_equal(room_occupant_by_jid(room, ALICE), occ);
    assert_ptr_equal(room_occupant_by_jid(room, ALICE_B), occ);
    assert_non_null(occupant_session(occ, ALICE));
    assert_non_null(occupant_session(occ, ALICE_B));
}

static void test_multi_session_one_leaves(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    capture_clear(&fx->cap);
    fixture_feed(fx, LEAVE(ALICE_B, "Alice"));
    assert_int_equal(count_to(fx, ALICE_B), 1);
    xmpp_stanza_t *p = nth_to(fx, ALICE_B, 0);
    assert_attr(p, "type", "unavailable");
    assert_attr(p, "from", ROOM "/Alice");
    assert_true(has_status(p, 110));
    /* nobody else sees Alice leave */
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = fx->cap.stanzas[i];
        if (is_to(st, ALICE_B)) continue;
        assert_attr(st, "type", NULL);
    }
    room_t *room = the_room(fx);
    occupant_t *occ = room_occupant_by_nick(room, "Alice");
    assert_non_null(occ);
    assert_ptr_equal(room_occupant_by_jid(room, ALICE), occ);
    assert_null(room_occupant_by_jid(room, ALICE_B));
    assert_null(occupant_session(occ, ALICE_B));
    assert_int_equal(room_occupant_count(room), 2);
}

static void test_multi_session_last_session_leaves(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    fixture_feed(fx, LEAVE(ALICE_B, "Alice"));
    capture_clear(&fx->cap);
    fixture_feed(fx, LEAVE(ALICE, "Alice"));
    xmpp_stanza_t *to_bob = nth_to(fx, BOB, 0);
    assert_presence(to_bob, "unavailable", ROOM "/Alice", BOB, "owner", "none", NULL);
    assert_null(room_occupant_by_nick(the_room(fx), "Alice"));
}

/* ---- nick validation --------------------------------------------------- */

static void test_join_without_nick(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, "<presence from='" ALICE "' to='" ROOM
                                      "'><x xmlns='" NS_MUC "'/></presence>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_stanza_error(e, "modify", "jid-malformed");
    assert_attr(e, "to", ALICE);
    assert_attr(e, "from", ROOM);
    assert_null(service_room(fx->svc, "room"));
}

static void test_nick_too_long(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "abcdefghijklmnopqrstu")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    assert_null(service_room(fx->svc, "room"));
}

static void test_nick_at_length_limit(void **state)
{
    fixture_t *fx = *state;
    /* 20 characters: accepted */
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "abcdefghijklmnopqrst")), 2);
    assert_false(any_error(fx));
    /* 20 two-byte characters count as 20, not 40 */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='other@" FX_DOMAIN
                                      "/\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9'/>"),
                     2);
    assert_false(any_error(fx));
    assert_non_null(service_room(fx->svc, "other"));
}

static void test_nick_only_spaces(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "   ")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    assert_null(service_room(fx->svc, "room"));
}

static void test_nick_with_c1_control(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "a\xc2\x85"
                                                  "b")),
                     1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "jid-malformed");
    assert_null(service_room(fx->svc, "room"));
}

/* ---- ghosts: bounced stanzas remove the occupant ----------------------- */

static void test_message_error_removes_ghost(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, "<message type='error' from='" BOB "' to='" ROOM "/Alice'>"
                     "<error type='cancel'><gone xmlns='" NS_STANZAS "'/></error>"
                     "</message>");
    assert_false(any_error(fx)); /* never answered */
    xmpp_stanza_t *p = nth_to(fx, ALICE, 0);
    assert_presence(p, "unavailable", ROOM "/Bob", ALICE, "none", "none", BOB);
    assert_true(has_status(p, 333));
    assert_int_equal(count_to(fx, ALICE), 1);
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_null(room_occupant_by_jid(room, BOB));
    assert_int_equal(room_occupant_count(room), 1);
}

static void test_presence_error_removes_ghost(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, "<presence type='error' from='" BOB "' to='" ROOM "/Bob'>"
                     "<error type='cancel'><remote-server-not-found xmlns='" NS_STANZAS
                     "'/></error></presence>");
    assert_false(any_error(fx));
    xmpp_stanza_t *p = nth_to(fx, ALICE, 0);
    assert_attr(p, "type", "unavailable");
    assert_attr(p, "from", ROOM "/Bob");
    assert_true(has_status(p, 333));
    assert_null(room_occupant_by_jid(the_room(fx), BOB));
}

static void test_error_to_room_bare_jid_removes_ghost(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, "<message type='error' from='" BOB "' to='" ROOM "'>"
                     "<error type='cancel'><service-unavailable xmlns='" NS_STANZAS
                     "'/></error></message>");
    assert_true(has_status(nth_to(fx, ALICE, 0), 333));
    assert_null(room_occupant_by_jid(the_room(fx), BOB));
}

static void test_harmless_error_keeps_occupant(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='error' from='" BOB "' to='" ROOM
                                      "/Alice'><error type='modify'><not-acceptable "
                                      "xmlns='" NS_STANZAS "'/></error></message>"),
                     0);
    assert_non_null(room_occupant_by_jid(the_room(fx), BOB));
}

static void test_error_from_non_occupant_is_silent(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx,
                                  "<message type='error' from='" CAROL "' to='" ROOM
                                  "/Bob'><error type='cancel'><gone xmlns='" NS_STANZAS
                                  "'/></error></message>"),
                     0);
    assert_int_equal(
        fixture_feed(fx, "<presence type='error' from='" CAROL "' to='" ROOM "/Carol'/>"),
        0);
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

static void test_ghost_of_one_session_keeps_occupant(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    capture_clear(&fx->cap);
    fixture_feed(fx, "<message type='error' from='" ALICE_B "' to='" ROOM "/Bob'>"
                     "<error type='cancel'><gone xmlns='" NS_STANZAS "'/></error>"
                     "</message>");
    assert_false(any_error(fx));
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = fx->cap.stanzas[i];
        if (!is_to(st, ALICE_B)) assert_attr(st, "type", NULL);
    }
    room_t *room = the_room(fx);
    assert_non_null(room_occupant_by_nick(room, "Alice"));
    assert_null(room_occupant_by_jid(room, ALICE_B));
    assert_non_null(room_occupant_by_jid(room, ALICE));
}

/* ---- regressions --------------------------------------------------------- */

/* Regression (a core bug found with this suite, fixed in 44ef235): cancelling
 * the configuration of a new, locked room must destroy it (XEP-0045 §10.1.3)
 * whatever its configuration; the room used to survive, empty and locked,
 * when cfg.persistent was set, as drop_if_empty() keeps persistent rooms. */
static void test_cancel_destroys_persistent_locked_room(void **state)
{
    fixture_t *fx = *state;
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    the_room(fx)->cfg.persistent = true; /* as a persistent default would */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, OWNER_SET(ALICE, "c5", "cancel")), 2);
    assert_attr(capture_at(&fx->cap, 0), "type", "result");
    assert_attr(capture_at(&fx->cap, 1), "type", "unavailable");
    assert_null(service_room(fx->svc, "room"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_create_room_self_presence_and_subject),
        T(test_locked_room_refuses_others),
        T(test_instant_room_unlocks),
        T(test_owner_set_by_non_owner_forbidden),
        T(test_cancel_destroys_locked_room),
        T(test_cancel_on_unlocked_room_keeps_it),
        T(test_join_order_and_jid_visibility),
        T(test_join_existing_occupants_in_join_order),
        T(test_non_anonymous_room_shows_jids),
        T(test_rejoin_same_session_resends_state),
        T(test_presence_update_broadcast),
        T(test_joiner_sees_escaped_nick_and_status),
        T(test_leave_broadcasts_unavailable),
        T(test_owner_leaving_keeps_affiliation),
        T(test_last_leave_destroys_temporary_room),
        T(test_leave_when_not_in_room_is_silent),
        T(test_nick_change),
        T(test_nick_change_conflict),
        T(test_nick_change_to_invalid_nick),
        T(test_join_with_taken_nick_conflict),
        T(test_multi_session_join),
        T(test_multi_session_one_leaves),
        T(test_multi_session_last_session_leaves),
        T(test_join_without_nick),
        T(test_nick_too_long),
        T(test_nick_at_length_limit),
        T(test_nick_only_spaces),
        T(test_nick_with_c1_control),
        T(test_message_error_removes_ghost),
        T(test_presence_error_removes_ghost),
        T(test_error_to_room_bare_jid_removes_ghost),
        T(test_harmless_error_keeps_occupant),
        T(test_error_from_non_occupant_is_silent),
        T(test_ghost_of_one_session_keeps_occupant),
        T(test_cancel_destroys_persistent_locked_room),
#undef T
    };
    return cmocka_run_group_tests_name("muc_presence", tests, NULL, NULL);
}
