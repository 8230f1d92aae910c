/* test_disco_rsm.c - the service's disco#items (XEP-0030) paged with
 * Result Set Management (XEP-0059) through the core: the stored public
 * index merged with the public temporary rooms in memory, in JID order,
 * forward with <after/>, backward with <before/>, by <index/>, <max/> 0,
 * unknown ids and malformed sets, the service's cap without <set/>; and
 * rsm_parse on its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/rsm.h"
#include "muc/ns.h"
#include "tests/support/fixture.h"
#include "tests/support/store_fixture.h"

#define ALICE   "alice@localhost/a"
#define BOB     "bob@localhost/b"
#define CAP     10
#define NPUBLIC 27 /* 25 stored + 2 temporary */
#define SET(x)  "<set xmlns='" NS_RSM "'>" x "</set>"

/* Every public room JID, in order (set up by setup). */
static char expected[NPUBLIC][64];
static size_t nexpected;

/* What a disco#items reply held. */
typedef struct page {
    char jids[64][64];
    char names[64][64];
    size_t n;
    bool has_set;
    char first[64], last[64];
    bool has_first, has_last;
    long first_index; /* -1: absent */
    long count;       /* -1: absent */
} page_t;

/* ---- setup ------------------------------------------------------------ */

/* The cmocka prestate of every setup here. */
static sfx_config_t config = {.opts = {.name = "Test Rooms",
                                       .history_length = 20,
                                       .max_nick_length = 20,
                                       .max_disco_items = CAP}};

static sfx_t *new_pfx(void **state)
{
    assert_int_equal(sfx_setup(state), 0);
    nexpected = 0;
    return *state;
}

static void feedf(sfx_t *p, const char *fmt, const char *room, const char *arg)
{
    char xml[2048];
    snprintf(xml, sizeof xml, fmt, room, arg);
    fixture_feed(p->fx, xml);
}

/* Alice creates `name` through the core, submits `fields` and stays in it.
 * locked: stops after the join (a new room nobody configured). */
static void core_room(sfx_t *p, const char *name, const char *fields, bool locked)
{
    feedf(p,
          "<presence from='" ALICE "' to='%s@" FX_DOMAIN "/Alice'><x xmlns='" NS_MUC
          "'/></presence>%s",
          name, "");
    if (!locked) {
        feedf(p,
              "<iq type='set' id='cfg' from='" ALICE "' to='%s@" FX_DOMAIN
              "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
              "' type='submit'>%s</x></query></iq>",
              name, fields);
        xmpp_stanza_t *r = p->fx->cap.stanzas[p->fx->cap.count - 1];
        assert_string_equal(xmpp_stanza_get_name(r), "iq");
        assert_attr(r, "type", "result");
    }
    assert_non_null(service_room_loaded(p->fx->svc, name));
    capture_clear(&p->fx->cap);
}

static void stored_room(sfx_t *p, const char *name, const char *title, bool public_list)
{
    store_room_t r = {.name = (char *)name,
                      .title = (char *)title,
                      .persistent = true,
                      .public_list = public_list,
                      .history_length = 20};
    assert_int_equal(store_room_save(p->st, &r, NULL, 0), STORE_OK);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* 25 persistent public rooms room01..room25 (room03 made through the core
 * and kept loaded by Alice), 2 temporary public ones (room07a, room19a) in
 * memory; hidden: room10h (stored), room12h (temporary), room16h
 * (persistent, loaded), and room14l (locked, never configured). */
static int setup(void **state)
{
    sfx_t *p = new_pfx(state);
    char name[16], title[16];
    for (int i = 1; i <= 25; i++) {
        snprintf(name, sizeof name, "room%02d", i);
        snprintf(title, sizeof title, "Room %02d", i);
        if (i != 3) stored_room(p, name, i % 2 ? title : NULL, true);
        snprintf(expected[nexpected++], 64, "%s@" FX_DOMAIN, name);
    }
    core_room(p, "room03",
              "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
              "<field var='muc#roomconfig_roomname'><value>Room 03</value></field>",
              false);
    stored_room(p, "room10h", "Hidden", false);
    core_room(p, "room07a", "", false);
    core_room(p, "room19a",
              "<field var='muc#roomconfig_roomname'><value>Temp 19a</value></field>",
              false);
    core_room(p, "room12h",
              "<field var='muc#roomconfig_publicroom'><value>0</value></field>", false);
    core_room(p, "room16h",
              "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
              "<field var='muc#roomconfig_publicroom'><value>0</value></field>",
              false);
    core_room(p, "room14l", "", true);
    strcpy(expected[nexpected++], "room07a@" FX_DOMAIN);
    strcpy(expected[nexpected++], "room19a@" FX_DOMAIN);
    qsort(expected, nexpected, sizeof expected[0], by_string);
    assert_int_equal(nexpected, NPUBLIC);
    size_t listed = 0;
    assert_int_equal(store_public_count(p->st, &listed), STORE_OK);
    assert_int_equal(listed, 25);
    return 0;
}

/* Three stored public rooms and two temporary ones: fewer than the cap. */
static int setup_few(void **state)
{
    sfx_t *p = new_pfx(state);
    stored_room(p, "beta", "Beta", true);
    stored_room(p, "delta", NULL, true);
    stored_room(p, "epsilon", "Eps", true);
    stored_room(p, "hidden", NULL, false);
    core_room(p, "alpha", "", false);
    core_room(p, "gamma", "", false);
    return 0;
}

/* An empty service: no rooms at all. */
static int setup_empty(void **state)
{
    new_pfx(state);
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Sends a service disco#items with `inner` in the query; returns the
 * reply (borrowed from the capture, cleared first). */
static xmpp_stanza_t *ask(sfx_t *p, const char *inner)
{
    char xml[4096];
    capture_clear(&p->fx->cap);
    snprintf(xml, sizeof xml,
             "<iq type='get' id='q1' from='" BOB "' to='" FX_DOMAIN
             "'><query xmlns='" NS_DISCO_ITEMS "'>%s</query></iq>",
             inner);
    assert_int_equal(fixture_feed(p->fx, xml), 1);
    xmpp_stanza_t *r = capture_at(&p->fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(r), "iq");
    assert_attr(r, "id", "q1");
    assert_attr(r, "to", BOB);
    return r;
}

static void copy_text(xmpp_stanza_t *st, char *out, size_t cap)
{
    char *t = xmpp_stanza_get_text(st);
    snprintf(out, cap, "%s", t ? t : "");
    if (t) xmpp_free(xmpp_stanza_get_context(st), t);
}

/* Asks and parses a successful reply into pg. */
static void get_page(sfx_t *p, const char *inner, page_t *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->first_index = pg->count = -1;
    xmpp_stanza_t *r = ask(p, inner);
    assert_attr(r, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_ITEMS);
    assert_non_null(q);
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c)) continue;
        const char *name = xmpp_stanza_get_name(c);
        if (strcmp(name, "item") == 0) {
            assert_true(pg->n < 64);
            const char *jid = xmpp_stanza_get_attribute(c, "jid");
            const char *iname = xmpp_stanza_get_attribute(c, "name");
            assert_non_null(jid);
            snprintf(pg->jids[pg->n], 64, "%s", jid);
            snprintf(pg->names[pg->n], 64, "%s", iname ? iname : "");
            pg->n++;
        } else if (strcmp(name, "set") == 0) {
            assert_string_equal(xmpp_stanza_get_ns(c), NS_RSM);
            assert_false(pg->has_set);
            pg->has_set = true;
            xmpp_stanza_t *f = xmpp_stanza_get_child_by_name(c, "first");
            xmpp_stanza_t *l = xmpp_stanza_get_child_by_name(c, "last");
            xmpp_stanza_t *n = xmpp_stanza_get_child_by_name(c, "count");
            if (f) {
                pg->has_first = true;
                copy_text(f, pg->first, sizeof pg->first);
                const char *idx = xmpp_stanza_get_attribute(f, "index");
                if (idx) pg->first_index = strtol(idx, NULL, 10);
            }
            if (l) {
                pg->has_last = true;
                copy_text(l, pg->last, sizeof pg->last);
            }
            if (n) {
                char buf[32];
                copy_text(n, buf, sizeof buf);
                pg->count = strtol(buf, NULL, 10);
            }
        } else {
            fail_msg("unexpected <%s/> in disco#items", name);
        }
    }
}

/* Asserts the page holds exactly expected[from .. from+n) and that its
 * <first/> and <last/> name its ends. */
static void assert_page_is(const page_t *pg, size_t from, size_t n)
{
    if (pg->n != n) fail_msg("page of %zu items, expected %zu", pg->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(pg->jids[i], expected[from + i]);
    if (n) {
        assert_true(pg->has_first && pg->has_last);
        assert_string_equal(pg->first, pg->jids[0]);
        assert_string_equal(pg->last, pg->jids[n - 1]);
    } else {
        assert_false(pg->has_first);
        assert_false(pg->has_last);
    }
}

static void assert_error(sfx_t *p, const char *inner, const char *type, const char *cond)
{
    assert_stanza_error(ask(p, inner), type, cond);
}

/* ---- pages ------------------------------------------------------------ */

static void test_first_page(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>10</max>"), &pg);
    assert_page_is(&pg, 0, 10);
    assert_true(pg.has_set);
    assert_int_equal(pg.first_index, 0);
    assert_int_equal(pg.count, NPUBLIC);
    /* room07a (temporary) sits between room07 and room08 */
    assert_string_equal(pg.jids[7], "room07a@" FX_DOMAIN);
    /* names: the title, else the room's name */
    assert_string_equal(pg.names[0], "Room 01");
    assert_string_equal(pg.names[1], "room02");
    assert_string_equal(pg.names[2], "Room 03");
}

static void test_forward_paging_lists_every_public_room_once(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    char seen[NPUBLIC + 10][64], rsm[256];
    size_t nseen = 0, pages = 0;
    get_page(p, SET("<max>10</max>"), &pg);
    for (;;) {
        assert_int_equal(pg.count, NPUBLIC);
        for (size_t i = 0; i < pg.n && nseen < NPUBLIC + 10; i++)
            strcpy(seen[nseen++], pg.jids[i]);
        if (++pages > 10) fail_msg("paging does not end");
        if (pg.n < 10) break;
        snprintf(rsm, sizeof rsm, SET("<max>10</max><after>%s</after>"), pg.last);
        get_page(p, rsm, &pg);
        if (pg.n) assert_int_equal(pg.first_index, -1);
    }
    assert_int_equal(pages, 3); /* 10 + 10 + 7 */
    assert_int_equal(nseen, NPUBLIC);
    for (size_t i = 0; i < NPUBLIC; i++)
        assert_string_equal(seen[i], expected[i]); /* each once, in order */

    /* after the very last one: an empty page that still counts */
    snprintf(rsm, sizeof rsm, SET("<max>10</max><after>%s</after>"),
             expected[NPUBLIC - 1]);
    get_page(p, rsm, &pg);
    assert_page_is(&pg, 0, 0);
    assert_true(pg.has_set);
    assert_int_equal(pg.count, NPUBLIC);
}

static void test_after_a_temporary_room(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>3</max><after>room07a@" FX_DOMAIN "</after>"), &pg);
    assert_page_is(&pg, 8, 3); /* room08, room09, room10 */
    assert_string_equal(pg.jids[0], "room08@" FX_DOMAIN);
    get_page(p, SET("<max>3</max><after>room18@" FX_DOMAIN "</after>"), &pg);
    assert_string_equal(pg.jids[0], "room19@" FX_DOMAIN);
    assert_string_equal(pg.jids[1], "room19a@" FX_DOMAIN);
    assert_string_equal(pg.jids[2], "room20@" FX_DOMAIN);
}

static void test_last_page_with_empty_before(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>10</max><before/>"), &pg);
    assert_page_is(&pg, NPUBLIC - 10, 10);
    assert_int_equal(pg.first_index, NPUBLIC - 10);
    assert_int_equal(pg.count, NPUBLIC);

    /* without <max>: the service's cap */
    get_page(p, SET("<before/>"), &pg);
    assert_page_is(&pg, NPUBLIC - CAP, CAP);
    assert_int_equal(pg.first_index, NPUBLIC - CAP);

    /* more than there is */
    get_page(p, SET("<max>5</max><before></before>"), &pg);
    assert_page_is(&pg, NPUBLIC - 5, 5);
    assert_int_equal(pg.first_index, NPUBLIC - 5);
}

static void test_before_id_gives_previous_page(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    char rsm[256];
    /* before expected[15]: expected[5..14] */
    snprintf(rsm, sizeof rsm, SET("<max>10</max><before>%s</before>"), expected[15]);
    get_page(p, rsm, &pg);
    assert_page_is(&pg, 5, 10);
    assert_int_equal(pg.count, NPUBLIC);
    if (pg.first_index >= 0) assert_int_equal(pg.first_index, 5);

    /* before a temporary room, and before the first ones */
    get_page(p, SET("<max>2</max><before>room19a@" FX_DOMAIN "</before>"), &pg);
    assert_string_equal(pg.jids[0], "room18@" FX_DOMAIN);
    assert_string_equal(pg.jids[1], "room19@" FX_DOMAIN);
    snprintf(rsm, sizeof rsm, SET("<max>10</max><before>%s</before>"), expected[3]);
    get_page(p, rsm, &pg);
    assert_page_is(&pg, 0, 3);
    snprintf(rsm, sizeof rsm, SET("<max>10</max><before>%s</before>"), expected[0]);
    get_page(p, rsm, &pg);
    assert_page_is(&pg, 0, 0);
    assert_int_equal(pg.count, NPUBLIC);
}

static void test_backward_paging_lists_every_public_room_once(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    char rsm[256];
    size_t end = NPUBLIC, pages = 0;
    get_page(p, SET("<max>10</max><before/>"), &pg);
    for (;;) {
        size_t from = end >= pg.n ? end - pg.n : 0;
        assert_page_is(&pg, from, end - from);
        end = from;
        if (++pages > 10) fail_msg("paging does not end");
        if (pg.n < 10) break;
        snprintf(rsm, sizeof rsm, SET("<max>10</max><before>%s</before>"), pg.first);
        get_page(p, rsm, &pg);
    }
    assert_int_equal(end, 0);
    assert_int_equal(pages, 3);
}

static void test_index_skips(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>10</max><index>5</index>"), &pg);
    assert_page_is(&pg, 5, 10);
    assert_int_equal(pg.first_index, 5);
    assert_int_equal(pg.count, NPUBLIC);

    get_page(p, SET("<max>10</max><index>20</index>"), &pg);
    assert_page_is(&pg, 20, 7);
    assert_int_equal(pg.first_index, 20);

    get_page(p, SET("<max>10</max><index>0</index>"), &pg);
    assert_page_is(&pg, 0, 10);

    get_page(p, SET("<max>10</max><index>27</index>"), &pg);
    assert_page_is(&pg, 0, 0);
    assert_int_equal(pg.count, NPUBLIC);
    get_page(p, SET("<max>10</max><index>1000</index>"), &pg);
    assert_page_is(&pg, 0, 0);
}

static void test_max_zero_only_count(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>0</max>"), &pg);
    assert_page_is(&pg, 0, 0);
    assert_true(pg.has_set);
    assert_int_equal(pg.count, NPUBLIC);
}

static void test_max_above_cap_is_capped(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, SET("<max>50</max>"), &pg);
    assert_page_is(&pg, 0, CAP);
    assert_int_equal(pg.count, NPUBLIC);
}

static void test_unknown_ids_item_not_found(void **state)
{
    sfx_t *p = *state;
    const char *ids[] = {
        "nosuch@" FX_DOMAIN,  /* exists nowhere */
        "room10h@" FX_DOMAIN, /* stored, hidden */
        "room12h@" FX_DOMAIN, /* temporary, hidden */
        "room16h@" FX_DOMAIN, /* persistent, loaded, hidden */
        "room14l@" FX_DOMAIN, /* locked */
        "room01@elsewhere.example", "room01", "@" FX_DOMAIN,
    };
    char rsm[256];
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        snprintf(rsm, sizeof rsm, SET("<max>10</max><after>%s</after>"), ids[i]);
        assert_error(p, rsm, "cancel", "item-not-found");
        snprintf(rsm, sizeof rsm, SET("<max>10</max><before>%s</before>"), ids[i]);
        assert_error(p, rsm, "cancel", "item-not-found");
    }
}

static void test_malformed_set_bad_request(void **state)
{
    sfx_t *p = *state;
    assert_error(p, SET("<max>abc</max>"), "modify", "bad-request");
    assert_error(p, SET("<max>-1</max>"), "modify", "bad-request");
    assert_error(p, SET("<max>10x</max>"), "modify", "bad-request");
    assert_error(p, SET("<max/>"), "modify", "bad-request");
    assert_error(p, SET("<index>x</index>"), "modify", "bad-request");
    assert_error(p, SET("<index>-3</index>"), "modify", "bad-request");
    assert_error(p, SET("<after>room01@" FX_DOMAIN "</after><before/>"), "modify",
                 "bad-request");
    assert_error(p, SET("<after/>"), "modify", "bad-request");
}

/* ---- without <set/> --------------------------------------------------- */

static void test_no_rsm_more_than_cap(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, "", &pg);
    assert_page_is(&pg, 0, CAP);
    assert_true(pg.has_set); /* tells the list goes on */
    assert_int_equal(pg.count, NPUBLIC);
    assert_int_equal(pg.first_index, 0);
}

static void test_no_rsm_fewer_than_cap(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, "", &pg);
    const char *want[] = {"alpha", "beta", "delta", "epsilon", "gamma"};
    const char *names[] = {"alpha", "Beta", "delta", "Eps", "gamma"};
    assert_int_equal(pg.n, 5);
    for (size_t i = 0; i < 5; i++) {
        char jid[64];
        snprintf(jid, sizeof jid, "%s@" FX_DOMAIN, want[i]);
        assert_string_equal(pg.jids[i], jid);
        assert_string_equal(pg.names[i], names[i]);
    }
    assert_false(pg.has_set);

    /* with a <set/> the same list, counted */
    get_page(p, SET("<max>3</max>"), &pg);
    assert_int_equal(pg.n, 3);
    assert_int_equal(pg.count, 5);
    get_page(p, SET("<max>3</max><after>delta@" FX_DOMAIN "</after>"), &pg);
    assert_int_equal(pg.n, 2);
    assert_string_equal(pg.jids[0], "epsilon@" FX_DOMAIN);
    assert_string_equal(pg.jids[1], "gamma@" FX_DOMAIN);
}

/* A temporary room leaves the listing when hidden or destroyed, and is
 * listed once (from the public index) when it becomes persistent; its title
 * follows its configuration. */
static void test_temporary_room_changes(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    const char *cfg = "<iq type='set' id='cfg' from='" ALICE "' to='%s@" FX_DOMAIN
                      "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
                      "' type='submit'>%s</x></query></iq>";
    feedf(p, cfg, "alpha",
          "<field var='muc#roomconfig_roomname'><value>Alpha!</value></field>");
    get_page(p, "", &pg);
    assert_int_equal(pg.n, 5);
    assert_string_equal(pg.names[0], "Alpha!");
    feedf(p, cfg, "alpha",
          "<field var='muc#roomconfig_publicroom'><value>0</value></field>");
    get_page(p, SET(""), &pg);
    assert_int_equal(pg.count, 4);
    assert_string_equal(pg.jids[0], "beta@" FX_DOMAIN);
    feedf(p, cfg, "alpha",
          "<field var='muc#roomconfig_publicroom'><value>1</value></field>"
          "<field var='muc#roomconfig_persistentroom'><value>1</value></field>");
    get_page(p, SET(""), &pg);
    assert_int_equal(pg.count, 5); /* once: in the public index, not the live one */
    assert_string_equal(pg.jids[0], "alpha@" FX_DOMAIN);
    size_t live = 9;
    assert_int_equal(store_live_count(p->st, &live), STORE_OK);
    assert_int_equal(live, 1); /* gamma */
    /* gamma's last occupant leaves: the temporary room is gone */
    fixture_feed(p->fx, "<presence type='unavailable' from='" ALICE
                        "' to='gamma@" FX_DOMAIN "/Alice'/>");
    get_page(p, SET(""), &pg);
    assert_int_equal(pg.count, 4);
    assert_int_equal(store_live_count(p->st, &live), STORE_OK);
    assert_int_equal(live, 0);
}

static void test_empty_service(void **state)
{
    sfx_t *p = *state;
    page_t pg;
    get_page(p, "", &pg);
    assert_int_equal(pg.n, 0);
    assert_false(pg.has_set);
    get_page(p, SET("<max>10</max>"), &pg);
    assert_int_equal(pg.n, 0);
    assert_true(pg.has_set);
    assert_false(pg.has_first);
    assert_int_equal(pg.count, 0);
    get_page(p, SET("<before/>"), &pg);
    assert_int_equal(pg.n, 0);
    assert_int_equal(pg.count, 0);
}

/* Names that share prefixes and hold characters sorting before '@' (so
 * localpart order and full-JID string order differ): paging one item at a
 * time, forward and backward, still lists each public room exactly once. */
static void test_paging_consistent_with_prefix_names(void **state)
{
    sfx_t *p = *state;
    const char *stored[] = {"a", "a-b", "a.b", "a0", "a1", "a10", "ab", "b"};
    for (size_t i = 0; i < 8; i++)
        stored_room(p, stored[i], NULL, true);
    stored_room(p, "a-a", NULL, false); /* hidden */
    core_room(p, "a-c", "", false);
    core_room(p, "a2", "", false);
    const size_t total = 10;

    page_t pg;
    char fwd[16][64], bwd[16][64], rsm[256];
    size_t nf = 0, nb = 0;
    get_page(p, SET("<max>1</max>"), &pg);
    while (pg.n == 1 && nf < 16) {
        assert_int_equal(pg.count, (long)total);
        strcpy(fwd[nf++], pg.jids[0]);
        snprintf(rsm, sizeof rsm, SET("<max>1</max><after>%s</after>"), pg.last);
        get_page(p, rsm, &pg);
    }
    assert_int_equal(pg.n, 0);
    assert_int_equal(nf, total);
    get_page(p, SET("<max>1</max><before/>"), &pg);
    while (pg.n == 1 && nb < 16) {
        strcpy(bwd[nb++], pg.jids[0]);
        snprintf(rsm, sizeof rsm, SET("<max>1</max><before>%s</before>"), pg.first);
        get_page(p, rsm, &pg);
    }
    assert_int_equal(pg.n, 0);
    assert_int_equal(nb, total);
    for (size_t i = 0; i < total; i++) {
        assert_string_equal(fwd[i], bwd[total - 1 - i]); /* the same order */
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(fwd[i], fwd[k]); /* each once */
        assert_string_not_equal(fwd[i], "a-a@" FX_DOMAIN);
    }
    /* the whole list in one page agrees with the paging */
    get_page(p, SET("<max>10</max>"), &pg);
    assert_int_equal(pg.n, total);
    for (size_t i = 0; i < total; i++)
        assert_string_equal(pg.jids[i], fwd[i]);
}

/* ---- rsm_parse -------------------------------------------------------- */

static int parse(xmpp_ctx_t *ctx, const char *set_inner, rsm_req_t *r)
{
    char xml[4096];
    snprintf(xml, sizeof xml, "<query xmlns='" NS_DISCO_ITEMS "'>%s</query>", set_inner);
    xmpp_stanza_t *q = xmpp_stanza_new_from_string(ctx, xml);
    assert_non_null(q);
    int rc = rsm_parse(q, r);
    xmpp_stanza_release(q);
    return rc;
}

static void test_rsm_parse(void **state)
{
    fixture_t *fx = *state;
    rsm_req_t r;

    assert_int_equal(parse(fx->ctx, "", &r), 0);
    assert_false(r.present);
    assert_int_equal(r.max, -1);
    assert_int_equal(r.index, -1);
    /* a <set/> of another namespace is not RSM */
    assert_int_equal(parse(fx->ctx, "<set><max>x</max></set>", &r), 0);
    assert_false(r.present);

    assert_int_equal(parse(fx->ctx, SET(""), &r), 0);
    assert_true(r.present);
    assert_int_equal(r.max, -1);
    assert_false(r.has_after || r.has_before);

    assert_int_equal(
        parse(fx->ctx, SET("<max>7</max><after>x@y</after><index>3</index>"), &r), 0);
    assert_int_equal(r.max, 7);
    assert_int_equal(r.index, 3);
    assert_true(r.has_after);
    assert_false(r.has_before);
    assert_string_equal(r.after, "x@y");

    assert_int_equal(parse(fx->ctx, SET("<before/>"), &r), 0);
    assert_true(r.has_before);
    assert_string_equal(r.before, "");
    assert_int_equal(parse(fx->ctx, SET("<before>b@y</before><max>0</max>"), &r), 0);
    assert_string_equal(r.before, "b@y");
    assert_int_equal(r.max, 0);

    /* refused */
    assert_int_equal(parse(fx->ctx, SET("<after>a@y</after><before>b@y</before>"), &r),
                     -1);
    assert_int_equal(parse(fx->ctx, SET("<after>a@y</after><before/>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<max>-1</max>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<max>-0x5</max>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<max>abc</max>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<max></max>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<index>-2</index>"), &r), -1);
    assert_int_equal(parse(fx->ctx, SET("<index>1.5</index>"), &r), -1);
    assert_int_equal(
        parse(fx->ctx, SET("<max>123456789012345678901234567890123</max>"), &r), -1);

    /* ids up to RSM_ID_MAX - 1 characters, no longer */
    char id[RSM_ID_MAX + 1], xml[RSM_ID_MAX + 200];
    memset(id, 'a', RSM_ID_MAX - 1);
    id[RSM_ID_MAX - 1] = '\0';
    snprintf(xml, sizeof xml, SET("<after>%s</after>"), id);
    assert_int_equal(parse(fx->ctx, xml, &r), 0);
    assert_int_equal(strlen(r.after), RSM_ID_MAX - 1);
    strcat(id, "a");
    snprintf(xml, sizeof xml, SET("<after>%s</after>"), id);
    assert_int_equal(parse(fx->ctx, xml, &r), -1);
    snprintf(xml, sizeof xml, SET("<before>%s</before>"), id);
    assert_int_equal(parse(fx->ctx, xml, &r), -1);
}

int main(void)
{
#define T(f, s) cmocka_unit_test_prestate_setup_teardown(f, s, sfx_teardown, &config)
    const struct CMUnitTest tests[] = {
        T(test_first_page, setup),
        T(test_forward_paging_lists_every_public_room_once, setup),
        T(test_after_a_temporary_room, setup),
        T(test_last_page_with_empty_before, setup),
        T(test_before_id_gives_previous_page, setup),
        T(test_backward_paging_lists_every_public_room_once, setup),
        T(test_index_skips, setup),
        T(test_max_zero_only_count, setup),
        T(test_max_above_cap_is_capped, setup),
        T(test_unknown_ids_item_not_found, setup),
        T(test_malformed_set_bad_request, setup),
        T(test_no_rsm_more_than_cap, setup),
        T(test_no_rsm_fewer_than_cap, setup_few),
        T(test_temporary_room_changes, setup_few),
        T(test_empty_service, setup_empty),
        T(test_paging_consistent_with_prefix_names, setup_empty),
        cmocka_unit_test_setup_teardown(test_rsm_parse, fixture_setup, fixture_teardown),
    };
#undef T
    return cmocka_run_group_tests_name("disco_rsm", tests, NULL, NULL);
}
