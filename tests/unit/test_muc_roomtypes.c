/* test_muc_roomtypes.c - the room types XEP-0045 §4.2 defines, configured
 * through the owner form and exercised through the core: password-protected
 * (§7.2.6), members-only (§7.2.7, §9.3), moderated with voice requests (§7.4,
 * §8.6), hidden/public (§6.3), capacity (§7.2.10), non-anonymous (§7.2.3),
 * and mediated invitations and declines (§7.8.2, §7.8.3). */
#include <stdio.h>
#include <string.h>

#include "tests/support/muc_asserts.h"

#define DAVE "dave@localhost/d"

#define NS_REQUEST "http://jabber.org/protocol/muc#request"

#define JOIN_PW(from, nick, pw)                                                          \
    "<presence from='" from "' to='" ROOM "/" nick "'><x xmlns='" NS_MUC                 \
    "'><password>" pw "</password></x></presence>"
#define GROUPCHAT(from, id, body)                                                        \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM "'><body>" body    \
    "</body></message>"
#define INVITE(from, id, to, reason)                                                     \
    "<message id='" id "' from='" from "' to='" ROOM "'><x xmlns='" NS_MUC_USER          \
    "'><invite to='" to "'><reason>" reason "</reason></invite></x></message>"

/* ---- helpers ---------------------------------------------------------- */

/* Whether `needle` occurs anywhere in the serialized stanza. */
static int serialized_contains(xmpp_stanza_t *st, const char *needle)
{
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(st, &buf, &len), XMPP_EOK);
    int found = strstr(buf, needle) != NULL;
    xmpp_free(xmpp_stanza_get_context(st), buf);
    return found;
}

/* Whether any captured stanza contains `needle`. */
static int capture_contains(fixture_t *fx, const char *needle)
{
    for (size_t i = 0; i < fx->cap.count; i++)
        if (serialized_contains(fx->cap.stanzas[i], needle)) return 1;
    return 0;
}

/* Feeds xml and expects exactly one error reply to `to`; capture cleared. */
static void feed_expect_error(fixture_t *fx, const char *xml, const char *to,
                              const char *type, const char *cond)
{
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_attr(e, "to", to);
    assert_stanza_error(e, type, cond);
    capture_clear(&fx->cap);
}

static occupant_t *occupant(fixture_t *fx, const char *nick)
{
    occupant_t *o = room_occupant_by_nick(the_room(fx), nick);
    assert_non_null(o);
    return o;
}

/* Alice creates room@ and submits `config_xml` as its first configuration
 * (which unlocks it); the capture is left empty. */
static void make_room(fixture_t *fx, const char *config_xml)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, config_xml), 1);
    assert_attr(capture_at(&fx->cap, 0), "type", "result");
    assert_false(the_room(fx)->locked);
    capture_clear(&fx->cap);
}

/* Feeds a join expected to succeed with `n` stanzas; capture cleared. */
static void join_ok(fixture_t *fx, const char *xml, size_t n)
{
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), n);
    for (size_t i = 0; i < fx->cap.count; i++)
        assert_null(xmpp_stanza_get_child_by_name(fx->cap.stanzas[i], "error"));
    capture_clear(&fx->cap);
}

/* ---- password-protected rooms ----------------------------------------- */

static void test_password_room_join(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0",
                         FIELD("passwordprotectedroom", "1") FIELD("roomsecret", "s3")));
    assert_string_equal(room_password(the_room(fx)), "s3");

    /* no password */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "presence");
    assert_attr(e, "from", ROOM "/Bob");
    assert_stanza_error(e, "auth", "not-authorized");
    /* a wrong one */
    feed_expect_error(fx, JOIN_PW(BOB, "Bob", "s4"), BOB, "auth", "not-authorized");
    feed_expect_error(fx, JOIN_PW(BOB, "Bob", "S3"), BOB, "auth", "not-authorized");
    feed_expect_error(fx, JOIN_PW(BOB, "Bob", ""), BOB, "auth", "not-authorized");
    assert_int_equal(room_occupant_count(the_room(fx)), 1);
    /* the right one */
    join_ok(fx, JOIN_PW(BOB, "Bob", "s3"), 4);
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_PARTICIPANT);
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

static void test_password_never_disclosed(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    capture_clear(&fx->cap);
    /* the configuration change itself tells nobody */
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c0",
                                             FIELD("passwordprotectedroom", "1")
                                                 FIELD("roomsecret", "Zq9-Secret"))),
                     1);
    assert_false(capture_contains(fx, "Zq9-Secret"));
    join_ok(fx, JOIN_PW(BOB, "Bob", "Zq9-Secret"), 4);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c1", FIELD("roomname", "Vault"))),
                     3);
    assert_false(capture_contains(fx, "Zq9-Secret"));

    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, DISCO("d1", ROOM, NS_DISCO_INFO)), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_attr(r, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_INFO);
    assert_non_null(q);
    assert_true(has_feature(q, "muc_passwordprotected"));
    assert_false(has_feature(q, "muc_unsecured"));
    assert_false(serialized_contains(r, "Zq9-Secret"));

    capture_clear(&fx->cap);
    fixture_feed(fx, DISCO("d2", ROOM, NS_DISCO_ITEMS));
    fixture_feed(fx, DISCO("d3", FX_DOMAIN, NS_DISCO_ITEMS));
    fixture_feed(fx, DISCO("d4", FX_DOMAIN, NS_DISCO_INFO));
    fixture_feed(fx, JOIN_PW(CAROL, "Carol", "Zq9-Secret"));
    assert_false(capture_contains(fx, "Zq9-Secret"));
}

/* ---- members-only rooms ----------------------------------------------- */

static void test_members_only_join(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("membersonly", "1")));
    feed_expect_error(fx, JOIN(BOB, "Bob"), BOB, "auth", "registration-required");
    assert_int_equal(room_occupant_count(the_room(fx)), 1);
    /* made a member, he may */
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("bob@localhost", "member"))), 1);
    join_ok(fx, JOIN(BOB, "Bob"), 4);
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_PARTICIPANT);
    /* disco says so */
    capture_clear(&fx->cap);
    fixture_feed(fx, DISCO("d1", ROOM, NS_DISCO_INFO));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_DISCO_INFO);
    assert_true(has_feature(q, "muc_membersonly"));
    assert_false(has_feature(q, "muc_open"));
}

static void test_members_only_switch_removes_non_members(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", ""));
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("carol@localhost", "member"))),
        1);
    join_ok(fx, JOIN(BOB, "Bob"), 4);
    join_ok(fx, JOIN(CAROL, "Carol"), 6);

    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c1", FIELD("membersonly", "1"))), 6);
    static const char *const to[] = {ALICE, BOB, CAROL};
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *p = presence_from_to(fx, ROOM "/Bob", to[i]);
        assert_attr(p, "type", "unavailable");
        assert_attr(muc_item(p), "role", "none");
        assert_true(has_status(p, 322));
        assert_int_equal(has_status(p, 110), i == 1);
    }
    /* Bob is gone before the 104 notice: only Alice and Carol get it */
    assert_int_equal(count_to(fx, BOB), 1);
    assert_int_equal(count_to(fx, CAROL), 2);
    room_t *room = the_room(fx);
    assert_null(room_occupant_by_nick(room, "Bob"));
    assert_non_null(room_occupant_by_nick(room, "Carol"));
    assert_non_null(room_occupant_by_nick(room, "Alice"));
    feed_expect_error(fx, JOIN(BOB, "Bob"), BOB, "auth", "registration-required");
}

/* ---- moderated rooms and voice requests ------------------------------- */

#define VOICE_REQUEST(from)                                                              \
    "<message from='" from "' to='" ROOM "'><x xmlns='" NS_DATA "' type='submit'>"       \
    "<field var='FORM_TYPE'><value>" NS_REQUEST "</value></field>"                       \
    "<field var='muc#role' type='list-single'><value>participant</value></field>"        \
    "</x></message>"
#define VOICE_ANSWER(from, nick, allow)                                                  \
    "<message from='" from "' to='" ROOM "'><x xmlns='" NS_DATA "' type='submit'>"       \
    "<field var='FORM_TYPE'><value>" NS_REQUEST "</value></field>"                       \
    "<field var='muc#role'><value>participant</value></field>"                           \
    "<field var='muc#jid'><value>" BOB "</value></field>"                                \
    "<field var='muc#roomnick'><value>" nick "</value></field>"                          \
    "<field var='muc#request_allow'><value>" allow "</value></field></x></message>"

static void assert_field_value(xmpp_stanza_t *x, const char *var, const char *value)
{
    assert_text(xmpp_stanza_get_child_by_name(form_field(x, var), "value"), value);
}

/* A moderated room with Dave (admin, moderator) and Bob (visitor). */
static void moderated_room(fixture_t *fx)
{
    make_room(fx, CONFIG(ALICE, "c0", FIELD("moderatedroom", "1")));
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("dave@localhost", "admin"))), 1);
    join_ok(fx, JOIN(DAVE, "Dave"), 4);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 6);
    assert_presence(nth_to(fx, BOB, 2), NULL, ROOM "/Bob", BOB, "none", "visitor", BOB);
    assert_true(has_status(nth_to(fx, BOB, 2), 110));
    capture_clear(&fx->cap);
}

static void test_moderated_new_occupant_is_visitor(void **state)
{
    fixture_t *fx = *state;
    moderated_room(fx);
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_VISITOR);
    assert_int_equal(occupant(fx, "Dave")->role, ROLE_MODERATOR);
    feed_expect_error(fx, GROUPCHAT(BOB, "g1", "let me speak"), BOB, "auth", "forbidden");
    /* a member gets voice on entering */
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "a2", AFF_ITEM("carol@localhost", "member"))),
        1);
    join_ok(fx, JOIN(CAROL, "Carol"), 8);
    assert_int_equal(occupant(fx, "Carol")->role, ROLE_PARTICIPANT);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(CAROL, "g2", "hi")), 4);
}

static void test_voice_request_and_approval(void **state)
{
    fixture_t *fx = *state;
    moderated_room(fx);
    /* each moderator gets the request form, the visitor nothing */
    assert_int_equal(fixture_feed(fx, VOICE_REQUEST(BOB)), 2);
    assert_int_equal(count_to(fx, BOB), 0);
    static const char *const mods[] = {ALICE, DAVE};
    for (size_t i = 0; i < 2; i++) {
        xmpp_stanza_t *m = nth_to(fx, mods[i], 0);
        assert_string_equal(xmpp_stanza_get_name(m), "message");
        assert_attr(m, "from", ROOM);
        xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(m, "x", NS_DATA);
        assert_non_null(x);
        assert_attr(x, "type", "form");
        assert_field_value(x, "FORM_TYPE", NS_REQUEST);
        assert_field_value(x, "muc#role", "participant");
        assert_field_value(x, "muc#jid", BOB);
        assert_field_value(x, "muc#roomnick", "Bob");
        assert_field_value(x, "muc#request_allow", "false");
    }
    /* a visitor cannot answer it himself */
    feed_expect_error(fx, VOICE_ANSWER(BOB, "Bob", "true"), BOB, "auth", "forbidden");
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_VISITOR);
    /* a refusal changes nothing */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VOICE_ANSWER(ALICE, "Bob", "false")), 0);
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_VISITOR);

    /* the approval gives voice, broadcast to everyone */
    assert_int_equal(fixture_feed(fx, VOICE_ANSWER(DAVE, "Bob", "true")), 3);
    static const char *const to[] = {ALICE, DAVE, BOB};
    for (size_t i = 0; i < 3; i++) {
        xmpp_stanza_t *p = nth_to(fx, to[i], 0);
        assert_presence(p, NULL, ROOM "/Bob", to[i], "none", "participant", BOB);
        assert_int_equal(has_status(p, 110), i == 2);
    }
    assert_int_equal(occupant(fx, "Bob")->role, ROLE_PARTICIPANT);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "g3", "thanks")), 3);
    /* with voice, asking again is refused */
    feed_expect_error(fx, VOICE_REQUEST(BOB), BOB, "modify", "not-acceptable");
}

static void test_voice_approval_for_unknown_nick(void **state)
{
    fixture_t *fx = *state;
    moderated_room(fx);
    feed_expect_error(fx, VOICE_ANSWER(ALICE, "Nobody", "true"), ALICE, "cancel",
                      "item-not-found");
}

/* ---- hidden and public rooms ------------------------------------------ */

static void test_hidden_room_not_listed(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("publicroom", "0")));
    assert_int_equal(fixture_feed(fx, DISCO("d1", FX_DOMAIN, NS_DISCO_ITEMS)), 1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    assert_int_equal(child_count(q, "item"), 0);
    capture_clear(&fx->cap);
    fixture_feed(fx, DISCO("d2", ROOM, NS_DISCO_INFO));
    q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query",
                                             NS_DISCO_INFO);
    assert_true(has_feature(q, "muc_hidden"));
    assert_false(has_feature(q, "muc_public"));

    /* made public, it is listed */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, CONFIG(ALICE, "c1",
                                             FIELD("publicroom", "1")
                                                 FIELD("roomname", "The Lounge"))),
                     2);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, DISCO("d3", FX_DOMAIN, NS_DISCO_ITEMS)), 1);
    q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query",
                                             NS_DISCO_ITEMS);
    assert_int_equal(child_count(q, "item"), 1);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(q, "item");
    assert_attr(item, "jid", ROOM);
    assert_attr(item, "name", "The Lounge");
}

/* ---- capacity --------------------------------------------------------- */

static void test_max_users(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("maxusers", "2")));
    assert_int_equal(
        fixture_feed(fx, ADMIN_SET(ALICE, "a1",
                                   AFF_ITEM("dave@localhost", "admin")
                                       AFF_ITEM("erin@localhost", "owner")
                                           AFF_ITEM("carol@localhost", "member"))),
        1);
    join_ok(fx, JOIN(BOB, "Bob"), 4);
    /* full: a third non-admin, even a member, is refused */
    feed_expect_error(fx, JOIN(CAROL, "Carol"), CAROL, "cancel", "service-unavailable");
    feed_expect_error(fx, JOIN("zed@localhost/z", "Zed"), "zed@localhost/z", "cancel",
                      "service-unavailable");
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
    /* Bob's second session is no new occupant */
    capture_clear(&fx->cap);
    assert_true(fixture_feed(fx, JOIN("bob@localhost/other", "Bob")) >= 3);
    assert_null(xmpp_stanza_get_child_by_name(capture_at(&fx->cap, 0), "error"));
    /* admins and owners still enter */
    join_ok(fx, JOIN(DAVE, "Dave"), 7);
    join_ok(fx, JOIN("erin@localhost/e", "Erin"), 9);
    assert_int_equal(room_occupant_count(the_room(fx)), 4);
}

/* ---- non-anonymous rooms ---------------------------------------------- */

static void test_non_anonymous_room(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("whois", "anyone")));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_presence(nth_to(fx, BOB, 0), NULL, ROOM "/Alice", BOB, "owner", "moderator",
                    ALICE);
    xmpp_stanza_t *self = nth_to(fx, BOB, 1);
    assert_presence(self, NULL, ROOM "/Bob", BOB, "none", "participant", BOB);
    assert_true(has_status(self, 100));
    assert_true(has_status(self, 110));
    assert_false(has_status(nth_to(fx, ALICE, 0), 100));

    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Carol")), 6);
    /* Carol sees both real JIDs, Bob sees hers */
    assert_attr(muc_item(presence_from_to(fx, ROOM "/Alice", CAROL)), "jid", ALICE);
    assert_attr(muc_item(presence_from_to(fx, ROOM "/Bob", CAROL)), "jid", BOB);
    assert_attr(muc_item(presence_from_to(fx, ROOM "/Carol", BOB)), "jid", CAROL);
    assert_true(has_status(presence_from_to(fx, ROOM "/Carol", CAROL), 100));

    capture_clear(&fx->cap);
    fixture_feed(fx, DISCO("d1", ROOM, NS_DISCO_INFO));
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_DISCO_INFO);
    assert_true(has_feature(q, "muc_nonanonymous"));
    assert_false(has_feature(q, "muc_semianonymous"));
}

/* ---- invitations and declines ----------------------------------------- */

/* Asserts m is the invitation the room relays to `to`, from `inviter`. */
static xmpp_stanza_t *assert_invitation(xmpp_stanza_t *m, const char *to,
                                        const char *inviter, const char *reason)
{
    assert_string_equal(xmpp_stanza_get_name(m), "message");
    assert_attr(m, "from", ROOM);
    assert_attr(m, "to", to);
    assert_attr(m, "type", NULL);
    xmpp_stanza_t *x = muc_x(m);
    assert_non_null(x);
    xmpp_stanza_t *inv = xmpp_stanza_get_child_by_name(x, "invite");
    assert_non_null(inv);
    assert_attr(inv, "from", inviter);
    assert_attr(inv, "to", NULL);
    assert_text(xmpp_stanza_get_child_by_name(inv, "reason"), reason);
    return x;
}

static void test_invite_semi_anonymous(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("allowinvites", "1")));
    join_ok(fx, JOIN(BOB, "Bob"), 4);
    assert_int_equal(fixture_feed(fx, INVITE(BOB, "i1", "carol@localhost", "join us")),
                     1);
    xmpp_stanza_t *m = capture_at(&fx->cap, 0);
    xmpp_stanza_t *x = assert_invitation(m, "carol@localhost", ROOM "/Bob", "join us");
    assert_null(xmpp_stanza_get_child_by_name(x, "password"));
    /* the inviter's real JID never leaks */
    assert_false(serialized_contains(m, "bob@localhost"));
    /* inviting is not joining: Carol is nobody in the room */
    assert_int_equal(room_affiliation(the_room(fx), "carol@localhost"), AFF_NONE);
    assert_int_equal(room_occupant_count(the_room(fx)), 2);
}

static void test_invite_non_anonymous_shows_inviter(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("whois", "anyone")));
    assert_int_equal(fixture_feed(fx, INVITE(ALICE, "i1", "carol@localhost", "come")), 1);
    xmpp_stanza_t *inv =
        xmpp_stanza_get_child_by_name(muc_x(capture_at(&fx->cap, 0)), "invite");
    assert_non_null(inv);
    const char *from = xmpp_stanza_get_attribute(inv, "from");
    assert_non_null(from);
    assert_true(strncmp(from, "alice@localhost", strlen("alice@localhost")) == 0);
}

static void test_invite_to_password_room_carries_password(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0",
                         FIELD("passwordprotectedroom", "1") FIELD("roomsecret", "s3")));
    assert_int_equal(fixture_feed(fx, INVITE(ALICE, "i1", "carol@localhost", "join us")),
                     1);
    xmpp_stanza_t *x = assert_invitation(capture_at(&fx->cap, 0), "carol@localhost",
                                         ROOM "/Alice", "join us");
    assert_text(xmpp_stanza_get_child_by_name(x, "password"), "s3");
}

static void test_invite_forbidden_without_allowinvites(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("allowinvites", "0")));
    join_ok(fx, JOIN(BOB, "Bob"), 4);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, INVITE(BOB, "i1", "carol@localhost", "join us")),
                     1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "message");
    assert_attr(e, "to", BOB);
    assert_stanza_error(e, "auth", "forbidden");
    /* a moderator still may */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, INVITE(ALICE, "i2", "carol@localhost", "join us")),
                     1);
    assert_invitation(capture_at(&fx->cap, 0), "carol@localhost", ROOM "/Alice",
                      "join us");
    /* and a non-occupant may not */
    feed_expect_error(fx, INVITE("zed@localhost/z", "i3", "carol@localhost", "x"),
                      "zed@localhost/z", "modify", "not-acceptable");
}

static void test_invite_to_members_only_room_makes_member(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", FIELD("membersonly", "1")));
    assert_int_equal(
        fixture_feed(fx, INVITE(ALICE, "i1", "Carol@LocalHost/phone", "join us")), 1);
    assert_invitation(capture_at(&fx->cap, 0), "Carol@LocalHost/phone", ROOM "/Alice",
                      "join us");
    assert_int_equal(room_affiliation(the_room(fx), "carol@localhost"), AFF_MEMBER);
    join_ok(fx, JOIN(CAROL, "Carol"), 4);
    /* an uninvited user is still kept out */
    feed_expect_error(fx, JOIN(BOB, "Bob"), BOB, "auth", "registration-required");
}

static void test_decline_reaches_inviter(void **state)
{
    fixture_t *fx = *state;
    make_room(fx, CONFIG(ALICE, "c0", ""));
    assert_int_equal(fixture_feed(fx, INVITE(ALICE, "i1", "carol@localhost", "join us")),
                     1);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message id='n1' from='" CAROL "' to='" ROOM
                                      "'><x xmlns='" NS_MUC_USER
                                      "'><decline to='alice@localhost'><reason>busy"
                                      "</reason></decline></x></message>"),
                     1);
    xmpp_stanza_t *m = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(m), "message");
    assert_attr(m, "from", ROOM);
    assert_attr(m, "to", "alice@localhost");
    xmpp_stanza_t *x = muc_x(m);
    assert_non_null(x);
    xmpp_stanza_t *d = xmpp_stanza_get_child_by_name(x, "decline");
    assert_non_null(d);
    assert_attr(d, "from", "carol@localhost");
    assert_attr(d, "to", NULL);
    assert_text(xmpp_stanza_get_child_by_name(d, "reason"), "busy");
    /* declining changes nothing in the room */
    assert_int_equal(room_occupant_count(the_room(fx)), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        T(test_password_room_join),
        T(test_password_never_disclosed),
        T(test_members_only_join),
        T(test_members_only_switch_removes_non_members),
        T(test_moderated_new_occupant_is_visitor),
        T(test_voice_request_and_approval),
        T(test_voice_approval_for_unknown_nick),
        T(test_hidden_room_not_listed),
        T(test_max_users),
        T(test_non_anonymous_room),
        T(test_invite_semi_anonymous),
        T(test_invite_non_anonymous_shows_inviter),
        T(test_invite_to_password_room_carries_password),
        T(test_invite_forbidden_without_allowinvites),
        T(test_invite_to_members_only_room_makes_member),
        T(test_decline_reaches_inviter),
#undef T
    };
    return cmocka_run_group_tests_name("muc_roomtypes", tests, NULL, NULL);
}
