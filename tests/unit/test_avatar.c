/* test_avatar.c - room avatars (issue 10): the room's vCard (XEP-0054) set
 * by owners and given to anyone, its photo's hash in disco#info (XEP-0486)
 * and the change told to occupants (XEP-0153 presence and status 104);
 * kept in the store for persistent rooms, in memory for temporary ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/persist.h"
#include "muc/stanza.h"
#include "storage/storage.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

#define HELLO_B64  "aGVsbG8="                                 /* "hello" */
#define HELLO_SHA1 "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" /* sha1("hello") */

#define VCARD_SET(from, id, inner)                                                       \
    "<iq type='set' id='" id "' from='" from "' to='" ROOM "'><vCard xmlns='" NS_VCARD   \
    "'>" inner "</vCard></iq>"
#define PHOTO(b64) "<PHOTO><TYPE>image/png</TYPE><BINVAL>" b64 "</BINVAL></PHOTO>"
#define VCARD_GET(from, id)                                                              \
    "<iq type='get' id='" id "' from='" from "' to='" ROOM "'><vCard xmlns='" NS_VCARD   \
    "'/></iq>"
#define INSTANT(from)                                                                    \
    "<iq type='set' id='c1' from='" from "' to='" ROOM "'><query xmlns='" NS_MUC_OWNER   \
    "'><x xmlns='" NS_DATA "' type='submit'/></query></iq>"
#define DESTROY(from)                                                                    \
    "<iq type='set' id='bye' from='" from "' to='" ROOM "'><query xmlns='" NS_MUC_OWNER  \
    "'><destroy/></query></iq>"

/* ---- fixtures --------------------------------------------------------- */

/* The cmocka prestates: the service in memory (with a photo limit of 8
 * bytes, with room vCards off, under a stanza limit), or on a store. */
#define AVATAR_OPTS(...)                                                                 \
    {                                                                                    \
        .max_nick_length = 20, .history_length = 20, __VA_ARGS__                         \
    }
static sfx_config_t mem = {.opts = AVATAR_OPTS(), .no_store = true};
static sfx_config_t small = {.opts = AVATAR_OPTS(.max_avatar_bytes = 8),
                             .no_store = true};
static sfx_config_t off = {.opts = AVATAR_OPTS(.max_avatar_bytes = -1), .no_store = true};
static sfx_config_t stanza_limit = {
    .opts = AVATAR_OPTS(.limits = {.max_stanza_size = 1024}), .no_store = true};
static sfx_config_t on_store = {.opts = AVATAR_OPTS(), .map = 1u << 20};

/* ---- helpers ---------------------------------------------------------- */

/* Alice creates room@ (instant), Bob enters; the capture is left empty. */
static void room_with_bob(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    assert_int_equal(fixture_feed(fx, INSTANT(ALICE)), 1);
    assert_int_equal(fixture_feed(fx, JOIN(BOB, "Bob")), 4);
    capture_clear(&fx->cap);
}

/* The last captured stanza is an error with `cond` and a text with `text`. */
static void assert_last_error(fixture_t *fx, const char *type, const char *cond,
                              const char *text)
{
    xmpp_stanza_t *e = capture_at(&fx->cap, fx->cap.count - 1);
    assert_stanza_error(e, type, cond);
    if (!text) return;
    xmpp_stanza_t *t =
        xmpp_stanza_get_child_by_name(xmpp_stanza_get_child_by_name(e, "error"), "text");
    assert_non_null(t);
    char *s = xmpp_stanza_get_text(t);
    assert_non_null(s);
    if (!strstr(s, text)) fail_msg("error text '%s' lacks '%s'", s, text);
    xmpp_free(fx->ctx, s);
}

/* Gets the vCard as `from`; returns its <vCard/> (borrowed from the
 * capture), failing unless the answer is a result. */
static xmpp_stanza_t *get_vcard(fixture_t *fx, const char *from)
{
    char xml[256];
    snprintf(xml, sizeof xml,
             "<iq type='get' id='g' from='%s' to='" ROOM "'><vCard xmlns='" NS_VCARD
             "'/></iq>",
             from);
    assert_int_equal(fixture_feed(fx, xml), 1);
    xmpp_stanza_t *res = capture_at(&fx->cap, fx->cap.count - 1);
    assert_string_equal(xmpp_stanza_get_type(res), "result");
    assert_attr(res, "id", "g");
    assert_attr(res, "to", from);
    assert_attr(res, "from", ROOM);
    xmpp_stanza_t *v = xmpp_stanza_get_child_by_name_and_ns(res, "vCard", NS_VCARD);
    assert_non_null(v);
    return v;
}

/* The BINVAL text of a vCard (freed by the caller), or NULL. */
static char *binval(xmpp_stanza_t *vcard)
{
    xmpp_stanza_t *photo = xmpp_stanza_get_child_by_name(vcard, "PHOTO");
    xmpp_stanza_t *b = photo ? xmpp_stanza_get_child_by_name(photo, "BINVAL") : NULL;
    return b ? xmpp_stanza_get_text(b) : NULL;
}

static void assert_binval(fixture_t *fx, xmpp_stanza_t *vcard, const char *expected)
{
    char *t = binval(vcard);
    assert_non_null(t);
    assert_string_equal(t, expected);
    xmpp_free(fx->ctx, t);
}

/* The room's disco#info <query/> (borrowed from the capture). */
static xmpp_stanza_t *room_info(fixture_t *fx)
{
    assert_int_equal(fixture_feed(fx, DISCO("d", ROOM, NS_DISCO_INFO)), 1);
    xmpp_stanza_t *q =
        xmpp_stanza_get_child_by_name(capture_at(&fx->cap, fx->cap.count - 1), "query");
    assert_non_null(q);
    return q;
}

/* The roominfo form's avatar hash field, or NULL. */
static xmpp_stanza_t *hash_field(xmpp_stanza_t *query)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(query, "x", NS_DATA);
    assert_non_null(x);
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        const char *var =
            xmpp_stanza_is_tag(f) ? xmpp_stanza_get_attribute(f, "var") : NULL;
        if (var && strcmp(var, "muc#roominfo_avatarhash") == 0) return f;
    }
    return NULL;
}

/* The XEP-0153 <photo/> of a presence from the room's bare JID to `to`. */
static xmpp_stanza_t *update_photo(fixture_t *fx, const char *to)
{
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        if (strcmp(xmpp_stanza_get_name(st), "presence") != 0 || !is_to(st, to)) continue;
        if (strcmp(xmpp_stanza_get_from(st), ROOM) != 0) continue;
        xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_VCARD_UPDATE);
        assert_non_null(x);
        xmpp_stanza_t *photo = xmpp_stanza_get_child_by_name(x, "photo");
        assert_non_null(photo);
        return photo;
    }
    fail_msg("no vcard-temp:x:update presence to %s", to);
    return NULL;
}

/* Whether `to` got a status 104 message from the room. */
static int got_104(fixture_t *fx, const char *to)
{
    for (size_t i = 0; i < fx->cap.count; i++) {
        xmpp_stanza_t *st = capture_at(&fx->cap, i);
        if (strcmp(xmpp_stanza_get_name(st), "message") == 0 && is_to(st, to) &&
            strcmp(xmpp_stanza_get_from(st), ROOM) == 0 && has_status(st, 104))
            return 1;
    }
    return 0;
}

static bool stored_avatar(sfx_t *p)
{
    void *data;
    size_t len;
    store_rc_t rc = store_avatar_load(p->st, "room", &data, &len);
    if (rc == STORE_OK) free(data);
    assert_true(rc == STORE_OK || rc == STORE_ERR_NOTFOUND);
    return rc == STORE_OK;
}

/* ---- set and get ------------------------------------------------------ */

static void test_set_get_round_trip(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    /* nothing set: an empty vCard */
    xmpp_stanza_t *v = get_vcard(fx, BOB);
    assert_int_equal(stanza_element_count(v), 0);
    capture_clear(&fx->cap);

    assert_int_equal(
        fixture_feed(fx, VCARD_SET(ALICE, "s1", "<FN>The Room</FN>" PHOTO(HELLO_B64))),
        5); /* result + (presence + 104) to Alice and Bob */
    assert_result(capture_at(&fx->cap, 0), "s1", ALICE);
    capture_clear(&fx->cap);

    v = get_vcard(fx, BOB);
    assert_binval(fx, v, HELLO_B64);
    assert_child_text(v, "FN", "The Room");
    /* a non-occupant may get it too */
    v = get_vcard(fx, CAROL);
    assert_binval(fx, v, HELLO_B64);
    /* the stored text does not repeat the namespace on every element */
    const char *stored = the_room(fx)->avatar;
    assert_non_null(stored);
    assert_null(strstr(strchr(stored, '>'), NS_VCARD));

    /* wrapped base64 (as some clients send it) is fine */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "s2", PHOTO("aGVs\n bG8=\n"))), 5);
    assert_string_equal(the_room(fx)->avatar_hash, HELLO_SHA1);
}

static void test_set_owner_only(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    /* a participant, then a non-occupant: forbidden */
    assert_int_equal(fixture_feed(fx, VCARD_SET(BOB, "s1", PHOTO(HELLO_B64))), 1);
    assert_last_error(fx, "auth", "forbidden", "owners");
    assert_int_equal(fixture_feed(fx, VCARD_SET(CAROL, "s2", PHOTO(HELLO_B64))), 1);
    assert_last_error(fx, "auth", "forbidden", NULL);
    assert_null(the_room(fx)->avatar);
    /* an admin is not enough either */
    capture_clear(&fx->cap);
    fixture_feed(fx, ADMIN_SET(ALICE, "a1", AFF_ITEM("bob@localhost", "admin")));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(BOB, "s3", PHOTO(HELLO_B64))), 1);
    assert_last_error(fx, "auth", "forbidden", NULL);
    /* an owner who is not in the room may (as for the configuration form) */
    fixture_feed(fx, ADMIN_SET(ALICE, "a2", AFF_ITEM("carol@localhost", "owner")));
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(CAROL, "s4", PHOTO(HELLO_B64))), 5);
    assert_result(capture_at(&fx->cap, 0), "s4", CAROL);
    assert_string_equal(the_room(fx)->avatar_hash, HELLO_SHA1);
}

static void test_size_limit_and_bad_base64(void **state)
{
    sfx_t *p = *state; /* max_avatar_bytes = 8 */
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    /* 9 bytes ("123456789") */
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "big", PHOTO("MTIzNDU2Nzg5"))), 1);
    assert_last_error(fx, "modify", "not-acceptable", "at most 8");
    assert_null(the_room(fx)->avatar);
    /* 8 bytes pass */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "ok", PHOTO("MTIzNDU2Nzg="))), 5);
    assert_result(capture_at(&fx->cap, 0), "ok", ALICE);
    /* bad base64: bad-request, the vCard stays as it was */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "bad", PHOTO("no*base64!"))), 1);
    assert_last_error(fx, "modify", "bad-request", "base64");
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "bad2", PHOTO("aGVsbG8"))), 1);
    assert_last_error(fx, "modify", "bad-request", "base64");
    assert_binval(fx, get_vcard(fx, BOB), "MTIzNDU2Nzg=");
    /* the other fields are bounded too */
    static char xml[40000];
    static char desc[20001];
    memset(desc, 'x', sizeof desc - 1);
    snprintf(xml, sizeof xml,
             "<iq type='set' id='long' from='" ALICE "' to='" ROOM
             "'><vCard xmlns='" NS_VCARD "'><DESC>%s</DESC></vCard></iq>",
             desc);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    assert_last_error(fx, "modify", "not-acceptable", "too large");
}

static void test_removal(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64)));
    capture_clear(&fx->cap);
    /* an empty vCard removes it; occupants see an empty <photo/> */
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "rm", "")), 5);
    assert_result(capture_at(&fx->cap, 0), "rm", ALICE);
    assert_text(update_photo(fx, BOB), NULL);
    assert_true(got_104(fx, BOB));
    assert_null(the_room(fx)->avatar);
    assert_int_equal(stanza_element_count(get_vcard(fx, BOB)), 0);
    assert_null(hash_field(room_info(fx)));
    /* removing again changes nothing: no notice */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "rm2", "")), 1);
}

/* ---- disco and notices ------------------------------------------------ */

static void test_disco_feature_and_hash(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    xmpp_stanza_t *q = room_info(fx);
    assert_true(has_feature(q, NS_VCARD));
    assert_null(hash_field(q)); /* no photo yet */
    fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64)));
    xmpp_stanza_t *f = hash_field(room_info(fx));
    assert_non_null(f);
    assert_attr(f, "type", "text-multi");
    assert_child_text(f, "value", HELLO_SHA1);
    /* a vCard without a photo: no hash */
    fixture_feed(fx, VCARD_SET(ALICE, "s2", "<FN>Only a name</FN>"));
    assert_null(hash_field(room_info(fx)));
}

static void test_change_told_to_occupants_and_joiners(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64))), 5);
    assert_text(update_photo(fx, ALICE), HELLO_SHA1);
    assert_text(update_photo(fx, BOB), HELLO_SHA1);
    assert_true(got_104(fx, ALICE));
    assert_true(got_104(fx, BOB));
    /* the same vCard again: answered, nothing told */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "s2", PHOTO(HELLO_B64))), 1);
    /* Carol entering gets the room's presence with the hash, last */
    capture_clear(&fx->cap);
    size_t n = fixture_feed(fx, JOIN(CAROL, "Carol"));
    assert_int_equal(n, 7); /* 2 occupants, self, Carol to 2, subject, avatar */
    xmpp_stanza_t *last = capture_at(&fx->cap, n - 1);
    assert_string_equal(xmpp_stanza_get_name(last), "presence");
    assert_attr(last, "from", ROOM);
    assert_text(update_photo(fx, CAROL), HELLO_SHA1);
    assert_int_equal(count_to(fx, CAROL), 5);
}

static void test_other_room_payloads_still_unavailable(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    assert_int_equal(fixture_feed(fx, "<iq type='get' id='x' from='" BOB "' to='" ROOM
                                      "'><foo xmlns='urn:example:foo'/></iq>"),
                     1);
    assert_last_error(fx, "cancel", "service-unavailable", NULL);
    /* a vCard to an occupant is still forwarded to it */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<iq type='get' id='v' from='" BOB "' to='" ROOM
                                      "/Alice'><vCard xmlns='" NS_VCARD "'/></iq>"),
                     1);
    assert_true(is_to(capture_at(&fx->cap, 0), ALICE));
    /* no room: item-not-found */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, "<iq type='get' id='n' from='" BOB
                                      "' to='nope@" FX_DOMAIN "'><vCard xmlns='" NS_VCARD
                                      "'/></iq>"),
                     1);
    assert_last_error(fx, "cancel", "item-not-found", NULL);
}

static void test_locked_room_hidden_from_non_owners(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2); /* locked */
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, VCARD_GET(BOB, "g1")), 1);
    assert_last_error(fx, "cancel", "item-not-found", NULL);
    /* its owner may set it before unlocking it */
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64))), 3);
    assert_binval(fx, get_vcard(fx, ALICE), HELLO_B64);
}

static void test_off(void **state)
{
    sfx_t *p = *state; /* max_avatar_bytes < 0 */
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    assert_false(has_feature(room_info(fx), NS_VCARD));
    assert_int_equal(fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64))), 1);
    assert_last_error(fx, "cancel", "service-unavailable", NULL);
    assert_int_equal(fixture_feed(fx, VCARD_GET(BOB, "g1")), 1);
    assert_last_error(fx, "cancel", "service-unavailable", NULL);
}

/* [limits] max_stanza_size does not stop a photo max_avatar_bytes allows
 * (a room vCard set is not relayed); other stanzas are held to it. */
static void test_stanza_limit_leaves_room_for_the_photo(void **state)
{
    sfx_t *p = *state; /* max_stanza_size 1024, max_avatar_bytes 65536 */
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    static unsigned char raw[3000];
    memset(raw, 9, sizeof raw);
    char *b64 = xmpp_base64_encode(fx->ctx, raw, sizeof raw);
    assert_non_null(b64);
    static char xml[8000];
    snprintf(xml, sizeof xml, VCARD_SET(ALICE, "s1", PHOTO("%s")), b64);
    assert_int_equal(fixture_feed(fx, xml), 5);
    assert_result(capture_at(&fx->cap, 0), "s1", ALICE);
    /* the same bytes as a message: too large */
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='m' from='" ALICE "' to='" ROOM
             "'><body>%s</body></message>",
             b64);
    xmpp_free(fx->ctx, b64);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    assert_last_error(fx, "modify", "not-acceptable", "too large");
}

/* ---- the store -------------------------------------------------------- */

static void test_persistent_survives_restart(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    fixture_feed(fx, CONFIG(ALICE, "keep", FIELD("persistentroom", "1")));
    assert_false(stored_avatar(p));
    capture_clear(&fx->cap);
    assert_int_equal(
        fixture_feed(fx, VCARD_SET(ALICE, "s1", "<FN>Kept</FN>" PHOTO(HELLO_B64))), 5);
    assert_true(stored_avatar(p)); /* written before the answer */
    sfx_restart(p);
    fx = p->fx;
    assert_null(service_room_loaded(fx->svc, "room"));
    xmpp_stanza_t *v = get_vcard(fx, CAROL);
    assert_binval(fx, v, HELLO_B64);
    assert_child_text(v, "FN", "Kept");
    assert_child_text(hash_field(room_info(fx)), "value", HELLO_SHA1);
    /* the hash is told to people entering the reloaded room */
    capture_clear(&fx->cap);
    fixture_feed(fx, JOIN(BOB, "Bob"));
    assert_text(update_photo(fx, BOB), HELLO_SHA1);
    /* removal is stored too */
    fixture_feed(fx, VCARD_SET(ALICE, "rm", ""));
    assert_false(stored_avatar(p));
    sfx_restart(p);
    assert_int_equal(stanza_element_count(get_vcard(p->fx, BOB)), 0);
}

static void test_deleted_with_the_room(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    fixture_feed(fx, CONFIG(ALICE, "keep", FIELD("persistentroom", "1")));
    fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64)));
    assert_true(stored_avatar(p));
    capture_clear(&fx->cap);
    fixture_feed(fx, DESTROY(ALICE));
    assert_false(store_room_exists(p->st, "room"));
    assert_false(stored_avatar(p));
    /* a new room of that name starts without it */
    fixture_feed(fx, JOIN(ALICE, "Alice"));
    fixture_feed(fx, INSTANT(ALICE));
    assert_int_equal(stanza_element_count(get_vcard(fx, BOB)), 0);
}

static void test_temporary_rooms_in_memory(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    fixture_feed(fx, VCARD_SET(ALICE, "s1", PHOTO(HELLO_B64)));
    assert_false(stored_avatar(p)); /* temporary: never written */
    assert_binval(fx, get_vcard(fx, BOB), HELLO_B64);
    /* becoming persistent takes the vCard along */
    fixture_feed(fx, CONFIG(ALICE, "keep", FIELD("persistentroom", "1")));
    assert_true(store_room_exists(p->st, "room"));
    assert_true(stored_avatar(p));
    /* and back: the store forgets it, the room in memory keeps it */
    fixture_feed(fx, CONFIG(ALICE, "drop", FIELD("persistentroom", "0")));
    assert_false(store_room_exists(p->st, "room"));
    assert_false(stored_avatar(p));
    assert_binval(fx, get_vcard(fx, BOB), HELLO_B64);
    /* gone with the temporary room's last occupant */
    fixture_feed(fx, LEAVE(BOB, "Bob"));
    fixture_feed(fx, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(fx->svc, "room"));
}

static void test_full_store_refused(void **state)
{
    sfx_t *p = *state;
    fixture_t *fx = p->fx;
    room_with_bob(fx);
    fixture_feed(fx, CONFIG(ALICE, "keep", FIELD("persistentroom", "1")));
    sfx_fill_store(p->st, false);
    /* a photo of 6000 bytes */
    static unsigned char raw[6000];
    memset(raw, 7, sizeof raw);
    char *b64 = xmpp_base64_encode(fx->ctx, raw, sizeof raw);
    assert_non_null(b64);
    static char xml[12000];
    snprintf(xml, sizeof xml, VCARD_SET(ALICE, "full", PHOTO("%s")), b64);
    xmpp_free(fx->ctx, b64);
    capture_clear(&fx->cap);
    assert_int_equal(fixture_feed(fx, xml), 1);
    assert_last_error(fx, "wait", "resource-constraint", NULL);
    assert_null(the_room(fx)->avatar);
    assert_false(stored_avatar(p));
    assert_int_equal(stanza_element_count(get_vcard(fx, BOB)), 0);
}

#define T(f, c) cmocka_unit_test_prestate_setup_teardown(f, sfx_setup, sfx_teardown, &c)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_set_get_round_trip, mem),
        T(test_set_owner_only, mem),
        T(test_size_limit_and_bad_base64, small),
        T(test_removal, mem),
        T(test_disco_feature_and_hash, mem),
        T(test_change_told_to_occupants_and_joiners, mem),
        T(test_other_room_payloads_still_unavailable, mem),
        T(test_locked_room_hidden_from_non_owners, mem),
        T(test_off, off),
        T(test_stanza_limit_leaves_room_for_the_photo, stanza_limit),
        T(test_persistent_survives_restart, on_store),
        T(test_deleted_with_the_room, on_store),
        T(test_temporary_rooms_in_memory, on_store),
        T(test_full_store_refused, on_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
