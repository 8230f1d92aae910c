/* test_ids.c - what today's clients gate features on (issue 10): stanza ids
 * (XEP-0359), occupant ids (XEP-0421), self-ping (XEP-0410), and nothing a
 * client forges of them (or of hats, XEP-0317) is relayed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/ids.h"
#include "storage/storage.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/tmpdir.h"

#define GROUPCHAT(from, id, inner)                                                       \
    "<message type='groupchat' id='" id "' from='" from "' to='" ROOM                    \
    "'><body>hi</body>" inner "</message>"
#define PING(from, id, to)                                                               \
    "<iq type='get' id='" id "' from='" from "' to='" to                                 \
    "'><ping xmlns='urn:xmpp:ping'/>"                                                    \
    "</iq>"
#define INSTANT(from)                                                                    \
    "<iq type='set' id='c1' from='" from "' to='" ROOM "'><query xmlns='" NS_MUC_OWNER   \
    "'><x xmlns='" NS_DATA "' type='submit'/></query></iq>"

/* ---- helpers ---------------------------------------------------------- */

/* The id attribute of st's child <name xmlns=ns/>, or NULL; fails if there
 * is more than one. */
static const char *child_id(xmpp_stanza_t *st, const char *name, const char *ns)
{
    const char *found = NULL;
    int n = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), name) != 0)
            continue;
        const char *cns = xmpp_stanza_get_ns(c);
        if (!cns || strcmp(cns, ns) != 0) continue;
        found = xmpp_stanza_get_id(c);
        n++;
    }
    assert_true(n <= 1);
    return found;
}

static const char *occupant_id_of(xmpp_stanza_t *st)
{
    return child_id(st, "occupant-id", NS_OCCUPANT_ID);
}

/* The text of st, for "nothing of X in it" checks (freed by the caller). */
static char *text_of(fixture_t *fx, xmpp_stanza_t *st)
{
    char *t = NULL;
    size_t len = 0;
    assert_int_equal(xmpp_stanza_to_text(st, &t, &len), 0);
    (void)fx;
    return t;
}

/* Alice creates room@ (unlocked); Bob enters; the capture is cleared. */
static void room_with_bob(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, INSTANT(ALICE)), 1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* ---- occupant ids ------------------------------------------------------ */

static void test_occupant_id_in_every_presence_and_stable(void **state)
{
    fixture_t *fx = *state;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    char alice_id[IDS_OCCUPANT_ID_SIZE];
    const char *id = occupant_id_of(capture_at(&fx->cap, 0));
    assert_non_null(id);
    assert_int_equal(strlen(id), IDS_OCCUPANT_ID_SIZE - 1);
    strcpy(alice_id, id);
    assert_int_equal(fixture_feed(fx, INSTANT(ALICE)), 1);
    capture_clear(&fx->cap);
    /* Bob's join burst: Alice's presence carries her id; his own differs */
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    assert_string_equal(occupant_id_of(nth_to(fx, BOB, 0)), alice_id);
    const char *bob_id = occupant_id_of(nth_to(fx, ALICE, 0));
    assert_non_null(bob_id);
    assert_string_not_equal(bob_id, alice_id);
    char bob_saved[IDS_OCCUPANT_ID_SIZE];
    strcpy(bob_saved, bob_id);
    /* a nick change keeps it, in both presences */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Robert")), 4);
    for (size_t i = 0; i < fx->cap.count; i++)
        assert_string_equal(occupant_id_of(capture_at(&fx->cap, i)), bob_saved);
    /* a second session of Bob's: the same id */
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN("bob@localhost/other", "Robert"));
    assert_string_equal(occupant_id_of(nth_to(fx, "bob@localhost/other", 0)), alice_id);
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        if (strcmp(xmpp_stanza_get_from(st), ROOM "/Robert") == 0)
            assert_string_equal(occupant_id_of(st), bob_saved);
    }
}

static void test_occupant_id_says_nothing_of_the_jid(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m1", "")), 2);
    const char *id = occupant_id_of(nth_to(fx, ALICE, 0));
    assert_non_null(id);
    assert_null(strstr(id, "bob"));
    unsigned char secret[IDS_SECRET_LEN] = {0}, other[IDS_SECRET_LEN] = {1};
    char a[IDS_OCCUPANT_ID_SIZE], b[IDS_OCCUPANT_ID_SIZE], c[IDS_OCCUPANT_ID_SIZE];
    ids_occupant_id(secret, "bob@localhost", a);
    ids_occupant_id(secret, "bob@localhost", b);
    ids_occupant_id(other, "bob@localhost", c);
    assert_string_equal(a, b);     /* stable */
    assert_string_not_equal(a, c); /* per room */
}

static void test_forged_occupant_id_and_hats_stripped(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    const char *forged =
        "<occupant-id xmlns='" NS_OCCUPANT_ID "' id='FAKE'/>"
        "<hats xmlns='" NS_HATS "'><hat title='Admin' uri='x:y'/></hats>";
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<presence from='" BOB "' to='" ROOM
             "/Bob'><status>away</status>%s</presence>",
             forged);
    assert_int_equal(fixture_feed(fx, xml), 2);
    snprintf(xml, sizeof xml, GROUPCHAT(BOB, "m2", "%s"), forged);
    assert_int_equal(fixture_feed(fx, xml), 2);
    for (size_t i = 0; i < fx->cap.count; i++) {
        char *t = text_of(fx, capture_at(&fx->cap, i));
        assert_null(strstr(t, "FAKE"));
        assert_null(strstr(t, NS_HATS));
        assert_non_null(strstr(t, NS_OCCUPANT_ID)); /* the room's own */
        xmpp_free(fx->ctx, t);
    }
}

/* ---- stanza ids ------------------------------------------------------- */

static void test_stanza_id_same_in_every_copy_and_history(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "client-id", "")), 2);
    xmpp_stanza_t *to_alice = nth_to(fx, ALICE, 0), *to_bob = nth_to(fx, BOB, 0);
    const char *sid = child_id(to_alice, "stanza-id", NS_SID);
    assert_non_null(sid);
    assert_string_equal(child_id(to_bob, "stanza-id", NS_SID), sid);
    xmpp_stanza_t *el =
        xmpp_stanza_get_child_by_name_and_ns(to_alice, "stanza-id", NS_SID);
    assert_string_equal(xmpp_stanza_get_attribute(el, "by"), ROOM);
    assert_attr(to_bob, "id", "client-id"); /* muc#stable_id: the client's id kept */
    char saved[64];
    snprintf(saved, sizeof saved, "%s", sid);
    /* a second message gets another id */
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m3", "")), 2);
    assert_string_not_equal(child_id(nth_to(fx, ALICE, 1), "stanza-id", NS_SID), saved);
    /* history on join: the same id */
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(CAROL, "Carol"));
    xmpp_stanza_t *hist = NULL;
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        if (is_to(st, CAROL) && strcmp(xmpp_stanza_get_name(st), "message") == 0 &&
            xmpp_stanza_get_child_by_name(st, "body")) {
            hist = st;
            break;
        }
    }
    assert_non_null(hist);
    assert_string_equal(child_id(hist, "stanza-id", NS_SID), saved);
}

static void test_client_stanza_id_by_room_stripped(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, GROUPCHAT(BOB, "m4",
                                                "<stanza-id xmlns='" NS_SID "' by='" ROOM
                                                "' id='FORGED'/>"
                                                "<stanza-id xmlns='" NS_SID
                                                "' by='bob@localhost' id='his-own'/>")),
                     2);
    char *t = text_of(fx, nth_to(fx, ALICE, 0));
    assert_null(strstr(t, "FORGED"));
    assert_non_null(strstr(t, "his-own")); /* by someone else: not ours to judge */
    xmpp_free(fx->ctx, t);
}

/* ---- self-ping -------------------------------------------------------- */

static void test_self_ping(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, PING(BOB, "sp1", ROOM "/Bob")), 1);
    xmpp_stanza_t *r = capture_at(&fx->cap, 0);
    assert_attr(r, "type", "result");
    assert_attr(r, "id", "sp1");
    assert_attr(r, "to", BOB);
    assert_attr(r, "from", ROOM "/Bob");
    /* after leaving: not-acceptable (the client must rejoin) */
    fixture_feed(fx, LEAVE(BOB, "Bob"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, PING(BOB, "sp2", ROOM "/Bob")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    /* a ping to a room that does not exist: not-acceptable too */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, PING(BOB, "sp3", "nowhere@" FX_DOMAIN "/Bob")), 1);
    assert_stanza_error(capture_at(&fx->cap, 0), "modify", "not-acceptable");
    /* a ping to someone else is forwarded to them, as any IQ */
    fixture_feed(fx, JOIN(BOB, "Bob"));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, PING(BOB, "sp4", ROOM "/Alice")), 1);
    assert_true(is_to(capture_at(&fx->cap, 0), ALICE));
}

static void test_room_advertises_ids_and_self_ping(void **state)
{
    fixture_t *fx = *state;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, DISCO("d1", ROOM, NS_DISCO_INFO)), 1);
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name(capture_at(&fx->cap, 0), "query");
    assert_true(has_feature(q, NS_SID));
    assert_true(has_feature(q, NS_MUC_STABLE_ID));
    assert_true(has_feature(q, NS_OCCUPANT_ID));
    assert_true(has_feature(q, NS_MUC_SELF_PING));
}

/* ---- stable over a restart -------------------------------------------- */

static void test_occupant_id_stable_over_restart(void **state)
{
    fixture_t *fx = *state;
    char dir[64] = "/tmp/mucd-test-ids-XXXXXX", err[256];
    assert_non_null(mkdtemp(dir));
    store_t *st = NULL;
    char before[IDS_OCCUPANT_ID_SIZE];
    for (int round = 0; round < 2; round++) {
        assert_int_equal(store_open(dir, 8u << 20, false, &st, err, sizeof err),
                         STORE_OK);
        service_free(fx->svc);
        service_opts_t opts = {.domain = FX_DOMAIN, .store = st, .max_nick_length = 20};
        fx->svc = service_new(fx->ctx, &opts);
        capture_clear(&fx->cap);
        fixture_feed(fx, JOIN(ALICE, "Alice"));
        if (round == 0)
            fixture_feed(fx, CONFIG(ALICE, "keep", FIELD("persistentroom", "1")));
        const char *id = occupant_id_of(capture_at(&fx->cap, 0));
        assert_non_null(id);
        if (round == 0)
            strcpy(before, id);
        else
            assert_string_equal(id, before);
        capture_clear(&fx->cap);
        service_free(fx->svc);
        fx->svc = NULL;
        store_close(st);
    }
    fx->svc = service_new(fx->ctx, &(service_opts_t){.domain = FX_DOMAIN});
    assert_int_equal(remove_dir(dir), 0);
}

/* Stanza ids are unique and sort in the order they were made (the
 * archive's id index relies on it for locality), in base64url letters. */
static void test_stanza_ids_unique_and_in_order(void **state)
{
    (void)state;
    enum { N = 200000 };
    char prev[IDS_STANZA_ID_SIZE] = "", id[IDS_STANZA_ID_SIZE];
    for (int i = 0; i < N; i++) {
        ids_stanza_id(id);
        assert_int_equal(strlen(id), IDS_STANZA_ID_SIZE - 1);
        assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_"),
                         IDS_STANZA_ID_SIZE - 1);
        assert_true(strcmp(prev, id) < 0); /* strictly increasing: unique */
        memcpy(prev, id, sizeof id);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_occupant_id_in_every_presence_and_stable),
        T(test_occupant_id_says_nothing_of_the_jid),
        T(test_forged_occupant_id_and_hats_stripped),
        T(test_stanza_id_same_in_every_copy_and_history),
        T(test_client_stanza_id_by_room_stripped),
        T(test_self_ping),
        T(test_room_advertises_ids_and_self_ping),
        T(test_occupant_id_stable_over_restart),
        cmocka_unit_test(test_stanza_ids_unique_and_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
