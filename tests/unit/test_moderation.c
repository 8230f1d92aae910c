/* test_moderation.c - moderated retraction (XEP-0425, both request forms)
 * and self-retraction (XEP-0424) on the archive and the history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/archive.h"
#include "muc/muc.h"
#include "muc/stanza.h"
#include "storage/storage.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

#define MOD0 "urn:xmpp:message-moderate:0"
#define MOD1 "urn:xmpp:message-moderate:1"
#define RET0 "urn:xmpp:message-retract:0"
#define RET1 "urn:xmpp:message-retract:1"
#define FAST "urn:xmpp:fasten:0"

static time_t fake_time = 1700000000;
static time_t fake_now(void)
{
    return fake_time;
}

/* The cmocka prestate of every test. */
static sfx_config_t config = {.opts = {.max_nick_length = 20, .history_length = 20},
                              .now = fake_now};

static size_t moderate(sfx_t *p, const char *from, int version, const char *sid)
{
    char xml[1024];
    capture_clear(&p->fx->cap);
    if (version == 1)
        snprintf(xml, sizeof xml,
                 "<iq type='set' id='r1' from='%s' to='" ROOM "'><moderate xmlns='" MOD1
                 "' id='%s'><retract xmlns='" RET1 "'/><reason>spam</reason></moderate>"
                 "</iq>",
                 from, sid);
    else
        snprintf(xml, sizeof xml,
                 "<iq type='set' id='r1' from='%s' to='" ROOM "'><apply-to xmlns='" FAST
                 "' id='%s'><moderate xmlns='" MOD0 "'><retract xmlns='" RET0
                 "'/><reason>spam</reason></moderate></apply-to></iq>",
                 from, sid);
    return fixture_feed(p->fx, xml);
}

/* The archived message with stanza-id sid as a MAM query returns it (a
 * clone, or NULL when the query returns none). */
static xmpp_stanza_t *archived(sfx_t *p, const char *sid)
{
    char xml[1024];
    capture_clear(&p->fx->cap);
    snprintf(xml, sizeof xml,
             "<iq type='set' id='q1' from='" BOB "' to='" ROOM "'><query xmlns='" NS_MAM
             "'><x xmlns='" NS_DATA "' type='submit'><field var='FORM_TYPE' "
             "type='hidden'><value>" NS_MAM "</value></field><field var='ids'><value>%s"
             "</value></field></x></query></iq>",
             sid);
    size_t n = fixture_feed(p->fx, xml);
    if (n != 2) return NULL;
    xmpp_stanza_t *res = xmpp_stanza_get_child_by_name_and_ns(capture_at(&p->fx->cap, 0),
                                                              "result", NS_MAM);
    xmpp_stanza_t *fw = xmpp_stanza_get_child_by_name(res, "forwarded");
    return xmpp_stanza_clone(xmpp_stanza_get_child_by_name(fw, "message"));
}

static void assert_tombstone(sfx_t *p, const char *sid, bool moderated)
{
    xmpp_stanza_t *m = archived(p, sid);
    assert_non_null(m);
    assert_string_equal(xmpp_stanza_get_ns(m), "jabber:client");
    assert_null(xmpp_stanza_get_child_by_name(m, "body"));
    assert_non_null(
        xmpp_stanza_get_child_by_name_and_ns(m, "occupant-id", NS_OCCUPANT_ID));
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(m, "retracted", RET1);
    assert_non_null(r);
    assert_non_null(xmpp_stanza_get_attribute(r, "stamp"));
    xmpp_stanza_t *mod = xmpp_stanza_get_child_by_name_and_ns(r, "moderated", MOD1);
    if (moderated) {
        assert_non_null(mod);
        assert_attr(mod, "by", ROOM "/Alice");
        assert_child_text(r, "reason", "spam");
        xmpp_stanza_t *m0 = xmpp_stanza_get_child_by_name_and_ns(m, "moderated", MOD0);
        assert_non_null(m0);
        assert_non_null(xmpp_stanza_get_child_by_name_and_ns(m0, "retracted", RET0));
    } else {
        assert_null(mod);
    }
    xmpp_stanza_release(m);
}

static void assert_body(sfx_t *p, const char *sid)
{
    xmpp_stanza_t *m = archived(p, sid);
    assert_non_null(m);
    assert_non_null(xmpp_stanza_get_child_by_name(m, "body"));
    xmpp_stanza_release(m);
}

/* Carol enters: no history message carries `body`. */
static void assert_history_lacks(sfx_t *p, const char *body)
{
    capture_clear(&p->fx->cap);
    size_t n = fixture_feed(p->fx, JOIN(CAROL, "Carol"));
    for (size_t i = 0; i < n; i++) {
        xmpp_stanza_t *b =
            xmpp_stanza_get_child_by_name(capture_at(&p->fx->cap, i), "body");
        char *t = b ? xmpp_stanza_get_text(b) : NULL;
        if (t) {
            assert_null(strstr(t, body));
            xmpp_free(p->fx->ctx, t);
        }
    }
    capture_clear(&p->fx->cap);
}

static void check_broadcast(sfx_t *p, const char *sid)
{
    xmpp_stanza_t *m = nth_to(p->fx, BOB, 0);
    assert_non_null(m);
    assert_attr(m, "from", ROOM);
    assert_attr(m, "type", "groupchat");
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(m, "retract", RET1);
    assert_non_null(r);
    assert_attr(r, "id", sid);
    xmpp_stanza_t *mod = xmpp_stanza_get_child_by_name_and_ns(r, "moderated", MOD1);
    assert_non_null(mod);
    assert_attr(mod, "by", ROOM "/Alice");
    assert_non_null(
        xmpp_stanza_get_child_by_name_and_ns(mod, "occupant-id", NS_OCCUPANT_ID));
    assert_child_text(r, "reason", "spam");
    xmpp_stanza_t *a = xmpp_stanza_get_child_by_name_and_ns(m, "apply-to", FAST);
    assert_non_null(a);
    assert_attr(a, "id", sid);
    xmpp_stanza_t *m0 = xmpp_stanza_get_child_by_name_and_ns(a, "moderated", MOD0);
    assert_non_null(m0);
    assert_attr(m0, "by", ROOM "/Alice");
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(m0, "retract", RET0));
    assert_child_text(m0, "reason", "spam");
    xmpp_stanza_t *own = xmpp_stanza_get_child_by_name_and_ns(m, "stanza-id", NS_SID);
    assert_non_null(own);
    assert_string_not_equal(xmpp_stanza_get_id(own), sid);
    assert_non_null(nth_to(p->fx, ALICE, 0));
}

static void test_disco(void **state)
{
    sfx_t *p = *state;
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    assert_int_equal(fixture_feed(p->fx, "<iq type='get' id='d' from='" BOB "' to='" ROOM
                                         "'><query xmlns='" NS_DISCO_INFO "'/></iq>"),
                     1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(capture_at(&p->fx->cap, 0), "query");
    assert_true(has_feature(q, MOD0));
    assert_true(has_feature(q, MOD1));
    assert_true(has_feature(q, RET0));
    assert_true(has_feature(q, RET1));
}

static void moderate_form(sfx_t *p, int version)
{
    char sid[IDS_STANZA_ID_SIZE], keep[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    sfx_say(p->fx, BOB, "secret words", sid);
    sfx_say(p->fx, BOB, "kept", keep);
    /* a participant may not */
    assert_int_equal(moderate(p, BOB, version, sid), 1);
    assert_stanza_error(capture_at(&p->fx->cap, 0), "auth", "forbidden");
    assert_body(p, sid);
    /* unknown id */
    assert_int_equal(moderate(p, ALICE, version, "nope"), 1);
    assert_stanza_error(capture_at(&p->fx->cap, 0), "cancel", "item-not-found");
    /* the moderator: both occupants get it, then the result */
    assert_int_equal(moderate(p, ALICE, version, sid), 3);
    check_broadcast(p, sid);
    assert_result(capture_at(&p->fx->cap, 2), "r1", ALICE);
    assert_tombstone(p, sid, true);
    assert_body(p, keep);
    assert_history_lacks(p, "secret");
    /* kept over a restart: the archive and the stored history */
    fixture_feed(p->fx,
                 "<presence type='unavailable' from='" ALICE "' to='" ROOM "/Alice'/>");
    fixture_feed(p->fx,
                 "<presence type='unavailable' from='" BOB "' to='" ROOM "/Bob'/>");
    fixture_feed(p->fx,
                 "<presence type='unavailable' from='" CAROL "' to='" ROOM "/Carol'/>");
    sfx_restart(p);
    assert_true(fixture_feed(p->fx, JOIN(BOB, "Bob")) >= 2);
    assert_tombstone(p, sid, true);
    assert_history_lacks(p, "secret");
}

static void test_moderate_v1(void **state)
{
    moderate_form(*state, 1);
}

static void test_moderate_v0(void **state)
{
    moderate_form(*state, 0);
}

/* A temporary room: the history is what can be moderated. */
static void test_temporary_room(void **state)
{
    sfx_t *p = *state;
    char sid[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, "");
    sfx_say(p->fx, BOB, "secret words", sid);
    assert_int_equal(moderate(p, ALICE, 1, sid), 3);
    check_broadcast(p, sid);
    assert_history_lacks(p, "secret");
    assert_int_equal(moderate(p, ALICE, 1, sid), 1); /* gone now */
    assert_stanza_error(capture_at(&p->fx->cap, 0), "cancel", "item-not-found");
}

static size_t retract(sfx_t *p, const char *from, const char *sid, bool v0)
{
    char xml[1024];
    capture_clear(&p->fx->cap);
    if (v0)
        snprintf(xml, sizeof xml,
                 "<message type='groupchat' id='x' from='%s' to='" ROOM "'><apply-to "
                 "xmlns='" FAST "' id='%s'><retract xmlns='" RET0 "'/></apply-to>"
                 "<body>retracted</body></message>",
                 from, sid);
    else
        snprintf(xml, sizeof xml,
                 "<message type='groupchat' id='x' from='%s' to='" ROOM "'><retract "
                 "xmlns='" RET1 "' id='%s'/><body>retracted</body></message>",
                 from, sid);
    return fixture_feed(p->fx, xml);
}

static void test_self_retraction(void **state)
{
    sfx_t *p = *state;
    char a[IDS_STANZA_ID_SIZE], b[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    sfx_say(p->fx, BOB, "secret one", a);
    sfx_say(p->fx, BOB, "secret two", b);
    /* someone else's: relayed, the archive untouched */
    assert_int_equal(retract(p, ALICE, a, false), 2);
    assert_non_null(
        xmpp_stanza_get_child_by_name_and_ns(nth_to(p->fx, BOB, 0), "retract", RET1));
    assert_body(p, a);
    /* the sender's: relayed and tombstoned (both forms) */
    assert_int_equal(retract(p, BOB, a, false), 2);
    assert_tombstone(p, a, false);
    assert_int_equal(retract(p, BOB, b, true), 2);
    assert_tombstone(p, b, false);
    assert_history_lacks(p, "secret");
}

/* The stanza-id the room gave to the stanza `to` got (NULL: none). */
static const char *room_sid(xmpp_stanza_t *m)
{
    xmpp_stanza_t *s =
        m ? xmpp_stanza_get_child_by_name_and_ns(m, "stanza-id", NS_SID) : NULL;
    return s ? xmpp_stanza_get_id(s) : NULL;
}

/* The announcement of a moderation is archived under its own stanza-id,
 * and so is a self-retraction without a body: a client catching up
 * through the archive applies them to the copies it has. */
static void test_retractions_archived(void **state)
{
    sfx_t *p = *state;
    char sid[IDS_STANZA_ID_SIZE], own[IDS_STANZA_ID_SIZE], nid[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    sfx_say(p->fx, BOB, "secret words", sid);
    sfx_say(p->fx, BOB, "my own", own);
    assert_int_equal(moderate(p, ALICE, 1, sid), 3);
    assert_non_null(room_sid(nth_to(p->fx, BOB, 0)));
    snprintf(nid, sizeof nid, "%s", room_sid(nth_to(p->fx, BOB, 0)));
    xmpp_stanza_t *a = archived(p, nid);
    assert_non_null(a);
    assert_attr(a, "from", ROOM);
    xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(a, "retract", RET1);
    assert_non_null(r);
    assert_attr(r, "id", sid);
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(r, "moderated", MOD1));
    xmpp_stanza_release(a);
    /* a self-retraction with no body */
    char xml[512];
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='x' from='" BOB "' to='" ROOM
             "'><retract xmlns='" RET1 "' id='%s'/></message>",
             own);
    capture_clear(&p->fx->cap);
    assert_int_equal(fixture_feed(p->fx, xml), 2);
    assert_non_null(room_sid(nth_to(p->fx, ALICE, 0)));
    snprintf(nid, sizeof nid, "%s", room_sid(nth_to(p->fx, ALICE, 0)));
    a = archived(p, nid);
    assert_non_null(a);
    assert_attr(a, "from", ROOM "/Bob");
    r = xmpp_stanza_get_child_by_name_and_ns(a, "retract", RET1);
    assert_non_null(r);
    assert_attr(r, "id", own);
    xmpp_stanza_release(a);
    assert_tombstone(p, own, false);
    /* neither is history: no body */
    assert_history_lacks(p, "secret");
}

/* Only the room speaks for moderation (XEP-0425 §5): an occupant's
 * moderated retraction, <moderated/>, fastening with one, or tombstone is
 * not relayed, and changes nothing stored; the rest of the message is. */
static void test_forged_moderation_stripped(void **state)
{
    sfx_t *p = *state;
    char sid[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    sfx_say(p->fx, ALICE, "innocent", sid);
    char xml[2048];
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='f' from='" BOB "' to='" ROOM
             "'><body>forged</body>"
             "<retract xmlns='" RET1 "' id='%s'><moderated xmlns='" MOD1 "' by='" ROOM
             "/Alice'/><reason>fake</reason></retract>"
             "<moderated xmlns='" MOD0 "' by='" ROOM "/Alice'/>"
             "<apply-to xmlns='" FAST "' id='%s'><moderated xmlns='" MOD0 "' by='" ROOM
             "/Alice'><retract xmlns='" RET0 "'/></moderated></apply-to>"
             "<retracted xmlns='" RET1 "' stamp='2024-01-01T00:00:00Z'/>"
             "<x xmlns='urn:example:keep'/></message>",
             sid, sid);
    capture_clear(&p->fx->cap);
    assert_int_equal(fixture_feed(p->fx, xml), 2);
    xmpp_stanza_t *m = nth_to(p->fx, ALICE, 0);
    assert_non_null(m);
    assert_non_null(xmpp_stanza_get_child_by_name(m, "body"));
    assert_non_null(xmpp_stanza_get_child_by_name_and_ns(m, "x", "urn:example:keep"));
    assert_null(xmpp_stanza_get_child_by_name(m, "retract"));
    assert_null(xmpp_stanza_get_child_by_name(m, "moderated"));
    assert_null(xmpp_stanza_get_child_by_name(m, "apply-to"));
    assert_null(xmpp_stanza_get_child_by_name(m, "retracted"));
    /* nor archived with them; Alice's message untouched */
    char fid[IDS_STANZA_ID_SIZE];
    assert_non_null(room_sid(m));
    snprintf(fid, sizeof fid, "%s", room_sid(m));
    xmpp_stanza_t *a = archived(p, fid);
    assert_non_null(a);
    assert_null(xmpp_stanza_get_child_by_name(a, "retract"));
    assert_null(xmpp_stanza_get_child_by_name(a, "moderated"));
    xmpp_stanza_release(a);
    assert_body(p, sid);
}

/* A full store: resource-constraint, nothing broadcast, nothing changed. */
static void test_store_full(void **state)
{
    sfx_t *p = *state;
    char sid[IDS_STANZA_ID_SIZE];
    sfx_room_with(p->fx, FIELD("persistentroom", "1"));
    sfx_say(p->fx, BOB, "secret", sid);
    static char xml[20000], big[16000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    static const size_t sizes[] = {15999, 4000, 1000, 300, 50};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        big[sizes[s]] = '\0';
        snprintf(xml, sizeof xml,
                 "<message type='groupchat' from='" BOB "' to='" ROOM
                 "'><body>%s</body></message>",
                 big);
        for (int i = 0; i < 2000; i++) {
            capture_clear(&p->fx->cap);
            if (fixture_feed(p->fx, xml) != 2) break;
        }
    }
    /* a reason of 12 KB: the tombstone (which carries it twice) needs new
     * overflow pages, which a full map cannot give whatever its free list */
    memset(big, 'r', 12000);
    big[12000] = '\0';
    snprintf(xml, sizeof xml,
             "<iq type='set' id='r1' from='" ALICE "' to='" ROOM
             "'><moderate xmlns='" MOD1 "' id='%s'><retract xmlns='" RET1
             "'/><reason>%s</reason></moderate></iq>",
             sid, big);
    capture_clear(&p->fx->cap);
    assert_int_equal(fixture_feed(p->fx, xml), 1);
    assert_stanza_error(capture_at(&p->fx->cap, 0), "wait", "resource-constraint");
    assert_body(p, sid);
}

int main(void)
{
#define T(f, s) cmocka_unit_test_prestate_setup_teardown(f, s, sfx_teardown, &config)
    const struct CMUnitTest tests[] = {
        T(test_disco, sfx_setup),
        T(test_moderate_v1, sfx_setup),
        T(test_moderate_v0, sfx_setup),
        T(test_temporary_room, sfx_setup),
        T(test_self_retraction, sfx_setup),
        T(test_retractions_archived, sfx_setup),
        T(test_forged_moderation_stripped, sfx_setup),
        T(test_store_full, sfx_setup_tiny),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
