/* test_security.c - the security properties of issue 7, driven through
 * service_handle with a capture sink:
 *  1. a real JID never reaches a non-moderator of a semi-anonymous room
 *     (presences, history, private messages, IQs, disco, errors,
 *     invitations), while moderators - and everyone in a non-anonymous room
 *     - do see them (XEP-0045 §5.2.1, §7.2.3-§7.2.4, §7.5, §7.8, §10.2);
 *  2. a room password is only ever shown to owners (§7.2.6, §10.2, §6.4);
 *  3. privilege escalation through multi-item muc#admin sets that mix
 *     allowed and refused items is refused whole, nothing applied, nothing
 *     broadcast (§8, §9, §10, §10.6);
 *  4. stanzas with a missing or malformed 'from' or 'to', or a 'from' in
 *     the service's own domain, are refused (jid-malformed) or dropped with
 *     a log line, never processed as someone else (RFC 6120 §8.1, §8.3).
 * Leak checks run on the whole serialized stanza (xmpp_stanza_to_text), so
 * attributes of nested elements are covered too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "muc/jid.h"
#include "tests/support/muc_asserts.h"

#define DAVE "dave@localhost/d"
#define ERIN "erin@localhost/e"
#define ZED  "zed@localhost/z"

#define SECRET "s3cr3t-Pa55"

#define ADMIN_GET(from, id, item)                                                        \
    "<iq type='get' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_ADMIN "'>" item "</query></iq>"
#define OWNER_GET(from, id)                                                              \
    "<iq type='get' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_OWNER "'/></iq>"
#define ROLE_ITEM(nick, role) "<item nick='" nick "' role='" role "'/>"
/* Two role items. */
#define ROLES(nick1, role1, nick2, role2) ROLE_ITEM(nick1, role1) ROLE_ITEM(nick2, role2)
/* Two affiliation items, of user1@localhost and user2@localhost. */
#define AFFS(user1, aff1, user2, aff2)                                                   \
    AFF_ITEM(user1 "@localhost", aff1) AFF_ITEM(user2 "@localhost", aff2)
#define GROUPCHAT(from, id, body)                                                        \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM "'><body>" body    \
    "</body></message>"
#define DISCO_FROM(from, id, to, ns)                                                     \
    "<iq type='get' id='" id "' from='" from "' to='" to "'><query xmlns='" ns "'/></"   \
    "iq>"

/* Every user's bare JID: what must not show up in others' stanzas. */
static const char *const bare_jids[] = {"alice@localhost",
                                        "bob@localhost",
                                        "carol@localhost",
                                        "dave@localhost",
                                        "erin@localhost",
                                        "zed@localhost",
                                        NULL};

/* ---- helpers ---------------------------------------------------------- */

/* The whole stanza as text (to free with xmpp_free). */
static char *text_of(fixture_t *fx, xmpp_stanza_t *st)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(st, &text, &len), XMPP_EOK);
    (void)fx;
    return text;
}

/* How many captured stanzas addressed to `to` contain `needle` anywhere. */
static size_t count_to_containing(fixture_t *fx, const char *to, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        if (!is_to(fx->cap.stanzas[i], to)) continue;
        char *text = text_of(fx, fx->cap.stanzas[i]);
        if (strstr(text, needle)) n++;
        xmpp_free(fx->ctx, text);
    }
    return n;
}

/* Fails if any captured stanza addressed to `to` contains `needle`. */
static void assert_not_shown_to(fixture_t *fx, const char *to, const char *needle)
{
    for (size_t i = 0; i < fx->cap.count; i++) {
        if (!is_to(fx->cap.stanzas[i], to)) continue;
        char *text = text_of(fx, fx->cap.stanzas[i]);
        if (strstr(text, needle)) {
            print_error("stanza to %s shows '%s':\n%s\n", to, needle, text);
            xmpp_free(fx->ctx, text);
            fail_msg("'%s' shown to %s", needle, to);
        }
        xmpp_free(fx->ctx, text);
    }
}

/* Fails if a stanza addressed to `to` contains the real JID of anyone but
 * the recipient itself (whose own JID is in the 'to' of everything). */
static void assert_no_foreign_jid(fixture_t *fx, const char *to)
{
    for (const char *const *b = bare_jids; *b; b++)
        if (strncmp(to, *b, strlen(*b)) != 0) assert_not_shown_to(fx, to, *b);
}

/* Fails if no captured stanza addressed to `to` contains `needle`. */
static void assert_shown_to(fixture_t *fx, const char *to, const char *needle)
{
    if (count_to_containing(fx, to, needle) == 0)
        fail_msg("'%s' never shown to %s (of %zu stanzas to it)", needle, to,
                 count_to(fx, to));
}

/* Feeds xml from someone expected in the room: no error comes back. */
static void feed_ok(fixture_t *fx, const char *xml)
{
    capture_clear(&fx->cap);
    assert_true(fixture_feed(fx, xml) > 0);
    for (size_t i = 0; i < fx->cap.count; i++)
        if (xmpp_stanza_get_child_by_name(fx->cap.stanzas[i], "error")) {
            char *text = text_of(fx, fx->cap.stanzas[i]);
            print_error("unexpected error: %s\n", text);
            xmpp_free(fx->ctx, text);
            fail();
        }
}

/* Feeds xml and expects exactly one reply: an error (type, condition). */
static xmpp_stanza_t *feed_error(fixture_t *fx, const char *xml, const char *type,
                                 const char *cond)
{
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_stanza_error(e, type, cond);
    return e;
}

/* Alice creates and unlocks room@ with `fields` (semi-anonymous by default);
 * capture cleared. */
static void create_room(fixture_t *fx, const char *config)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, config), 1);
    assert_attr(capture_at(&fx->cap, 0), "type", "result");
    capture_clear(&fx->cap);
}

/* create_room with `config`, then `set` (an admin set of Alice's, or
 * NULL), then Bob and Carol enter; capture cleared. */
static void room_with_bob_and_carol(fixture_t *fx, const char *config, const char *set)
{
    create_room(fx, config);
    if (set) feed_ok(fx, set);
    feed_ok(fx, JOIN(BOB, "Bob"));
    feed_ok(fx, JOIN(CAROL, "Carol"));
    capture_clear(&fx->cap);
}

/* Alice's semi-anonymous room with Bob and Carol; capture cleared. */
static void room_of_three(fixture_t *fx)
{
    room_with_bob_and_carol(fx, CONFIG(ALICE, "c0", ""), NULL);
}

/* `from` sends a disco query of namespace ns (id `id`) to `to`; returns how
 * many stanzas came back (the capture is not cleared). */
static size_t ask_disco(fixture_t *fx, const char *from, const char *id, const char *to,
                        const char *ns)
{
    char xml[512];
    snprintf(xml, sizeof xml,
             "<iq type='get' id='%s' from='%s' to='%s'><query xmlns='%s'/></iq>", id,
             from, to, ns);
    return fixture_feed(fx, xml);
}

/* The <query xmlns=ns/> of the first captured stanza, failing if absent. */
static xmpp_stanza_t *first_query(fixture_t *fx, const char *ns)
{
    xmpp_stanza_t *q =
        xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query", ns);
    assert_non_null(q);
    return q;
}

static role_t role_of(fixture_t *fx, const char *nick)
{
    occupant_t *o = room_occupant_by_nick(the_room(fx), nick);
    assert_non_null(o);
    return o->role;
}

/* How many presences the capture holds. */
static size_t presences(fixture_t *fx)
{
    return count_named(fx, "presence");
}

/* ======================================================================
 * 1. Real JIDs in semi-anonymous rooms
 * ====================================================================== */

static void test_semianon_join_burst_and_broadcast(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, CONFIG(ALICE, "c0", ""));
    assert_false(the_room(fx)->cfg.whois_anyone); /* the default */

    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_no_foreign_jid(fx, BOB);              /* Alice's presence, own, subject */
    assert_shown_to(fx, ALICE, "bob@localhost"); /* the moderator sees it */
    assert_false(has_status(presence_from_to(fx, ROOM "/Bob", BOB), 100));

    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Carol")), 6);
    assert_no_foreign_jid(fx, CAROL);
    assert_no_foreign_jid(fx, BOB);
    assert_shown_to(fx, ALICE, "carol@localhost");
    /* Carol's own presence does carry her JID (§7.2.3: to herself) */
    assert_presence(presence_from_to(fx, ROOM "/Carol", CAROL), NULL, ROOM "/Carol",
                    CAROL, "none", "participant", CAROL);
    /* and the owner is shown to Carol without a JID */
    assert_presence(presence_from_to(fx, ROOM "/Alice", CAROL), NULL, ROOM "/Alice",
                    CAROL, "owner", "moderator", NULL);

    /* a second session of Bob's (the same user) reveals nothing either */
    capture_clear(&fx->cap);
    assert_true(fixture_feed(fx, JOIN("bob@localhost/other", "Bob")) > 0);
    assert_no_foreign_jid(fx, CAROL);
    assert_shown_to(fx, ALICE, "bob@localhost");
}

static void test_semianon_nick_change_and_leave(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* §7.6: 303 then the new presence */
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM "/Robert'/>"),
                     6);
    xmpp_stanza_t *gone = presence_from_to(fx, ROOM "/Bob", CAROL);
    assert_true(has_status(gone, 303));
    assert_presence(gone, "unavailable", ROOM "/Bob", CAROL, "none", "none", NULL);
    assert_no_foreign_jid(fx, CAROL);
    assert_int_equal(count_to_containing(fx, ALICE, "bob@localhost"), 2);

    /* a status update */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<presence from='" BOB "' to='" ROOM
                                      "/Robert'><show>away</show></presence>"),
                     3);
    assert_no_foreign_jid(fx, CAROL);
    assert_shown_to(fx, ALICE, "bob@localhost");

    /* §7.14: leaving */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, LEAVE(BOB, "Robert")), 3);
    assert_no_foreign_jid(fx, CAROL);
    assert_shown_to(fx, ALICE, "bob@localhost");
}

static void test_semianon_kick_and_ban_broadcasts(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_ok(fx, JOIN(DAVE, "Dave"));

    /* §8.2: kicked by the owner, with a reason; the actor by nick only */
    feed_ok(fx, ADMIN_SET(ALICE, "k1",
                          "<item nick='Bob' role='none'><reason>out</reason></item>"));
    assert_true(has_status(presence_from_to(fx, ROOM "/Bob", CAROL), 307));
    assert_no_foreign_jid(fx, CAROL);
    assert_no_foreign_jid(fx, DAVE);
    assert_shown_to(fx, ALICE, "bob@localhost");
    assert_not_shown_to(fx, BOB, "alice@localhost"); /* nor the actor's, to Bob */

    /* §9.1: banned */
    feed_ok(fx, ADMIN_SET(ALICE, "b1",
                          "<item jid='carol@localhost' affiliation='outcast'><reason>"
                          "spam</reason></item>"));
    assert_true(has_status(presence_from_to(fx, ROOM "/Carol", DAVE), 301));
    assert_no_foreign_jid(fx, DAVE);
    assert_not_shown_to(fx, CAROL, "alice@localhost");
    assert_shown_to(fx, ALICE, "carol@localhost");
}

static void test_semianon_role_and_affiliation_broadcasts(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    feed_ok(fx, JOIN(DAVE, "Dave"));

    /* member, then admin: Dave (a participant) sees neither JID */
    feed_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("bob@localhost", "member")));
    assert_int_equal(presences(fx), 4);
    assert_no_foreign_jid(fx, DAVE);
    assert_no_foreign_jid(fx, CAROL);
    assert_shown_to(fx, ALICE, "bob@localhost");
    feed_ok(fx, ADMIN_SET(ALICE, "a2", AFF_ITEM("carol@localhost", "admin")));
    assert_no_foreign_jid(fx, DAVE);
    assert_no_foreign_jid(fx, BOB);

    /* Bob made a moderator (§8.5): his new standing is shown without his JID */
    feed_ok(fx, ADMIN_SET(ALICE, "m1", ROLE_ITEM("Bob", "moderator")));
    assert_presence(presence_from_to(fx, ROOM "/Bob", DAVE), NULL, ROOM "/Bob", DAVE,
                    "member", "moderator", NULL);
    assert_no_foreign_jid(fx, DAVE);
    /* ... and from now on he sees joiners' JIDs */
    feed_ok(fx, JOIN(ERIN, "Erin"));
    assert_shown_to(fx, BOB, "erin@localhost");
    assert_shown_to(fx, CAROL, "erin@localhost"); /* an admin moderates */
    assert_no_foreign_jid(fx, DAVE);
    assert_no_foreign_jid(fx, ERIN); /* her burst: moderators' JIDs hidden too */

    /* voice revoked from Erin by the moderator Bob: the actor is a nick */
    feed_ok(fx, ADMIN_SET(BOB, "v1", ROLE_ITEM("Erin", "visitor")));
    assert_no_foreign_jid(fx, DAVE);
    assert_no_foreign_jid(fx, ERIN);

    /* §8.6 moderator revoked: Bob no longer sees JIDs */
    feed_ok(fx, ADMIN_SET(ALICE, "m2", ROLE_ITEM("Bob", "participant")));
    assert_no_foreign_jid(fx, DAVE);
    feed_ok(fx, JOIN(ZED, "Zed"));
    assert_no_foreign_jid(fx, BOB);
    assert_no_foreign_jid(fx, DAVE);
    assert_shown_to(fx, ALICE, "zed@localhost");
    assert_shown_to(fx, CAROL, "zed@localhost");

    /* membership revoked (§9.4) */
    feed_ok(fx, ADMIN_SET(ALICE, "a3", AFF_ITEM("bob@localhost", "none")));
    assert_no_foreign_jid(fx, DAVE);
    assert_no_foreign_jid(fx, ZED);
}

static void test_semianon_history_and_subject(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, CONFIG(ALICE, "c0", ""));
    feed_ok(fx, JOIN(BOB, "Bob"));
    feed_ok(fx, GROUPCHAT(BOB, "g1", "hello from bob"));
    assert_no_foreign_jid(fx, BOB);
    feed_ok(fx, "<message type='groupchat' id='s1' from='" ALICE "' to='" ROOM
                "'><subject>Plans</subject></message>");
    feed_ok(fx,
            "<message type='groupchat' id='g2' from='" ALICE "' to='" ROOM
            "'><body>and from alice</body><html xmlns='http://jabber.org/protocol/"
            "xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>and from alice</body>"
            "</html></message>");
    assert_no_foreign_jid(fx, BOB);

    capture_clear(&fx->cap);
    /* Alice's and Bob's presences, Carol's to all three, two delayed
     * messages, the subject */
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Carol")), 2 + 3 + 2 + 1);
    size_t delayed = 0;
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *s = fx->cap.stanzas[i];
        if (is_to(s, CAROL) && xmpp_stanza_get_child_by_name_and_ns(s, "delay", NS_DELAY))
            delayed++;
    }
    assert_int_equal(delayed, 2);
    assert_no_foreign_jid(fx, CAROL);
    /* a moderator joining later sees history the same way (occupant JIDs) */
    capture_clear(&fx->cap);
    feed_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("dave@localhost", "admin")));
    feed_ok(fx, JOIN(DAVE, "Dave"));
    assert_shown_to(fx, DAVE, "bob@localhost"); /* his burst: an admin moderates */
}

static void test_semianon_private_messages(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* §7.5 with nested elements: thread, an OOB url, chat states */
    assert_int_equal(
        fixture_feed(fx, "<message type='chat' id='p1' from='" BOB "' to='" ROOM
                         "/Carol'><body>psst</body><thread>t1</thread><x xmlns='jabber:x:"
                         "oob'><url>http://example.org/f</url></x><active xmlns='http://"
                         "jabber.org/protocol/chatstates'/></message>"),
        1);
    xmpp_stanza_t *pm = nth_to(fx, CAROL, 0);
    assert_string_equal(xmpp_stanza_get_name(pm), "message");
    assert_attr(pm, "from", ROOM "/Bob");
    assert_attr(pm, "type", "chat");
    assert_child_text(pm, "body", "psst");
    assert_non_null(muc_x(pm));
    assert_no_foreign_jid(fx, CAROL);

    /* to a moderator too, the sender is the occupant JID */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p2' from='" CAROL
                                      "' to='" ROOM "/Alice'><body>hi</body></message>"),
                     1);
    assert_attr(nth_to(fx, ALICE, 0), "from", ROOM "/Carol");
    assert_not_shown_to(fx, ALICE, "carol@localhost");

    /* a moderator's PM does not reveal the moderator either */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message type='chat' id='p3' from='" ALICE
                                      "' to='" ROOM "/Bob'><body>yo</body></message>"),
                     1);
    assert_attr(nth_to(fx, BOB, 0), "from", ROOM "/Alice");
    assert_no_foreign_jid(fx, BOB);

    /* to a nick that is not there: the error names nobody */
    feed_error(fx,
               "<message type='chat' id='p4' from='" CAROL "' to='" ROOM
               "/Nobody'><body>?</body></message>",
               "cancel", "item-not-found");
    assert_no_foreign_jid(fx, CAROL);
}

static void test_semianon_iq_between_occupants(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* §7.5 IQ (vCard): forwarded to Carol's real JID from Bob's occupant JID */
    assert_int_equal(fixture_feed(fx, "<iq type='get' id='v1' from='" BOB "' to='" ROOM
                                      "/Carol'><vCard xmlns='vcard-temp'/></iq>"),
                     1);
    xmpp_stanza_t *fwd = nth_to(fx, CAROL, 0);
    assert_attr(fwd, "from", ROOM "/Bob");
    assert_no_foreign_jid(fx, CAROL);
    const char *id = xmpp_stanza_get_id(fwd);
    assert_non_null(id);
    assert_string_not_equal(id, "v1");
    char answer[512];
    snprintf(answer, sizeof answer,
             "<iq type='result' id='%s' from='" CAROL "' to='" ROOM
             "/Bob'><vCard xmlns='vcard-temp'><FN>C</FN></vCard></iq>",
             id);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, answer), 1);
    xmpp_stanza_t *back = nth_to(fx, BOB, 0);
    assert_attr(back, "id", "v1");
    assert_attr(back, "from", ROOM "/Carol");
    assert_no_foreign_jid(fx, BOB);

    /* disco#info to an occupant, from an occupant: forwarded the same way */
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, DISCO_FROM(CAROL, "d1", ROOM "/Bob", NS_DISCO_INFO)), 1);
    assert_attr(nth_to(fx, BOB, 0), "from", ROOM "/Carol");
    assert_int_equal(count_to(fx, CAROL), 0);
    assert_no_foreign_jid(fx, BOB);
    /* §6.5: from a non-occupant, refused without naming anyone */
    feed_error(fx, DISCO_FROM(ZED, "d2", ROOM "/Bob", NS_DISCO_INFO), "modify",
               "bad-request");
    assert_no_foreign_jid(fx, ZED);
}

static void test_semianon_disco(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    static const char *const askers[] = {CAROL, ZED};
    for (size_t i = 0; i < 2; i++) {
        capture_clear(&fx->cap);
        assert_int_equal(ask_disco(fx, askers[i], "i1", ROOM, NS_DISCO_INFO), 1);
        xmpp_stanza_t *q = first_query(fx, NS_DISCO_INFO);
        assert_true(has_feature(q, "muc_semianonymous"));
        assert_no_foreign_jid(fx, askers[i]);

        /* §6.5: the occupants by occupant JID, never by real JID */
        capture_clear(&fx->cap);
        assert_int_equal(ask_disco(fx, askers[i], "i2", ROOM, NS_DISCO_ITEMS), 1);
        q = first_query(fx, NS_DISCO_ITEMS);
        for (xmpp_stanza_t *it = xmpp_stanza_get_children(q); it;
             it = xmpp_stanza_get_next(it)) {
            const char *jid = xmpp_stanza_get_attribute(it, "jid");
            assert_non_null(jid);
            assert_int_equal(strncmp(jid, ROOM "/", strlen(ROOM "/")), 0);
        }
        assert_no_foreign_jid(fx, askers[i]);

        /* the service's room list */
        capture_clear(&fx->cap);
        assert_int_equal(ask_disco(fx, askers[i], "i3", FX_DOMAIN, NS_DISCO_ITEMS), 1);
        assert_no_foreign_jid(fx, askers[i]);
    }
}

static void test_semianon_error_replies(void **state)
{
    fixture_t *fx = *state;
    room_of_three(fx);
    /* a nick in use: conflict, without its holder's JID */
    feed_error(fx, JOIN(ZED, "Bob"), "cancel", "conflict");
    assert_no_foreign_jid(fx, ZED);
    /* lists and the owner form: forbidden, and empty */
    feed_error(fx, ADMIN_GET(CAROL, "l1", "<item role='participant'/>"), "auth",
               "forbidden");
    assert_no_foreign_jid(fx, CAROL);
    feed_error(fx, ADMIN_GET(CAROL, "l2", "<item affiliation='owner'/>"), "auth",
               "forbidden");
    assert_no_foreign_jid(fx, CAROL);
    feed_error(fx, ADMIN_GET(ZED, "l3", "<item role='moderator'/>"), "auth", "forbidden");
    assert_no_foreign_jid(fx, ZED);
    feed_error(fx, OWNER_GET(CAROL, "o1"), "auth", "forbidden");
    assert_no_foreign_jid(fx, CAROL);
    /* refused role changes */
    feed_error(fx, ADMIN_SET(CAROL, "k1", ROLE_ITEM("Alice", "none")), "auth",
               "forbidden");
    assert_no_foreign_jid(fx, CAROL);
    feed_error(fx, ADMIN_SET(CAROL, "k2", ROLE_ITEM("Nobody", "none")), "cancel",
               "item-not-found");
    assert_no_foreign_jid(fx, CAROL);
    /* a non-occupant's message */
    feed_error(fx, GROUPCHAT(ZED, "g1", "hi"), "modify", "not-acceptable");
    assert_no_foreign_jid(fx, ZED);
    /* a banned user's entry */
    feed_ok(fx, ADMIN_SET(ALICE, "b1", AFF_ITEM("erin@localhost", "outcast")));
    feed_error(fx, JOIN(ERIN, "Erin"), "auth", "forbidden");
    assert_no_foreign_jid(fx, ERIN);
}

/* Erin declines an invitation from Bob, by his occupant JID. */
#define ERIN_DECLINES_TO_BOB                                                             \
    "<message id='d1' from='" ERIN "' to='" ROOM "'><x xmlns='" NS_MUC_USER              \
    "'><decline to='" ROOM "/Bob'><reason>busy</reason></decline></x></message>"

static void test_semianon_invitations(void **state)
{
    fixture_t *fx = *state;
    room_with_bob_and_carol(fx, CONFIG(ALICE, "c0", FIELD("allowinvites", "1")), NULL);

    /* §7.8.2: Bob (a participant) invites Erin; the room sends it on */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message id='i1' from='" BOB "' to='" ROOM
                                      "'><x xmlns='" NS_MUC_USER
                                      "'><invite to='erin@localhost'><reason>come"
                                      "</reason></invite></x></message>"),
                     1);
    xmpp_stanza_t *m = nth_to(fx, "erin@localhost", 0);
    assert_attr(m, "from", ROOM);
    xmpp_stanza_t *inv = xmpp_stanza_get_child_by_name(muc_x(m), "invite");
    assert_non_null(inv);
    const char *inviter = xmpp_stanza_get_attribute(inv, "from");
    assert_non_null(inviter);
    /* the occupant JID here (the spec also allows the real JID: the
     * inviter chose to reveal himself to the invitee) */
    assert_string_equal(inviter, ROOM "/Bob");
    /* nobody else hears of it */
    assert_int_equal(count_to(fx, ALICE) + count_to(fx, CAROL) + count_to(fx, BOB), 0);

    /* §7.8.2: Erin declines, answering the inviter as she was shown him */
    capture_clear(&fx->cap);
    fixture_feed(fx, ERIN_DECLINES_TO_BOB);
    /* Carol, a non-moderator, learns nothing */
    assert_int_equal(count_to(fx, CAROL), 0);
    assert_no_foreign_jid(fx, ERIN);
}

/* Was a core bug (invite.c decline(), fixed): in a semi-anonymous room
 * the invitation names the inviter by occupant JID (room@service/Bob), so
 * that is where the invitee's decline goes (§7.8.2: "certain implementations
 * might choose to base invitations on occupant JIDs [...] Thus the service
 * needs to handle both the invites and declines"). The notice was sent to
 * room@service/Bob verbatim, i.e. back into the service: the inviter never
 * got it. Now it goes to the occupant's real JID(s), from the room, with the
 * decliner's bare JID, and no other address of the service is accepted. */
static void test_decline_to_occupant_jid_reaches_inviter(void **state)
{
    fixture_t *fx = *state;
    room_with_bob_and_carol(fx, CONFIG(ALICE, "c0", FIELD("allowinvites", "1")), NULL);
    assert_int_equal(fixture_feed(fx, ERIN_DECLINES_TO_BOB), 1);
    assert_int_equal(count_to(fx, ROOM "/Bob"), 0); /* never to ourselves */
    xmpp_stanza_t *m = nth_to(fx, BOB, 0);
    assert_attr(m, "from", ROOM);
    xmpp_stanza_t *d = xmpp_stanza_get_child_by_name(muc_x(m), "decline");
    assert_non_null(d);
    assert_attr(d, "from", "erin@localhost");
    assert_child_text(d, "reason", "busy");
    assert_int_equal(count_to(fx, CAROL) + count_to(fx, ALICE), 0);

    /* any other address of ours: not an inviter, never sent to ourselves */
    static const char *const ours[] = {ROOM "/Nobody", ROOM, FX_DOMAIN,
                                       "other@" FX_DOMAIN "/Bob"};
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
        char xml[512];
        snprintf(xml, sizeof xml,
                 "<message id='d2' from='" ERIN "' to='" ROOM "'><x xmlns='" NS_MUC_USER
                 "'><decline to='%s'/></x></message>",
                 ours[i]);
        xmpp_stanza_t *e = feed_error(fx, xml, "cancel", "item-not-found");
        assert_attr(e, "to", ERIN);
    }
}

static void test_nonanonymous_room_shows_jids_to_all(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, CONFIG(ALICE, "c0", FIELD("whois", "anyone")));
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    /* §7.2.3/§7.2.4: 100 in the self-presence; everyone's JID shown */
    assert_true(has_status(presence_from_to(fx, ROOM "/Bob", BOB), 100));
    assert_presence(presence_from_to(fx, ROOM "/Alice", BOB), NULL, ROOM "/Alice", BOB,
                    "owner", "moderator", ALICE);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(CAROL, "Carol")), 6);
    assert_presence(presence_from_to(fx, ROOM "/Carol", BOB), NULL, ROOM "/Carol", BOB,
                    "none", "participant", CAROL);
    assert_shown_to(fx, CAROL, "bob@localhost");
    assert_shown_to(fx, CAROL, "alice@localhost");
    /* a PM still comes from the occupant JID (§7.5) */
    capture_clear(&fx->cap);
    fixture_feed(fx, "<message type='chat' id='p1' from='" BOB "' to='" ROOM
                     "/Carol'><body>x</body></message>");
    assert_attr(nth_to(fx, CAROL, 0), "from", ROOM "/Bob");

    /* §10.2: becoming semi-anonymous is announced with 173, JIDs hidden */
    capture_clear(&fx->cap);
    fixture_feed(fx, CONFIG(ALICE, "c1", FIELD("whois", "moderators")));
    xmpp_stanza_t *notice = nth_to(fx, CAROL, 0);
    assert_true(has_status(notice, 104));
    assert_true(has_status(notice, 173));
    assert_false(has_status(notice, 172));
    feed_ok(fx, JOIN(DAVE, "Dave"));
    assert_no_foreign_jid(fx, CAROL);
    assert_no_foreign_jid(fx, DAVE);
    assert_false(has_status(presence_from_to(fx, ROOM "/Dave", DAVE), 100));

    /* and 172 when it becomes non-anonymous again */
    capture_clear(&fx->cap);
    fixture_feed(fx, CONFIG(ALICE, "c2", FIELD("whois", "anyone")));
    notice = nth_to(fx, DAVE, 0);
    assert_true(has_status(notice, 104));
    assert_true(has_status(notice, 172));
    feed_ok(fx, JOIN(ERIN, "Erin"));
    assert_shown_to(fx, DAVE, "erin@localhost");
    assert_shown_to(fx, ERIN, "carol@localhost");
    assert_true(has_status(presence_from_to(fx, ROOM "/Erin", ERIN), 100));
}

/* ======================================================================
 * 2. Room passwords
 * ====================================================================== */

#define PASSWORD_CONFIG(id)                                                              \
    CONFIG(ALICE, id, FIELD("passwordprotectedroom", "1") FIELD("roomsecret", SECRET))
#define JOIN_PW(from, nick, pw)                                                          \
    "<presence from='" from "' to='" ROOM "/" nick "'><x xmlns='" NS_MUC                 \
    "'><password>" pw "</password></x></presence>"

/* Fails if any captured stanza to anyone but `owner` shows the secret. */
static void assert_secret_kept(fixture_t *fx, const char *owner)
{
    for (size_t i = 0; i < fx->cap.count; i++) {
        const char *to = xmpp_stanza_get_to(fx->cap.stanzas[i]);
        if (owner && to && strcmp(to, owner) == 0) continue;
        char *text = text_of(fx, fx->cap.stanzas[i]);
        if (strstr(text, SECRET)) {
            print_error("the password shown to %s:\n%s\n", to ? to : "?", text);
            xmpp_free(fx->ctx, text);
            fail();
        }
        xmpp_free(fx->ctx, text);
    }
}

static void test_password_not_in_disco(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    feed_ok(fx, JOIN_PW(BOB, "Bob", SECRET));
    static const char *const askers[] = {BOB, ZED, ALICE};
    for (size_t i = 0; i < 3; i++) {
        capture_clear(&fx->cap);
        assert_int_equal(ask_disco(fx, askers[i], "i1", ROOM, NS_DISCO_INFO), 1);
        xmpp_stanza_t *q = first_query(fx, NS_DISCO_INFO);
        assert_true(has_feature(q, "muc_passwordprotected"));
        /* the muc#roominfo form is there, without the secret */
        assert_non_null(xmpp_stanza_get_child_by_name_and_ns(q, "x", NS_DATA));
        assert_secret_kept(fx, NULL);
        capture_clear(&fx->cap);
        ask_disco(fx, askers[i], "i2", ROOM, NS_DISCO_ITEMS);
        ask_disco(fx, askers[i], "i3", FX_DOMAIN, NS_DISCO_ITEMS);
        assert_secret_kept(fx, NULL);
    }
}

static void test_password_config_form_owner_only(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    feed_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("dave@localhost", "admin")));
    feed_ok(fx, ADMIN_SET(ALICE, "a2", AFF_ITEM("carol@localhost", "member")));
    feed_ok(fx, JOIN_PW(BOB, "Bob", SECRET));
    feed_ok(fx, JOIN_PW(DAVE, "Dave", SECRET));
    /* §10.2: participants, members, admins and strangers: forbidden */
    static const char *const others[] = {BOB, CAROL, DAVE, ZED};
    for (size_t i = 0; i < 4; i++) {
        char xml[512];
        snprintf(xml, sizeof xml, OWNER_GET("%s", "o1"), others[i]);
        feed_error(fx, xml, "auth", "forbidden");
        assert_secret_kept(fx, NULL);
    }
    /* the owner (the positive control) sees it, in a text-private field */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, OWNER_GET(ALICE, "o2")), 1);
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(
        xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0), "query",
                                             NS_MUC_OWNER),
        "x", NS_DATA);
    assert_non_null(x);
    xmpp_stanza_t *f = form_field(x, "muc#roomconfig_roomsecret");
    assert_attr(f, "type", "text-private");
    assert_child_text(f, "value", SECRET);

    /* a non-owner may not change it either: the old one still works */
    feed_error(fx, CONFIG(DAVE, "c1", FIELD("roomsecret", "hijack")), "auth",
               "forbidden");
    assert_string_equal(room_password(the_room(fx)), SECRET);
    feed_error(fx, JOIN_PW(CAROL, "Carol", "hijack"), "auth", "not-authorized");
}

static void test_password_not_in_join_errors(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    /* §7.2.6: none, or a wrong one: not-authorized, no hint of the secret */
    xmpp_stanza_t *e = feed_error(fx, JOIN(BOB, "Bob"), "auth", "not-authorized");
    assert_attr(e, "to", BOB);
    assert_secret_kept(fx, NULL);
    feed_error(fx, JOIN_PW(BOB, "Bob", "s3cr3t"), "auth", "not-authorized");
    assert_secret_kept(fx, NULL);
    feed_error(fx, JOIN_PW(BOB, "Bob", SECRET "x"), "auth", "not-authorized");
    assert_secret_kept(fx, NULL);
    assert_null(room_occupant_by_nick(the_room(fx), "Bob"));
    assert_int_equal(count_to(fx, ALICE), 0);
}

static void test_password_not_echoed_in_presences(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    /* Bob's join carries the secret: nobody gets it back, not even Bob */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN_PW(BOB, "Bob", SECRET)), 4);
    assert_secret_kept(fx, NULL);
    feed_ok(fx, JOIN_PW(CAROL, "Carol", SECRET));
    assert_secret_kept(fx, NULL);
    /* a client re-joining (a presence with <x/> again) */
    feed_ok(fx, JOIN_PW(BOB, "Bob", SECRET));
    assert_secret_kept(fx, NULL);
    /* the secret nested deeper in the muc <x/> */
    feed_ok(fx, "<presence from='" CAROL "' to='" ROOM
                "/Carol'><show>dnd</show><x xmlns='" NS_MUC "'><password>" SECRET
                "</password><history maxstanzas='0'/></x></presence>");
    assert_secret_kept(fx, NULL);
    /* a nick change */
    feed_ok(fx, "<presence from='" BOB "' to='" ROOM "/Robert'><x xmlns='" NS_MUC
                "'><password>" SECRET "</password></x></presence>");
    assert_secret_kept(fx, NULL);
}

static void test_password_not_in_admin_lists_or_notices(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    feed_ok(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("dave@localhost", "admin")));
    feed_ok(fx, JOIN_PW(DAVE, "Dave", SECRET));
    feed_ok(fx, JOIN_PW(BOB, "Bob", SECRET));
    static const char *const lists[] = {
        ADMIN_GET(DAVE, "l1", "<item affiliation='owner'/>"),
        ADMIN_GET(DAVE, "l2", "<item affiliation='admin'/>"),
        ADMIN_GET(DAVE, "l3", "<item affiliation='member'/>"),
        ADMIN_GET(DAVE, "l4", "<item affiliation='outcast'/>"),
        ADMIN_GET(DAVE, "l5", "<item role='moderator'/>"),
        ADMIN_GET(DAVE, "l6", "<item role='participant'/>"),
        ADMIN_GET(ALICE, "l7", "<item affiliation='owner'/>"),
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        capture_clear(&fx->cap);
        assert_int_equal(fixture_feed(fx, lists[i]), 1);
        assert_attr(capture_at(&fx->cap, 0), "type", "result");
        assert_secret_kept(fx, NULL);
    }
    /* a configuration change while occupied: the 104 notice and the result */
    capture_clear(&fx->cap);
    assert_true(fixture_feed(fx, CONFIG(ALICE, "c1",
                                        FIELD("roomname", "Vault")
                                            FIELD("roomsecret", SECRET))) > 1);
    assert_secret_kept(fx, NULL);
}

/* §7.8.2: an invitation to a password-protected room SHOULD carry the
 * password - to the invitee only. */
static void test_password_in_invitation_to_invitee_only(void **state)
{
    fixture_t *fx = *state;
    create_room(fx, PASSWORD_CONFIG("c0"));
    feed_ok(fx, JOIN_PW(BOB, "Bob", SECRET));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<message id='i1' from='" ALICE "' to='" ROOM
                                      "'><x xmlns='" NS_MUC_USER
                                      "'><invite to='erin@localhost'/></x></message>"),
                     1);
    xmpp_stanza_t *m = nth_to(fx, "erin@localhost", 0);
    assert_child_text(muc_x(m), "password", SECRET);
    assert_secret_kept(fx, "erin@localhost");
    assert_int_equal(count_to(fx, BOB), 0);
}

/* ======================================================================
 * 3. Privilege escalation through mixed multi-item muc#admin sets
 * ====================================================================== */

/* Feeds a set that must be refused whole: exactly one stanza (the error, to
 * the sender), so no presence went out for any of its items. */
static void refused_set(fixture_t *fx, const char *xml, const char *from,
                        const char *type, const char *cond)
{
    capture_clear(&fx->cap);
    size_t sent = fixture_feed(fx, xml);
    if (sent != 1) {
        for (size_t i = 0; i < fx->cap.count; i++) {
            char *text = text_of(fx, fx->cap.stanzas[i]);
            print_error("sent: %s\n", text);
            xmpp_free(fx->ctx, text);
        }
        fail_msg("a refused set sent %zu stanzas (expected only the error)", sent);
    }
    xmpp_stanza_t *e = capture_at(&fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "iq");
    assert_attr(e, "to", from);
    assert_stanza_error(e, type, cond);
    assert_int_equal(presences(fx), 0);
}

/* refused_set for each of the sets (NULL-terminated), all from `from` and
 * refused with the same error. */
static void refused_sets(fixture_t *fx, const char *from, const char *type,
                         const char *cond, const char *const *sets)
{
    for (; *sets; sets++)
        refused_set(fx, *sets, from, type, cond);
}

/* The JIDs of an affiliation list, as Alice reads it, space separated. */
static void list_of(fixture_t *fx, const char *aff, char *out, size_t n)
{
    char xml[512];
    snprintf(xml, sizeof xml, ADMIN_GET(ALICE, "list", "<item affiliation='%s'/>"), aff);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(capture_at(&fx->cap, 0),
                                                            "query", NS_MUC_ADMIN);
    assert_non_null(q);
    out[0] = '\0';
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        const char *jid = xmpp_stanza_get_attribute(c, "jid");
        if (!jid) continue;
        if (out[0]) strncat(out, " ", n - strlen(out) - 1);
        strncat(out, jid, n - strlen(out) - 1);
    }
    capture_clear(&fx->cap);
}

/* Asserts the affiliations in room@ of bare JIDs: pairs of a bare JID and
 * an affiliation_t, up to a NULL. */
static void assert_affiliations(fixture_t *fx, ...)
{
    room_t *room = the_room(fx);
    va_list ap;
    va_start(ap, fx);
    for (const char *jid; (jid = va_arg(ap, const char *)) != NULL;) {
        int aff = va_arg(ap, int);
        if ((int)room_affiliation(room, jid) != aff) {
            va_end(ap);
            fail_msg("%s: affiliation %d, expected %d", jid,
                     (int)room_affiliation(room, jid), aff);
        }
    }
    va_end(ap);
}

static void assert_list(fixture_t *fx, const char *aff, const char *expected)
{
    char got[1024];
    list_of(fx, aff, got, sizeof got);
    assert_string_equal(got, expected);
}

/* room_of_three plus Dave, made an admin first; capture cleared. */
static void room_with_admin(fixture_t *fx)
{
    room_of_three(fx);
    feed_ok(fx, ADMIN_SET(ALICE, "a0", AFF_ITEM("dave@localhost", "admin")));
    feed_ok(fx, JOIN(DAVE, "Dave"));
    capture_clear(&fx->cap);
}

static void test_escalation_admin_member_and_owner(void **state)
{
    fixture_t *fx = *state;
    room_with_admin(fx);
    refused_sets(fx, DAVE, "auth", "forbidden",
                 (const char *const[]){
                     /* §9/§10.3: an admin makes members, but never owners -
                      * in either order */
                     ADMIN_SET(DAVE, "x1", AFFS("bob", "member", "carol", "owner")),
                     ADMIN_SET(DAVE, "x2", AFFS("carol", "owner", "bob", "member")),
                     /* nor himself */
                     ADMIN_SET(DAVE, "x3", AFFS("bob", "member", "dave", "owner")),
                     /* nor admins (§10.5 is the owner's) */
                     ADMIN_SET(DAVE, "x4", AFFS("erin", "member", "carol", "admin")),
                     NULL});
    assert_affiliations(fx, "bob@localhost", AFF_NONE, "carol@localhost", AFF_NONE,
                        "dave@localhost", AFF_ADMIN, "erin@localhost", AFF_NONE, NULL);
    assert_list(fx, "member", "");
    assert_list(fx, "owner", "alice@localhost");
    assert_list(fx, "admin", "dave@localhost");
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);

    /* the positive control: the allowed item alone goes through */
    feed_ok(fx, ADMIN_SET(DAVE, "x5", AFF_ITEM("bob@localhost", "member")));
    assert_int_equal(presences(fx), 4);
    assert_list(fx, "member", "bob@localhost");
}

static void test_escalation_admin_bans_owner_in_set(void **state)
{
    fixture_t *fx = *state;
    room_with_admin(fx);
    refused_sets(fx, DAVE, "cancel", "not-allowed",
                 (const char *const[]){
                     /* §9.1: an admin cannot ban an owner: not-allowed, Bob
                      * stays too */
                     ADMIN_SET(DAVE, "x1", AFFS("bob", "outcast", "alice", "outcast")),
                     /* §8.2: nor kick one */
                     ADMIN_SET(DAVE, "x2", ROLES("Carol", "none", "Alice", "none")),
                     /* nor demote one */
                     ADMIN_SET(DAVE, "x3", AFFS("erin", "member", "alice", "member")),
                     NULL});
    assert_affiliations(fx, "bob@localhost", AFF_NONE, "alice@localhost", AFF_OWNER,
                        NULL);
    assert_int_equal(room_occupant_count(the_room(fx)), 4);
    assert_list(fx, "outcast", "");
    assert_list(fx, "member", "");
}

static void test_escalation_moderator_voice_and_kick_admin(void **state)
{
    fixture_t *fx = *state;
    room_with_bob_and_carol(fx, CONFIG(ALICE, "c0", FIELD("moderatedroom", "1")),
                            ADMIN_SET(ALICE, "a0", AFF_ITEM("dave@localhost", "admin")));
    feed_ok(fx, JOIN(DAVE, "Dave"));
    feed_ok(fx, JOIN(ERIN, "Erin"));
    feed_ok(fx, ADMIN_SET(ALICE, "m0", ROLE_ITEM("Bob", "moderator")));
    assert_int_equal(role_of(fx, "Carol"), ROLE_VISITOR);

    refused_sets(fx, BOB, "cancel", "not-allowed",
                 (const char *const[]){
                     /* §8.2: a participant moderator may voice Carol but not
                      * kick an admin: the set is refused whole with
                      * not-allowed */
                     ADMIN_SET(BOB, "x1", ROLES("Carol", "participant", "Dave", "none")),
                     ADMIN_SET(BOB, "x2", ROLES("Dave", "none", "Carol", "participant")),
                     /* nor the owner */
                     ADMIN_SET(BOB, "x3", ROLES("Carol", "participant", "Alice", "none")),
                     NULL});
    refused_sets(
        fx, BOB, "auth", "forbidden",
        (const char *const[]){
            /* §8.5: granting moderator needs an admin: forbidden */
            ADMIN_SET(BOB, "x4", ROLES("Carol", "participant", "Erin", "moderator")),
            /* nor affiliations at all */
            ADMIN_SET(BOB, "x5",
                      ROLE_ITEM("Carol", "participant")
                          AFF_ITEM("erin@localhost", "member")),
            NULL});
    assert_int_equal(role_of(fx, "Carol"), ROLE_VISITOR);
    assert_int_equal(role_of(fx, "Erin"), ROLE_VISITOR);
    assert_int_equal(role_of(fx, "Dave"), ROLE_MODERATOR);
    assert_int_equal(room_occupant_count(the_room(fx)), 5);
    assert_int_equal(room_affiliation(the_room(fx), "erin@localhost"), AFF_NONE);

    /* the positive control */
    feed_ok(fx, ADMIN_SET(BOB, "x6", ROLE_ITEM("Carol", "participant")));
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);
}

static void test_escalation_by_participant_and_outsider(void **state)
{
    fixture_t *fx = *state;
    room_with_bob_and_carol(
        fx, CONFIG(ALICE, "c0", FIELD("moderatedroom", "1")),
        ADMIN_SET(ALICE, "a0", AFF_ITEM("carol@localhost", "member")));
    assert_int_equal(role_of(fx, "Bob"), ROLE_VISITOR);
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);
    refused_sets(fx, CAROL, "auth", "forbidden",
                 (const char *const[]){
                     /* §5.1: a participant (even a member) changes no role... */
                     ADMIN_SET(CAROL, "x1", ROLE_ITEM("Bob", "participant")),
                     ADMIN_SET(CAROL, "x2", ROLE_ITEM("Carol", "moderator")),
                     ADMIN_SET(CAROL, "x3", ROLES("Bob", "participant", "Alice", "none")),
                     /* ... and no affiliation */
                     ADMIN_SET(CAROL, "x4", AFFS("bob", "member", "carol", "owner")),
                     NULL});
    /* a visitor neither */
    refused_set(fx, ADMIN_SET(BOB, "x5", ROLE_ITEM("Bob", "participant")), BOB, "auth",
                "forbidden");
    /* nor someone outside the room */
    refused_set(
        fx,
        ADMIN_SET(ZED, "x6", ROLE_ITEM("Bob", "none") AFF_ITEM("zed@localhost", "owner")),
        ZED, "auth", "forbidden");
    assert_int_equal(role_of(fx, "Bob"), ROLE_VISITOR);
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);
    assert_affiliations(fx, "carol@localhost", AFF_MEMBER, "bob@localhost", AFF_NONE,
                        "zed@localhost", AFF_NONE, NULL);
    assert_int_equal(room_occupant_count(the_room(fx)), 3);
}

static void test_escalation_last_owner_in_set(void **state)
{
    fixture_t *fx = *state;
    room_with_admin(fx);
    refused_sets(
        fx, ALICE, "cancel", "conflict",
        (const char *const[]){
            /* §10.6/§10.7: the set would leave no owner: conflict,
             * Bob no member */
            ADMIN_SET(ALICE, "x1", AFFS("bob", "member", "alice", "admin")),
            ADMIN_SET(ALICE, "x2",
                      AFF_ITEM("alice@localhost", "none") ROLE_ITEM("Carol", "visitor")),
            /* banning herself, with an allowed item next to it */
            ADMIN_SET(ALICE, "x3", AFFS("alice", "outcast", "erin", "member")), NULL});
    assert_affiliations(fx, "alice@localhost", AFF_OWNER, "bob@localhost", AFF_NONE,
                        NULL);
    assert_int_equal(role_of(fx, "Carol"), ROLE_PARTICIPANT);
    assert_list(fx, "owner", "alice@localhost");
    assert_list(fx, "member", "");

    /* the positive control: a new owner in the same set lets her step down */
    feed_ok(fx, ADMIN_SET(ALICE, "x4", AFFS("bob", "owner", "alice", "admin")));
    assert_affiliations(fx, "alice@localhost", AFF_ADMIN, "bob@localhost", AFF_OWNER,
                        NULL);
}

/* ======================================================================
 * 4. The envelope: from and to
 * ====================================================================== */

static char logbuf[16384];

/* Feeds xml with stderr captured into logbuf; returns the stanzas sent. */
static size_t feed_logged(fixture_t *fx, const char *xml)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    size_t before = fx->cap.count;
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(fx->ctx, xml);
    if (st) {
        service_handle(fx->svc, st, &fx->cap.sink);
        xmpp_stanza_release(st);
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t len = fread(logbuf, 1, sizeof logbuf - 1, tmp);
    logbuf[len] = '\0';
    fclose(tmp);
    assert_non_null(st);
    return fx->cap.count - before;
}

/* A string of n copies of c (to free). */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Alice's room with Bob; nothing else changes while the refused stanzas
 * come in: no occupant, no room, nothing sent to anyone present. */
static void assert_untouched(fixture_t *fx)
{
    room_t *room = the_room(fx);
    assert_int_equal(room_occupant_count(room), 2);
    assert_null(room_occupant_by_nick(room, "Evil"));
    assert_int_equal(count_to(fx, ALICE) + count_to(fx, BOB), 0);
    assert_int_equal(room_affiliation(room, "alice@localhost"), AFF_OWNER);
    assert_null(service_room(fx->svc, "evil"));
    assert_int_equal(room->history_count, 0);
}

/* The stanzas a bad 'from' is tried with: entering, talking, changing an
 * affiliation, a private message, creating a room. %s is the from part
 * (`from='...'` or nothing). */
static const char *const envelopes[] = {
    "<presence %s to='" ROOM "/Evil'><x xmlns='" NS_MUC "'/></presence>",
    "<message type='groupchat' id='m' %s to='" ROOM "'><body>x</body></message>",
    "<message type='chat' id='m' %s to='" ROOM "/Bob'><body>x</body></message>",
    "<iq type='set' id='q' %s to='" ROOM "'><query xmlns='" NS_MUC_ADMIN
    "'><item jid='bob@localhost' affiliation='outcast'/></query></iq>",
    "<presence %s to='evil@" FX_DOMAIN "/Evil'><x xmlns='" NS_MUC "'/></presence>",
};
#define NENVELOPES (sizeof envelopes / sizeof envelopes[0])

/* Feeds every envelope with `from_attr`; each must be dropped with a log
 * line, nothing sent and nothing changed. */
static void assert_dropped_everywhere(fixture_t *fx, const char *from_attr)
{
    size_t len = strlen(from_attr) + 4096;
    char *xml = malloc(len);
    assert_non_null(xml);
    for (size_t i = 0; i < NENVELOPES; i++) {
        snprintf(xml, len, envelopes[i], from_attr);
        capture_clear(&fx->cap);
        size_t sent = feed_logged(fx, xml);
        if (sent != 0) fail_msg("answered (%zu stanzas): %.200s", sent, xml);
        if (!strstr(logbuf, "dropped"))
            fail_msg("dropped without a log line: %.200s\nlog: %s", xml, logbuf);
        assert_untouched(fx);
    }
    free(xml);
}

static void room_with_bob(fixture_t *fx)
{
    create_room(fx, CONFIG(ALICE, "c0", ""));
    feed_ok(fx, JOIN(BOB, "Bob"));
    capture_clear(&fx->cap);
}

static void test_envelope_bad_from_dropped_and_logged(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    static const char *const bad[] = {
        "",                                 /* no from */
        "from=''",                          /* empty */
        "from='bad user@localhost/x'",      /* space in the localpart */
        "from='alice@@localhost/a'",        /* two @ */
        "from='&lt;alice&gt;@localhost/a'", /* < > in the localpart */
        "from='al&quot;ice@localhost/a'",   /* " in the localpart */
        "from='al&amp;ice@localhost/a'",    /* & in the localpart */
        "from='ali:ce@localhost/a'",        /* : in the localpart */
        "from='ali&#x7f;ce@localhost/a'",   /* DEL */
        "from='alice@local host/a'",        /* space in the domain */
        "from='@localhost/a'",              /* empty localpart */
        "from='alice@/a'",                  /* empty domain */
        "from='/a'",                        /* no domain at all */
        "from='alice@localhost/'",          /* empty resource */
        "from='alice@localhost/a&#x9;b'",   /* a control character */
        "from='alice@localhost\\x/a'",      /* \ in the domain */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_dropped_everywhere(fx, bad[i]);
}

/* Writes into xml an admin set making bob@localhost `aff`, with the from
 * attribute `from_attr` (from='...'). */
static void bob_affiliation_set(char *xml, const char *from_attr, const char *aff)
{
    sprintf(xml,
            "<iq type='set' id='q' %s to='" ROOM "'><query xmlns='" NS_MUC_ADMIN
            "'><item jid='bob@localhost' affiliation='%s'/></query></iq>",
            from_attr, aff);
}

static void test_envelope_too_long_from_dropped(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    /* RFC 7622 §3.1: each part at most 1023 bytes */
    char *part = repeat('a', 1024);
    char *attr = malloc(4 * 1024 + 64);
    assert_non_null(attr);
    sprintf(attr, "from='%s@localhost/r'", part);
    assert_dropped_everywhere(fx, attr);
    sprintf(attr, "from='alice@localhost/%s'", part);
    assert_dropped_everywhere(fx, attr);
    sprintf(attr, "from='alice@%s/r'", part);
    assert_dropped_everywhere(fx, attr);
    /* the longest valid one is someone else: not Alice, nor truncated to her */
    part[1023] = '\0';
    sprintf(attr, "from='alice@localhost/%s'", part);
    char *xml = malloc(strlen(attr) + 512);
    assert_non_null(xml);
    bob_affiliation_set(xml, attr, "outcast");
    /* a resource of Alice's is Alice (affiliations are by bare JID) */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 3);
    assert_int_equal(room_affiliation(the_room(fx), "bob@localhost"), AFF_OUTCAST);
    part[1022] = '\0';
    sprintf(attr, "from='%s@localhost/r'", part);
    bob_affiliation_set(xml, attr, "none");
    /* but a long localpart is a stranger */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "auth", "forbidden");
    assert_int_equal(room_affiliation(the_room(fx), "bob@localhost"), AFF_OUTCAST);
    free(xml);
    free(attr);
    free(part);
}

static void test_envelope_malformed_to_refused(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    char *nick = repeat('n', 1024);
    char *long_nick = malloc(2048);
    assert_non_null(long_nick);
    sprintf(long_nick, ROOM "/%s", nick);
    const char *const bad[] = {
        "room@" FX_DOMAIN "/",      /* empty nick */
        "ro om@" FX_DOMAIN "/Evil", /* space in the room */
        "@" FX_DOMAIN "/Evil",      /* empty room */
        "r&lt;m@" FX_DOMAIN "/Evil",
        "room@@" FX_DOMAIN "/Evil",
        "room@" FX_DOMAIN "/E&#x9;vil", /* a control character in the nick */
        long_nick,                      /* a nick over 1023 bytes */
    };
    char xml[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(xml, sizeof xml,
                 "<presence from='" CAROL "' to='%s'><x xmlns='" NS_MUC "'/></presence>",
                 bad[i]);
        xmpp_stanza_t *e = feed_error(fx, xml, "modify", "jid-malformed");
        assert_string_equal(xmpp_stanza_get_name(e), "presence");
        assert_attr(e, "to", CAROL);
        assert_untouched(fx);
        assert_int_equal(room_occupant_count(the_room(fx)), 2);
        /* an IQ too */
        snprintf(xml, sizeof xml,
                 "<iq type='get' id='t' from='" CAROL
                 "' to='%s'><query xmlns='" NS_DISCO_INFO "'/></iq>",
                 bad[i]);
        e = feed_error(fx, xml, "modify", "jid-malformed");
        assert_attr(e, "id", "t");
        assert_attr(e, "to", CAROL);
    }
    /* a nick that is a valid JID part but not a valid nick (§7.2.9, too
     * long for the service): refused too, Carol not in */
    feed_error(fx, JOIN(CAROL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "modify",
               "not-acceptable");
    feed_error(fx, JOIN(CAROL, "   "), "modify", "not-acceptable");
    assert_untouched(fx);
    /* a presence to the bare room: no nick, jid-malformed (§7.2.1) */
    xmpp_stanza_t *e = feed_error(
        fx, "<presence from='" CAROL "' to='" ROOM "'><x xmlns='" NS_MUC "'/></presence>",
        "modify", "jid-malformed");
    assert_attr(e, "to", CAROL);
    assert_untouched(fx);
    free(long_nick);
    free(nick);
}

/* CORE BUG (router.c envelope_check): the jid-malformed reply to a stanza
 * with a malformed 'to' comes from that same malformed address (stanza_reply
 * swaps from/to): the service would send a stanza from an address that is
 * not a valid JID of its domain, which the server may take for an invalid
 * 'from' of the component (Prosody closes the component stream on it when
 * it validates 'from'). Proposed fix (router.c, envelope_check): after
 * building the reply for a malformed 'to', set its from to the service
 * domain:  xmpp_stanza_t *r = muc_err_reply(...);
 *          if (r) xmpp_stanza_set_from(r, req->svc->domain); out_send(...). */
static void test_regression_malformed_to_reply_from_service(void **state)
{
    fixture_t *fx = *state;
    static const char *const bad[] = {
        "ro om@" FX_DOMAIN "/Evil",
        "room@" FX_DOMAIN "/",
        "a@b@" FX_DOMAIN,
    };
    char xml[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(xml, sizeof xml,
                 "<iq type='get' id='t' from='" CAROL
                 "' to='%s'><query xmlns='" NS_DISCO_INFO "'/></iq>",
                 bad[i]);
        xmpp_stanza_t *e = feed_error(fx, xml, "modify", "jid-malformed");
        jid_t j;
        const char *from = xmpp_stanza_get_from(e);
        if (!from || jid_parse(from, &j) != 0 || !jid_domain_eq(j.domain, FX_DOMAIN))
            fail_msg("jid-malformed reply sent from '%s', not a JID of " FX_DOMAIN,
                     from ? from : "(none)");
    }
}

static void test_envelope_domain_from_is_nobody_else(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    /* a server (bare domain) is its own entity: not alice@localhost, whose
     * domain it is - no owner rights */
    feed_error(fx, OWNER_GET("localhost", "o1"), "auth", "forbidden");
    feed_error(fx, ADMIN_SET("localhost", "o2", AFF_ITEM("bob@localhost", "outcast")),
               "auth", "forbidden");
    feed_error(fx, GROUPCHAT("localhost", "g1", "hi"), "modify", "not-acceptable");
    /* nor is a bare JID one of the user's sessions: Alice's bare JID is no
     * occupant (her session is alice@localhost/a) */
    feed_error(fx, GROUPCHAT("alice@localhost", "g2", "hi"), "modify", "not-acceptable");
    feed_error(fx,
               "<message type='chat' id='p' from='alice@localhost' to='" ROOM
               "/Bob'><body>x</body></message>",
               "modify", "not-acceptable");
    /* and other resources of an occupant are not the occupant either */
    feed_error(fx, GROUPCHAT("bob@localhost/other", "g3", "hi"), "modify",
               "not-acceptable");
    assert_int_equal(the_room(fx)->history_count, 0);
    assert_int_equal(room_affiliation(the_room(fx), "bob@localhost"), AFF_NONE);
    /* case and a trailing dot are normalized (RFC 7622): still Bob */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, GROUPCHAT("BOB@LocalHost./b", "g4", "hi")), 2);
    assert_attr(nth_to(fx, ALICE, 0), "from", ROOM "/Bob");
}

/* CORE BUG (router.c envelope_check): a stanza whose 'from' is in the
 * service's own domain - the room itself, one of its occupant JIDs, the
 * service, another room - can only be the service's own output coming back
 * (or a forgery): nobody has a session there. It is processed like any
 * user's: a presence from room@service/Alice enters the room as a new
 * occupant "Evil" whose real JID is an occupant JID, so every broadcast to
 * it loops back into the service (and a room is even created for
 * from=room@service). Expected: dropped with a log line (an error reply
 * would go back to ourselves). Proposed fix (router.c, envelope_check,
 * after the 'to' checks):
 *     if (jid_domain_eq(req->from.domain, req->svc->domain)) {
 *         LOG_W("router", "dropped <%s/> from our own domain '%s'",
 *               xmpp_stanza_get_name(req->st), from);
 *         return -1;
 *     }
 * (keeping errors and results from our domain droppable as well: nothing we
 * send expects an answer from ourselves). */
static void test_regression_from_own_domain_dropped(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    static const char *const own[] = {
        "from='" ROOM "'",
        "from='" ROOM "/Alice'",
        "from='" ROOM "/Bob'",
        "from='" FX_DOMAIN "'",
        "from='other@" FX_DOMAIN "/x'",
        "from='ROOM@CHAT.localhost/Alice'",
    };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        assert_dropped_everywhere(fx, own[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)
        /* 1. real JIDs */
        T(test_semianon_join_burst_and_broadcast),
        T(test_semianon_nick_change_and_leave),
        T(test_semianon_kick_and_ban_broadcasts),
        T(test_semianon_role_and_affiliation_broadcasts),
        T(test_semianon_history_and_subject),
        T(test_semianon_private_messages),
        T(test_semianon_iq_between_occupants),
        T(test_semianon_disco),
        T(test_semianon_error_replies),
        T(test_semianon_invitations),
        T(test_decline_to_occupant_jid_reaches_inviter),
        T(test_nonanonymous_room_shows_jids_to_all),
        /* 2. passwords */
        T(test_password_not_in_disco),
        T(test_password_config_form_owner_only),
        T(test_password_not_in_join_errors),
        T(test_password_not_echoed_in_presences),
        T(test_password_not_in_admin_lists_or_notices),
        T(test_password_in_invitation_to_invitee_only),
        /* 3. privilege escalation */
        T(test_escalation_admin_member_and_owner),
        T(test_escalation_admin_bans_owner_in_set),
        T(test_escalation_moderator_voice_and_kick_admin),
        T(test_escalation_by_participant_and_outsider),
        T(test_escalation_last_owner_in_set),
        /* 4. the envelope */
        T(test_envelope_bad_from_dropped_and_logged),
        T(test_envelope_too_long_from_dropped),
        T(test_envelope_malformed_to_refused),
        T(test_envelope_domain_from_is_nobody_else),
        /* known core bugs (fail until fixed) */
        T(test_regression_malformed_to_reply_from_service),
        T(test_regression_from_own_domain_dropped),
#undef T
    };
    return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
