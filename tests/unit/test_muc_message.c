/* test_muc_message.c - groupchat messages, subject changes and private
 * messages (XEP-0045 §7.4, §7.5, §8.1), driven through service_handle. */
#include <stdio.h>
#include <string.h>

#include "tests/support/muc_asserts.h"

#define ALICE_B "alice@localhost/b"

#define GROUPCHAT(from, id, body)                                                        \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM "'><body>" body    \
    "</body></message>"
#define SUBJECT(from, id, text)                                                          \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM "'><subject>" text \
    "</subject></message>"

/* ---- helpers ---------------------------------------------------------- */

/* Asserts a relayed message: name, type, from, to, id and body text. */
static void assert_message(xmpp_stanza_t *st, const char *type, const char *from,
                           const char *to, const char *id, const char *body)
{
    assert_string_equal(xmpp_stanza_get_name(st), "message");
    assert_attr(st, "type", type);
    assert_attr(st, "from", from);
    assert_attr(st, "to", to);
    assert_attr(st, "id", id);
    if (body)
        assert_child_text(st, "body", body);
    else
        assert_null(xmpp_stanza_get_child_by_name(st, "body"));
}

/* Alice creates and unlocks room@, Bob joins; the capture is left empty. */
static void room_with_bob(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx,
                                  "<iq type='set' id='c1' from='" ALICE "' to='" ROOM
                                  "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
                                  "' type='submit'/></query></iq>"),
                     1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* ---- groupchat --------------------------------------------------------- */

static void test_groupchat_broadcast(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m1", "hello")), 2);
    assert_message(nth_to(fx, ALICE, 0), "groupchat", ROOM "/Bob", ALICE, "m1", "hello");
    /* the sender gets his own message back (the reflection) */
    assert_message(nth_to(fx, BOB, 0), "groupchat", ROOM "/Bob", BOB, "m1", "hello");
}

static void test_groupchat_keeps_other_children(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='groupchat' id='m2' from='" BOB
                                      "' to='" ROOM "'><body>hi</body><active "
                                      "xmlns='http://jabber.org/protocol/chatstates'/>"
                                      "</message>"),
                     2);
    xmpp_stanza_t *m = nth_to(fx, ALICE, 0);
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(
        m, "active", "http://jabber.org/protocol/chatstates"));
}

/* The stream's namespace is not repeated in relayed copies (the server
 * would parse one declaration per copy), but a foreign element keeps its
 * own, and so does a stream-namespace element below a foreign one. */
static void test_groupchat_drops_stream_namespace(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(
        fixture_feed(fx, "<message xmlns='jabber:component:accept' type='groupchat' "
                         "id='m9' from='" BOB "' to='" ROOM "'><body>hi</body><x "
                         "xmlns='urn:example:x'><body "
                         "xmlns='jabber:component:accept'>inner</body></x></message>"),
        2);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(nth_to(fx, ALICE, 0), &text, &len), 0);
    assert_non_null(strstr(text, "<body>hi</body>"));
    assert_non_null(strstr(text, "xmlns=\"urn:example:x\""));
    assert_non_null(strstr(text, "<body xmlns=\"jabber:component:accept\">inner</body>"));
    /* only the inner body declares it */
    const char *decl = strstr(text, "xmlns=\"jabber:component:accept\"");
    assert_non_null(decl);
    assert_null(strstr(decl + 1, "xmlns=\"jabber:component:accept\""));
    xmpp_free(fx->ctx, text);
}

/* A sender's own muc#user content (an item with a JID, status codes) would
 * speak for the room: it is removed from groupchat and private copies. */
static void test_forged_muc_user_removed(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(
        fixture_feed(fx, "<message type='groupchat' id='f1' from='" BOB "' to='" ROOM
                         "'><body>hi</body><x xmlns='" NS_MUC_USER
                         "'><item jid='boss@localhost' role='moderator'/><status "
                         "code='110'/></x></message>"),
        2);
    assert_null(muc_x(nth_to(fx, ALICE, 0)));
    assert_int_equal(fixture_feed(fx,
                                  "<message type='chat' id='f2' from='" BOB "' to='" ROOM
                                  "/Alice'><body>pm</body><x xmlns='" NS_MUC_USER
                                  "'><item jid='boss@localhost'/></x></message>"),
                     1);
    xmpp_stanza_t *x = muc_x(nth_to(fx, ALICE, 1));
    assert_non_null(x); /* the room's own, empty */
    assert_null(xmpp_stanza_get_children(x));
}

static void test_groupchat_from_non_occupant(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(CAROL, "m3", "let me in")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "message");
    assert_stanza_error(e, "modify", "not-acceptable");
    assert_attr(e, "id", "m3");
    assert_attr(e, "to", CAROL);
    assert_attr(e, "from", ROOM);
    assert_int_equal(the_room(fx)->history_count, 0);
}

static void test_groupchat_to_missing_room(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, "<message type='groupchat' id='m4' from='" BOB
                                      "' to='nowhere@" FX_DOMAIN
                                      "'><body>x</body></message>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_attr(e, "type", "error");
    assert_attr(e, "id", "m4");
    assert_null(service_room(fx->svc, "nowhere"));
}

static void test_groupchat_reaches_every_session(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m5", "both of you")), 3);
    assert_message(nth_to(fx, ALICE, 0), "groupchat", ROOM "/Bob", ALICE, "m5",
                   "both of you");
    assert_message(nth_to(fx, ALICE_B, 0), "groupchat", ROOM "/Bob", ALICE_B, "m5",
                   "both of you");
    assert_message(nth_to(fx, BOB, 0), "groupchat", ROOM "/Bob", BOB, "m5",
                   "both of you");
    /* and either session may speak for the occupant */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(ALICE, "m6", "from a")), 3);
    assert_attr(nth_to(fx, BOB, 0), "from", ROOM "/Alice");
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(ALICE_B, "m7", "from b")), 3);
    assert_attr(nth_to(fx, BOB, 0), "from", ROOM "/Alice");
}

static void test_non_groupchat_to_room(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='m8' from='" BOB
                                      "' to='" ROOM "'><body>x</body></message>"),
                     1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
}

/* ---- subject ----------------------------------------------------------- */

static void test_subject_by_participant_forbidden(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, SUBJECT(BOB, "s1", "My topic")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "message");
    assert_stanza_error(e, "auth", "forbidden");
    assert_attr(e, "id", "s1");
    assert_attr(e, "to", BOB);
    assert_null(the_room(fx)->subject);
}

static void test_subject_by_participant_when_allowed(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    the_room(fx)->cfg.change_subject = true;
    assert_int_equal(fixture_feed(fx, SUBJECT(BOB, "s2", "Bob's topic")), 2);
    xmpp_stanza_t *m = nth_to(fx, ALICE, 0);
    assert_attr(m, "from", ROOM "/Bob");
    assert_child_text(m, "subject", "Bob's topic");
}

static void test_subject_by_moderator(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, SUBJECT(ALICE, "s3", "Weekly sync")), 2);
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *m = capture_at(&fx->cap, i);
        assert_attr(m, "type", "groupchat");
        assert_attr(m, "from", ROOM "/Alice");
        assert_child_text(m, "subject", "Weekly sync");
        assert_null(xmpp_stanza_get_child_by_name(m, "body"));
    }
    assert_non_null(nth_to(fx, ALICE, 0));
    assert_non_null(nth_to(fx, BOB, 0));

    /* a later joiner gets it as the last stanza, from the one who set it */
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *last = capture_at(&fx->cap, fx->cap.count - 1);
    assert_string_equal(xmpp_stanza_get_name(last), "message");
    assert_attr(last, "type", "groupchat");
    assert_attr(last, "to", CAROL);
    assert_attr(last, "from", ROOM "/Alice");
    assert_child_text(last, "subject", "Weekly sync");
    /* a subject change is no discussion history */
    assert_int_equal(the_room(fx)->history_count, 0);
}

static void test_subject_from_non_occupant(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, SUBJECT(CAROL, "s4", "hijack")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    assert_null(the_room(fx)->subject);
}

/* ---- private messages -------------------------------------------------- */

static void test_private_message_delivered(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p1' from='" ALICE
                                      "' to='" ROOM "/Bob'><body>psst</body></message>"),
                     1);
    xmpp_stanza_t *m = capture_at(&fx->cap, 0);
    assert_message(m, "chat", ROOM "/Alice", BOB, "p1", "psst");
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(m, "x", NS_MUC_USER));
    /* Alice's real JID is not disclosed to Bob (semi-anonymous room) */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(m, &text, &len), 0);
    assert_null(strstr(text, "alice@localhost"));
    xmpp_free(fx->ctx, text);
}

static void test_private_message_to_every_session(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, JOIN(ALICE_B, "Alice"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p2' from='" BOB
                                      "' to='" ROOM "/Alice'><body>hi</body></message>"),
                     2);
    assert_message(nth_to(fx, ALICE, 0), "chat", ROOM "/Bob", ALICE, "p2", "hi");
    assert_message(nth_to(fx, ALICE_B, 0), "chat", ROOM "/Bob", ALICE_B, "p2", "hi");
}

static void test_private_message_unknown_nick(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p3' from='" ALICE
                                      "' to='" ROOM "/Nobody'><body>x</body></message>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, "cancel", "item-not-found");
    assert_attr(e, "id", "p3");
    assert_attr(e, "to", ALICE);
    assert_attr(e, "from", ROOM "/Nobody");
}

static void test_private_message_from_non_occupant(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p4' from='" CAROL
                                      "' to='" ROOM "/Bob'><body>x</body></message>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, "modify", "not-acceptable");
    assert_attr(e, "id", "p4");
    assert_attr(e, "to", CAROL);
}

static void test_groupchat_to_occupant_jid(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='groupchat' id='p5' from='" ALICE
                                      "' to='" ROOM "/Bob'><body>x</body></message>"),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, "modify", "bad-request");
    assert_attr(e, "id", "p5");
    assert_attr(e, "to", ALICE);
}

static void test_private_message_to_missing_room(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p6' from='" ALICE
                                      "' to='nowhere@" FX_DOMAIN
                                      "/Bob'><body>x</body></message>"),
                     1);
    assert_stanza_error(capture_at(&fx->cap, 0), "cancel", "item-not-found");
}

/* ---- roles and room settings ------------------------------------------ */

static void test_groupchat_from_visitor_forbidden(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    fixture_feed(fx, "<presence type='unavailable' from='" BOB "' to='" ROOM "/Bob'/>");
    the_room(fx)->cfg.moderated = true; /* newcomers without affiliation: visitors */
    fixture_feed(fx, JOIN(BOB, "Bob"));
    assert_int_equal(room_occupant_by_jid(the_room(fx), BOB)->role, ROLE_VISITOR);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "v1", "can I speak?")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, "auth", "forbidden");
    assert_attr(e, "id", "v1");
    assert_attr(e, "to", BOB);
}

/* ---- regressions --------------------------------------------------------- */

/* Regression (a core bug found with this suite, fixed in 44ef235): sessions
 * were keyed by the raw 'from' string while bare JIDs were normalized, so a
 * groupchat message from Bob@LOCALHOST/b (the same JID as bob@localhost/b,
 * RFC 7622 §3.2-3.3) was refused with not-acceptable although Bob was in
 * the room, and a join from it added a duplicate session. */
static void test_occupant_jid_compared_case_insensitively(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<message type='groupchat' id='k1' "
                                      "from='Bob@LOCALHOST/b' to='" ROOM
                                      "'><body>same me</body></message>"),
                     2);
    assert_attr(nth_to(fx, ALICE, 0), "from", ROOM "/Bob");
    /* re-sending the join from the differently-cased JID adds no session */
    capture_clear(&fx->cap);
    fixture_feed(fx, "<presence from='Bob@LOCALHOST/b' to='" ROOM
                     "/Bob'><x xmlns='" NS_MUC "'/></presence>");
    occupant_t *occ = room_occupant_by_nick(the_room(fx), "Bob");
    assert_non_null(occ);
    assert_non_null(occ->sessions);
    assert_null(occ->sessions->next);
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_groupchat_broadcast),
        T(test_groupchat_keeps_other_children),
        T(test_groupchat_drops_stream_namespace),
        T(test_forged_muc_user_removed),
        T(test_groupchat_from_non_occupant),
        T(test_groupchat_to_missing_room),
        T(test_groupchat_reaches_every_session),
        T(test_non_groupchat_to_room),
        T(test_subject_by_participant_forbidden),
        T(test_subject_by_participant_when_allowed),
        T(test_subject_by_moderator),
        T(test_subject_from_non_occupant),
        T(test_private_message_delivered),
        T(test_private_message_to_every_session),
        T(test_private_message_unknown_nick),
        T(test_private_message_from_non_occupant),
        T(test_groupchat_to_occupant_jid),
        T(test_private_message_to_missing_room),
        T(test_groupchat_from_visitor_forbidden),
        T(test_occupant_jid_compared_case_insensitively),
#undef T
    };
    return cmocka_run_group_tests_name("muc_message", tests, NULL, NULL);
}
