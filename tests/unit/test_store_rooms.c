/* test_store_rooms.c - the LMDB store behind storage.h: room records with
 * their affiliations, deleting a room and everything of it, history blobs,
 * the ordered public index and its pages, iterating and counting rooms, a
 * read-only reader beside a writer, and a full map (MDB_MAP_FULL) that
 * refuses a write without losing anything and is grown by reopening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/storage.h"
#include "tests/support/store_fixture.h"

/* ---- helpers ---------------------------------------------------------- */

/* A public persistent room with a title, by name. */
static store_room_t simple_room(const char *name, const char *title, bool public_list)
{
    return (store_room_t){.name = (char *)name,
                          .title = (char *)title,
                          .persistent = true,
                          .public_list = public_list,
                          .history_length = 20};
}

static void save(store_t *st, const char *name, const char *title, bool public_list)
{
    store_room_t r = simple_room(name, title, public_list);
    assert_int_equal(store_room_save(st, &r, NULL, 0), STORE_OK);
}

static void save_aff(store_t *st, const char *room, const char *jid, int aff)
{
    store_room_t r = simple_room(room, NULL, false);
    store_aff_t a = {.jid = (char *)jid, .affiliation = aff};
    assert_int_equal(store_room_save(st, &r, &a, 1), STORE_OK);
}

/* The affiliation of jid among affs, or -99 when absent. */
static int aff_of(const store_aff_t *affs, size_t n, const char *jid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(affs[i].jid, jid) == 0) return affs[i].affiliation;
    return -99;
}

static size_t aff_count(store_t *st, const char *room)
{
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    assert_int_equal(store_room_load(st, room, &r, &affs, &n), STORE_OK);
    store_room_clear(&r);
    store_affs_free(affs, n);
    return n;
}

static size_t public_count(store_t *st)
{
    size_t n = 12345;
    assert_int_equal(store_public_count(st, &n), STORE_OK);
    return n;
}

static size_t room_count(store_t *st)
{
    size_t n = 12345;
    assert_int_equal(store_room_count(st, &n), STORE_OK);
    return n;
}

/* Pages the public index and joins the names with ','. */
static void page(store_t *st, const char *after, const char *before, size_t skip,
                 size_t max, char *joined, size_t cap)
{
    store_listed_t out[64];
    size_t n = 999;
    assert_true(max <= 64);
    assert_int_equal(store_public_page(st, after, before, skip, max, out, &n), STORE_OK);
    assert_true(n <= max);
    joined[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i) strncat(joined, ",", cap - strlen(joined) - 1);
        strncat(joined, out[i].name, cap - strlen(joined) - 1);
    }
    store_listed_free(out, n);
}

/* r00 .. r09, public, titled "Room NN" (even ones untitled). */
static void ten_public_rooms(store_t *st)
{
    char name[8], title[16];
    for (int i = 9; i >= 0; i--) { /* inserted out of order on purpose */
        snprintf(name, sizeof name, "r%02d", i);
        snprintf(title, sizeof title, "Room %02d", i);
        save(st, name, i % 2 ? title : NULL, true);
    }
}

/* ---- room records ----------------------------------------------------- */

static void test_room_save_load_round_trip(void **state)
{
    tstore_t *t = *state;
    store_room_t in = {
        .name = "lobby",
        .title = "The Lobby \xe2\x98\x95",
        .description = "",
        .lang = "en",
        .contacts = "alice@localhost",
        .password = "secret",
        .subject = "Welcome",
        .subject_nick = "Alice",
        .persistent = true,
        .public_list = true,
        .members_only = true,
        .moderated = true,
        .whois_anyone = true,
        .change_subject = true,
        .allow_invites = true,
        .password_protected = true,
        .allow_pm = 2,
        .max_users = 42,
        .history_length = 7,
    };
    store_aff_t affs_in[] = {
        {.jid = "carol@localhost", .affiliation = -1, .reason = "spam"},
        {.jid = "alice@localhost", .affiliation = 3, .reason = NULL, .nick = "Alice"},
        {.jid = "bob@localhost", .affiliation = 1, .reason = "friend", .nick = "Bobby"},
        {.jid = "dave@localhost", .affiliation = 2},
    };
    assert_int_equal(store_room_save(t->st, &in, affs_in, 4), STORE_OK);

    store_room_t out;
    store_aff_t *affs;
    size_t n;
    assert_int_equal(store_room_load(t->st, "lobby", &out, &affs, &n), STORE_OK);
    assert_string_equal(out.name, "lobby");
    assert_string_equal(out.title, in.title);
    assert_string_equal(out.description, "");
    assert_string_equal(out.lang, "en");
    assert_string_equal(out.contacts, "alice@localhost");
    assert_string_equal(out.password, "secret");
    assert_string_equal(out.subject, "Welcome");
    assert_string_equal(out.subject_nick, "Alice");
    assert_true(out.persistent && out.public_list && out.members_only && out.moderated &&
                out.whois_anyone && out.change_subject && out.allow_invites &&
                out.password_protected);
    assert_int_equal(out.allow_pm, 2);
    assert_int_equal(out.max_users, 42);
    assert_int_equal(out.history_length, 7);

    /* every affiliation, in JID order, with reason and nick */
    assert_int_equal(n, 4);
    const char *order[] = {"alice@localhost", "bob@localhost", "carol@localhost",
                           "dave@localhost"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(affs[i].jid, order[i]);
    assert_int_equal(affs[0].affiliation, 3);
    assert_null(affs[0].reason);
    assert_string_equal(affs[0].nick, "Alice");
    assert_int_equal(affs[1].affiliation, 1);
    assert_string_equal(affs[1].reason, "friend");
    assert_string_equal(affs[1].nick, "Bobby");
    assert_int_equal(affs[2].affiliation, -1);
    assert_string_equal(affs[2].reason, "spam");
    assert_null(affs[2].nick);
    assert_int_equal(affs[3].affiliation, 2);
    assert_null(affs[3].reason);
    store_room_clear(&out);
    store_affs_free(affs, n);
}

static void test_room_load_missing(void **state)
{
    tstore_t *t = *state;
    store_room_t out;
    store_aff_t *affs = (store_aff_t *)1;
    size_t n = 7;
    assert_int_equal(store_room_load(t->st, "nowhere", &out, &affs, &n),
                     STORE_ERR_NOTFOUND);
    assert_null(affs);
    assert_int_equal(n, 0);
    assert_false(store_room_exists(t->st, "nowhere"));
}

static void test_room_resave_replaces_record_keeps_affs(void **state)
{
    tstore_t *t = *state;
    store_room_t r = simple_room("room", "Old", true);
    store_aff_t a = {.jid = "alice@localhost", .affiliation = 3};
    assert_int_equal(store_room_save(t->st, &r, &a, 1), STORE_OK);
    r.title = "New";
    r.members_only = true;
    assert_int_equal(store_room_save(t->st, &r, NULL, 0), STORE_OK);

    store_room_t out;
    store_aff_t *affs;
    size_t n;
    assert_int_equal(store_room_load(t->st, "room", &out, &affs, &n), STORE_OK);
    assert_string_equal(out.title, "New");
    assert_true(out.members_only);
    assert_int_equal(n, 1); /* affiliations not named in a save are kept */
    assert_int_equal(aff_of(affs, n, "alice@localhost"), 3);
    store_room_clear(&out);
    store_affs_free(affs, n);
    assert_int_equal(room_count(t->st), 1);
}

static void test_aff_change_to_none_deletes(void **state)
{
    tstore_t *t = *state;
    save_aff(t->st, "room", "alice@localhost", 3);
    save_aff(t->st, "room", "bob@localhost", 1);
    save_aff(t->st, "room", "carol@localhost", -1);
    assert_int_equal(aff_count(t->st, "room"), 3);

    save_aff(t->st, "room", "bob@localhost", 0);
    store_room_t out;
    store_aff_t *affs;
    size_t n;
    assert_int_equal(store_room_load(t->st, "room", &out, &affs, &n), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(aff_of(affs, n, "bob@localhost"), -99);
    assert_int_equal(aff_of(affs, n, "alice@localhost"), 3);
    assert_int_equal(aff_of(affs, n, "carol@localhost"), -1);
    store_room_clear(&out);
    store_affs_free(affs, n);

    /* none for someone never stored is not an error */
    save_aff(t->st, "room", "nobody@localhost", 0);
    assert_int_equal(aff_count(t->st, "room"), 2);

    /* several changes in one save: later entries win */
    store_room_t r = simple_room("room", NULL, false);
    store_aff_t cs[] = {{.jid = "dave@localhost", .affiliation = 1},
                        {.jid = "alice@localhost", .affiliation = 0},
                        {.jid = "dave@localhost", .affiliation = 2}};
    assert_int_equal(store_room_save(t->st, &r, cs, 3), STORE_OK);
    assert_int_equal(store_room_load(t->st, "room", &out, &affs, &n), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(aff_of(affs, n, "alice@localhost"), -99);
    assert_int_equal(aff_of(affs, n, "dave@localhost"), 2);
    store_room_clear(&out);
    store_affs_free(affs, n);
}

static void test_room_exists(void **state)
{
    tstore_t *t = *state;
    assert_false(store_room_exists(t->st, "a"));
    save(t->st, "ab", NULL, false);
    assert_false(store_room_exists(t->st, "a")); /* no prefix match */
    assert_false(store_room_exists(t->st, "abc"));
    assert_true(store_room_exists(t->st, "ab"));
    save(t->st, "a", NULL, false);
    assert_true(store_room_exists(t->st, "a"));
}

/* ---- deleting --------------------------------------------------------- */

static void test_delete_removes_everything_of_the_room_only(void **state)
{
    tstore_t *t = *state;
    /* "a" is a prefix of "ab"; "" < "a" < "a0" < "ab" < "b" in key order */
    const char *rooms[] = {"a", "ab", "a0", "b"};
    for (size_t i = 0; i < 4; i++) {
        save(t->st, rooms[i], "T", true);
        save_aff(t->st, rooms[i], "alice@localhost", 3);
        save_aff(t->st, rooms[i], "bob@localhost", 1);
        assert_int_equal(store_history_save(t->st, rooms[i], "h", 1), STORE_OK);
        /* save_aff re-saved the room unlisted: list it again */
        save(t->st, rooms[i], "T", true);
    }
    assert_int_equal(public_count(t->st), 4);

    assert_int_equal(store_room_delete(t->st, "a"), STORE_OK);
    assert_false(store_room_exists(t->st, "a"));
    store_room_t out;
    store_aff_t *affs;
    size_t n;
    assert_int_equal(store_room_load(t->st, "a", &out, &affs, &n), STORE_ERR_NOTFOUND);
    void *h;
    size_t hl;
    assert_int_equal(store_history_load(t->st, "a", &h, &hl), STORE_ERR_NOTFOUND);
    assert_false(store_public_has(t->st, "a"));
    assert_int_equal(public_count(t->st), 3);
    assert_int_equal(room_count(t->st), 3);

    /* the others, "ab" in particular, keep everything */
    for (size_t i = 1; i < 4; i++) {
        assert_true(store_room_exists(t->st, rooms[i]));
        assert_true(store_public_has(t->st, rooms[i]));
        assert_int_equal(aff_count(t->st, rooms[i]), 2);
        assert_int_equal(store_history_load(t->st, rooms[i], &h, &hl), STORE_OK);
        assert_int_equal(hl, 1);
        free(h);
    }

    /* re-creating "a" does not bring back its old affiliations */
    save(t->st, "a", NULL, false);
    assert_int_equal(aff_count(t->st, "a"), 0);
}

static void test_delete_room_with_many_affiliations(void **state)
{
    tstore_t *t = *state;
    /* enough entries to span many LMDB pages, between two neighbours */
    char jid[64];
    save_aff(t->st, "before", "x@localhost", 1);
    save_aff(t->st, "zafter", "x@localhost", 1);
    store_room_t r = simple_room("big", NULL, true);
    store_aff_t *cs = calloc(600, sizeof *cs);
    assert_non_null(cs);
    for (int i = 0; i < 600; i++) {
        snprintf(jid, sizeof jid, "user%04d-with-a-longish-name@example.org", i);
        cs[i] = (store_aff_t){.jid = strdup(jid), .affiliation = 1 + i % 3};
    }
    assert_int_equal(store_room_save(t->st, &r, cs, 600), STORE_OK);
    assert_int_equal(aff_count(t->st, "big"), 600);

    assert_int_equal(store_room_delete(t->st, "big"), STORE_OK);
    assert_false(store_room_exists(t->st, "big"));
    save(t->st, "big", NULL, false);
    assert_int_equal(aff_count(t->st, "big"), 0);
    assert_int_equal(aff_count(t->st, "before"), 1);
    assert_int_equal(aff_count(t->st, "zafter"), 1);
    for (int i = 0; i < 600; i++)
        free(cs[i].jid);
    free(cs);
}

static void test_delete_missing_and_last_room(void **state)
{
    tstore_t *t = *state;
    assert_int_equal(store_room_delete(t->st, "ghost"), STORE_OK);
    save_aff(t->st, "only", "alice@localhost", 3);
    assert_int_equal(store_room_delete(t->st, "only"), STORE_OK);
    assert_int_equal(room_count(t->st), 0);
    assert_false(store_room_exists(t->st, "only"));
}

/* ---- history ---------------------------------------------------------- */

static void test_history_save_load_delete(void **state)
{
    tstore_t *t = *state;
    void *data;
    size_t len;
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_ERR_NOTFOUND);
    assert_null(data);
    assert_int_equal(len, 0);

    const unsigned char blob[] = {0, 1, 2, 0xff, 0, 'x', '\n', 0};
    assert_int_equal(store_history_save(t->st, "room", blob, sizeof blob), STORE_OK);
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_OK);
    assert_int_equal(len, sizeof blob);
    assert_memory_equal(data, blob, sizeof blob);
    free(data);

    /* replaced whole */
    assert_int_equal(store_history_save(t->st, "room", "abc", 3), STORE_OK);
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "abc", 3);
    free(data);

    /* NULL and empty delete; deleting twice is fine */
    assert_int_equal(store_history_save(t->st, "room", NULL, 0), STORE_OK);
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_ERR_NOTFOUND);
    assert_int_equal(store_history_save(t->st, "room", "abc", 0), STORE_OK);
    assert_int_equal(store_history_save(t->st, "room", "abc", 3), STORE_OK);
    assert_int_equal(store_history_save(t->st, "room", "abc", 0), STORE_OK);
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_ERR_NOTFOUND);

    /* a big blob (overflow pages) */
    size_t big = 100000;
    unsigned char *b = malloc(big);
    assert_non_null(b);
    for (size_t i = 0; i < big; i++)
        b[i] = (unsigned char)(i * 7);
    assert_int_equal(store_history_save(t->st, "room", b, big), STORE_OK);
    assert_int_equal(store_history_load(t->st, "room", &data, &len), STORE_OK);
    assert_int_equal(len, big);
    assert_memory_equal(data, b, big);
    free(data);
    free(b);
}

/* ---- the public index ------------------------------------------------- */

static void test_public_index_follows_public_list(void **state)
{
    tstore_t *t = *state;
    assert_int_equal(public_count(t->st), 0);
    save(t->st, "pub", "Public", true);
    save(t->st, "hidden", "Hidden", false);
    assert_true(store_public_has(t->st, "pub"));
    assert_false(store_public_has(t->st, "hidden"));
    assert_int_equal(public_count(t->st), 1);
    assert_int_equal(room_count(t->st), 2);

    /* the title in the index follows the record */
    save(t->st, "pub", "Renamed", true);
    store_listed_t out[4];
    size_t n;
    assert_int_equal(store_public_page(t->st, NULL, NULL, 0, 4, out, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].name, "pub");
    assert_string_equal(out[0].title, "Renamed");
    store_listed_free(out, n);

    /* unlisting and listing again */
    save(t->st, "pub", "Renamed", false);
    assert_false(store_public_has(t->st, "pub"));
    assert_int_equal(public_count(t->st), 0);
    assert_true(store_room_exists(t->st, "pub"));
    save(t->st, "hidden", NULL, true);
    assert_true(store_public_has(t->st, "hidden"));
    assert_int_equal(public_count(t->st), 1);
    assert_int_equal(store_public_page(t->st, NULL, NULL, 0, 4, out, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_null(out[0].title); /* no title: NULL, the caller shows the name */
    store_listed_free(out, n);
}

static void test_public_page_forward(void **state)
{
    tstore_t *t = *state;
    char got[256];
    ten_public_rooms(t->st);
    save(t->st, "r045", NULL, false); /* hidden, between r04 and r05 */

    page(t->st, NULL, NULL, 0, 3, got, sizeof got);
    assert_string_equal(got, "r00,r01,r02");
    page(t->st, "r02", NULL, 0, 3, got, sizeof got);
    assert_string_equal(got, "r03,r04,r05");
    /* the index is in room-JID order ("name@"): r03@ < r045@ < r04@ */
    page(t->st, "r045", NULL, 0, 3, got, sizeof got); /* not in the index */
    assert_string_equal(got, "r04,r05,r06");
    page(t->st, "r0", NULL, 0, 2, got, sizeof got); /* "r0@" sorts after "r09@" */
    assert_string_equal(got, "");
    page(t->st, "a", NULL, 0, 2, got, sizeof got); /* before every key */
    assert_string_equal(got, "r00,r01");
    page(t->st, NULL, NULL, 4, 3, got, sizeof got);
    assert_string_equal(got, "r04,r05,r06");
    page(t->st, "r03", NULL, 2, 3, got, sizeof got);
    assert_string_equal(got, "r06,r07,r08");
    /* more asked than is left */
    page(t->st, "r07", NULL, 0, 10, got, sizeof got);
    assert_string_equal(got, "r08,r09");
    page(t->st, NULL, NULL, 8, 10, got, sizeof got);
    assert_string_equal(got, "r08,r09");
    page(t->st, NULL, NULL, 0, 20, got, sizeof got);
    assert_string_equal(got, "r00,r01,r02,r03,r04,r05,r06,r07,r08,r09");
    /* nothing left */
    page(t->st, "r09", NULL, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, "zzz", NULL, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, NULL, 10, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, NULL, 50, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, NULL, 0, 0, got, sizeof got);
    assert_string_equal(got, "");

    /* titles come with the names */
    store_listed_t out[2];
    size_t n;
    assert_int_equal(store_public_page(t->st, "r00", NULL, 0, 2, out, &n), STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].title, "Room 01");
    assert_null(out[1].title);
    store_listed_free(out, n);
}

static void test_public_page_backward(void **state)
{
    tstore_t *t = *state;
    char got[256];
    ten_public_rooms(t->st);

    page(t->st, NULL, "", 0, 3, got, sizeof got); /* the last page */
    assert_string_equal(got, "r07,r08,r09");
    page(t->st, NULL, "r05", 0, 3, got, sizeof got);
    assert_string_equal(got, "r02,r03,r04");
    page(t->st, NULL, "r045", 0, 3, got, sizeof got); /* not in the index: r03@ < r045@ */
    assert_string_equal(got, "r01,r02,r03");
    page(t->st, NULL, "r02", 0, 5, got, sizeof got); /* fewer than max left */
    assert_string_equal(got, "r00,r01");
    page(t->st, NULL, "r00", 0, 5, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, "zzz", 0, 2, got, sizeof got); /* past the end */
    assert_string_equal(got, "r08,r09");
    page(t->st, NULL, "", 0, 20, got, sizeof got);
    assert_string_equal(got, "r00,r01,r02,r03,r04,r05,r06,r07,r08,r09");
    page(t->st, NULL, "", 0, 0, got, sizeof got);
    assert_string_equal(got, "");
}

static void test_public_page_empty_index(void **state)
{
    tstore_t *t = *state;
    char got[64];
    save(t->st, "hidden", NULL, false);
    page(t->st, NULL, NULL, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, "x", NULL, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, NULL, 3, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, "", 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    page(t->st, NULL, "x", 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    assert_int_equal(public_count(t->st), 0);
    assert_false(store_public_has(t->st, "hidden"));
}

/* ---- iterating and counting ------------------------------------------ */

typedef struct seen {
    char names[512];
    size_t calls, stop_after;
} seen_t;

static bool collect(const store_room_t *room, void *ud)
{
    seen_t *s = ud;
    if (s->names[0]) strcat(s->names, ",");
    strcat(s->names, room->name);
    assert_true(room->persistent);
    assert_int_equal(room->history_length, 20);
    return ++s->calls != s->stop_after;
}

static void test_room_iterate_and_count(void **state)
{
    tstore_t *t = *state;
    assert_int_equal(room_count(t->st), 0);
    seen_t s = {0};
    assert_int_equal(store_room_iterate(t->st, NULL, 100, collect, &s), STORE_OK);
    assert_int_equal(s.calls, 0);

    ten_public_rooms(t->st);
    save(t->st, "r045", NULL, false); /* hidden rooms are rooms too */
    assert_int_equal(room_count(t->st), 11);

    memset(&s, 0, sizeof s);
    assert_int_equal(store_room_iterate(t->st, NULL, 100, collect, &s), STORE_OK);
    assert_string_equal(s.names, "r00,r01,r02,r03,r04,r045,r05,r06,r07,r08,r09");

    memset(&s, 0, sizeof s);
    assert_int_equal(store_room_iterate(t->st, "r03", 3, collect, &s), STORE_OK);
    assert_string_equal(s.names, "r04,r045,r05");

    memset(&s, 0, sizeof s);
    assert_int_equal(store_room_iterate(t->st, "r035", 2, collect, &s), STORE_OK);
    assert_string_equal(s.names, "r04,r045");

    memset(&s, 0, sizeof s);
    assert_int_equal(store_room_iterate(t->st, "r08", 10, collect, &s), STORE_OK);
    assert_string_equal(s.names, "r09");

    memset(&s, 0, sizeof s);
    assert_int_equal(store_room_iterate(t->st, "r09", 10, collect, &s), STORE_OK);
    assert_int_equal(s.calls, 0);

    /* the callback stops it */
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    assert_int_equal(store_room_iterate(t->st, NULL, 100, collect, &s), STORE_OK);
    assert_string_equal(s.names, "r00,r01");

    assert_int_equal(store_room_delete(t->st, "r045"), STORE_OK);
    assert_int_equal(room_count(t->st), 10);
}

/* ---- a read-only reader beside the writer ----------------------------- */

static void test_read_only_beside_writer(void **state)
{
    tstore_t *t = *state;
    save_aff(t->st, "first", "alice@localhost", 3);
    store_t *ro = sfx_store_open(t->dir, SFX_MAP, true);

    assert_true(store_room_exists(ro, "first"));
    assert_int_equal(aff_count(ro, "first"), 1);

    /* writes committed after the reader opened are seen too */
    save(t->st, "second", "Second", true);
    assert_int_equal(store_history_save(t->st, "second", "hist", 4), STORE_OK);
    assert_true(store_room_exists(ro, "second"));
    assert_true(store_public_has(ro, "second"));
    assert_int_equal(room_count(ro), 2);
    assert_int_equal(public_count(ro), 1);
    void *h;
    size_t hl;
    assert_int_equal(store_history_load(ro, "second", &h, &hl), STORE_OK);
    assert_int_equal(hl, 4);
    free(h);
    assert_int_equal(store_room_delete(t->st, "first"), STORE_OK);
    assert_false(store_room_exists(ro, "first"));

    /* the reader cannot write */
    store_room_t r = simple_room("third", NULL, true);
    assert_int_not_equal(store_room_save(ro, &r, NULL, 0), STORE_OK);
    assert_int_not_equal(store_room_delete(ro, "second"), STORE_OK);
    assert_false(store_room_exists(t->st, "third"));
    assert_true(store_room_exists(t->st, "second"));

    store_close(ro);
    /* the writer goes on after the reader is gone */
    save(t->st, "fourth", NULL, false);
    assert_true(store_room_exists(t->st, "fourth"));
}

static void test_read_only_needs_an_existing_store(void **state)
{
    tstore_t *t = *state;
    char err[512], sub[128];
    store_t *ro = (store_t *)1;
    snprintf(sub, sizeof sub, "%s/missing", t->dir);
    assert_int_equal(store_open(sub, SFX_MAP, true, &ro, err, sizeof err), STORE_ERR_IO);
    assert_null(ro);
    assert_int_equal(access(sub, F_OK), -1); /* not created */
}

/* ---- a full map ------------------------------------------------------- */

#define BIG_DESC 3000

/* Saves rooms "fNN" with big descriptions until the map is full; returns
 * how many were saved. */
static int fill(store_t *st, char *desc)
{
    char name[16];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "f%03d", i);
        memset(desc, 'a' + i % 26, BIG_DESC);
        desc[BIG_DESC] = '\0';
        store_room_t r = simple_room(name, name, true);
        r.description = desc;
        store_aff_t a = {.jid = "alice@localhost", .affiliation = 3, .reason = desc};
        store_rc_t rc = store_room_save(st, &r, &a, 1);
        if (rc == STORE_ERR_FULL) return i;
        assert_int_equal(rc, STORE_OK);
    }
    fail_msg("the map never filled up");
    return -1;
}

static void check_filled(store_t *st, int saved, char *desc)
{
    char name[16];
    for (int i = 0; i < saved; i++) {
        snprintf(name, sizeof name, "f%03d", i);
        memset(desc, 'a' + i % 26, BIG_DESC);
        desc[BIG_DESC] = '\0';
        store_room_t out;
        store_aff_t *affs;
        size_t n;
        assert_int_equal(store_room_load(st, name, &out, &affs, &n), STORE_OK);
        assert_string_equal(out.title, name);
        assert_string_equal(out.description, desc);
        assert_int_equal(n, 1);
        assert_string_equal(affs[0].reason, desc);
        store_room_clear(&out);
        store_affs_free(affs, n);
        assert_true(store_public_has(st, name));
    }
    assert_int_equal(room_count(st), (size_t)saved);
    assert_int_equal(public_count(st), (size_t)saved);
}

/* Fills a store opened with a map of `map` bytes, then checks the refusal,
 * the data, and growing the map by reopening. */
static void map_full(tstore_t *t, size_t map, int at_least)
{
    char desc[BIG_DESC + 1], name[16];
    store_close(t->st);
    t->st = sfx_store_open(t->dir, map, false);

    int saved = fill(t->st, desc);
    assert_true(saved >= at_least);
    snprintf(name, sizeof name, "f%03d", saved);
    /* the refused room left nothing behind */
    assert_false(store_room_exists(t->st, name));
    assert_false(store_public_has(t->st, name));
    /* the same save again is refused the same way */
    store_room_t r = simple_room(name, name, true);
    r.description = desc;
    store_aff_t a = {.jid = "alice@localhost", .affiliation = 3, .reason = desc};
    assert_int_equal(store_room_save(t->st, &r, &a, 1), STORE_ERR_FULL);
    assert_false(store_room_exists(t->st, name));
    assert_non_null(strstr(store_last_error(t->st), "MDB_MAP_FULL"));
    /* a big history blob too */
    static char blob[64 * 1024];
    memset(blob, 'h', sizeof blob);
    assert_int_equal(store_history_save(t->st, "f000", blob, sizeof blob),
                     STORE_ERR_FULL);

    /* everything saved before is intact, and reads still work */
    check_filled(t->st, saved, desc);
    char got[64];
    page(t->st, NULL, NULL, 0, 2, got, sizeof got);
    assert_string_equal(got, saved >= 2 ? "f000,f001" : "f000");
    void *h;
    size_t hl;
    assert_int_equal(store_history_load(t->st, "f000", &h, &hl), STORE_ERR_NOTFOUND);

    /* a bigger map given by the configuration: nothing lost, writes go on */
    store_close(t->st);
    t->st = sfx_store_open(t->dir, SFX_MAP, false);
    check_filled(t->st, saved, desc);
    memset(desc, 'x', BIG_DESC);
    assert_int_equal(store_room_save(t->st, &r, &a, 1), STORE_OK);
    assert_true(store_room_exists(t->st, name));
    assert_int_equal(store_history_save(t->st, "f000", blob, sizeof blob), STORE_OK);
    assert_int_equal(room_count(t->st), (size_t)saved + 1);
}

/* 64 KiB: the first oversized put already fails (MDB_MAP_FULL in mdb_put) */
static void test_map_full_tiny_map(void **state)
{
    map_full(*state, 64u * 1024, 1);
}

/* 256 KiB: a score of rooms fit; the failure comes at commit */
static void test_map_full_small_map(void **state)
{
    map_full(*state, 256u * 1024, 10);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tstore_setup, tstore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_room_save_load_round_trip),
        T(test_room_load_missing),
        T(test_room_resave_replaces_record_keeps_affs),
        T(test_aff_change_to_none_deletes),
        T(test_room_exists),
        T(test_delete_removes_everything_of_the_room_only),
        T(test_delete_room_with_many_affiliations),
        T(test_delete_missing_and_last_room),
        T(test_history_save_load_delete),
        T(test_public_index_follows_public_list),
        T(test_public_page_forward),
        T(test_public_page_backward),
        T(test_public_page_empty_index),
        T(test_room_iterate_and_count),
        T(test_read_only_beside_writer),
        T(test_read_only_needs_an_existing_store),
        T(test_map_full_tiny_map),
        T(test_map_full_small_map),
    };
#undef T
    return cmocka_run_group_tests_name("store_rooms", tests, NULL, NULL);
}
