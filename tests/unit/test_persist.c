/* test_persist.c - persistent rooms through the core with a real store
 * (muc/persist.c): the owner form writes them, a restart finds them, they
 * are loaded lazily when a stanza names them and unloaded again when empty,
 * affiliations, the subject and the history survive, destroying or
 * switching persistence off deletes them, temporary rooms are never
 * written, and a full store refuses a change without applying it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/muc_asserts.h"
#include "tests/support/store_fixture.h"

#define ROOM_NAME "room" /* the local part of ROOM */

#define GROUPCHAT(from, body)                                                            \
    "<message type='groupchat' from='" from "' to='" ROOM "'><body>" body                \
    "</body></message>"
#define SUBJECT(from, text)                                                              \
    "<message type='groupchat' from='" from "' to='" ROOM "'><subject>" text             \
    "</subject></message>"
#define ROOM_INFO(from, id)                                                              \
    "<iq type='get' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_DISCO_INFO "'/></iq>"
#define DESTROY(from, id)                                                                \
    "<iq type='set' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_OWNER                                                      \
    "'><destroy><reason>bye</reason></destroy></query></iq>"

/* ---- setup ------------------------------------------------------------ */

/* mucd stops and starts again on the same store. */
static void restart(sfx_t *p)
{
    sfx_restart(p);
    assert_int_equal(hash_count(p->fx->svc->rooms), 0); /* nothing loaded */
}

/* ---- helpers ---------------------------------------------------------- */

static size_t feed(sfx_t *p, const char *xml)
{
    return fixture_feed(p->fx, xml);
}

/* The captured IQ with this id, failing if absent. */
static xmpp_stanza_t *iq_reply(sfx_t *p, const char *id)
{
    for (size_t i = 0; i < p->fx->cap.count; i++) {
        xmpp_stanza_t *st = p->fx->cap.stanzas[i];
        const char *v = xmpp_stanza_get_id(st);
        if (strcmp(xmpp_stanza_get_name(st), "iq") == 0 && v && strcmp(v, id) == 0)
            return st;
    }
    fail_msg("no reply to iq '%s'", id);
    return NULL;
}

static void assert_iq_result(sfx_t *p, const char *id)
{
    assert_attr(iq_reply(p, id), "type", "result");
}

/* The text of child `name` (caller frees with xmpp_free), or NULL. */
static char *child_text(xmpp_stanza_t *st, const char *name)
{
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);
    return c ? xmpp_stanza_get_text(c) : NULL;
}

/* Bodies of the delayed groupchat messages captured for `to`, joined with
 * ','; asserts every one of them carries a XEP-0203 delay from the room. */
static void delayed_bodies(sfx_t *p, const char *to, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < p->fx->cap.count; i++) {
        xmpp_stanza_t *st = p->fx->cap.stanzas[i];
        if (strcmp(xmpp_stanza_get_name(st), "message") != 0 || !is_to(st, to)) continue;
        char *body = child_text(st, "body");
        if (!body) continue;
        xmpp_stanza_t *d = xmpp_stanza_get_child_by_name_and_ns(st, "delay", NS_DELAY);
        assert_non_null(d);
        assert_attr(d, "from", ROOM);
        assert_non_null(xmpp_stanza_get_attribute(d, "stamp"));
        if (out[0]) strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, body, cap - strlen(out) - 1);
        xmpp_free(p->fx->ctx, body);
    }
}

/* The subject message sent to `to` (the one with <subject/>), or NULL. */
static xmpp_stanza_t *subject_message(sfx_t *p, const char *to)
{
    for (size_t i = 0; i < p->fx->cap.count; i++) {
        xmpp_stanza_t *st = p->fx->cap.stanzas[i];
        if (is_to(st, to) && strcmp(xmpp_stanza_get_name(st), "message") == 0 &&
            xmpp_stanza_get_child_by_name(st, "subject"))
            return st;
    }
    return NULL;
}

/* Alice creates room@ (locked), then submits `fields` as its config. */
static void create_room_with(sfx_t *p, const char *config_xml)
{
    assert_int_equal(feed(p, JOIN(ALICE, "Alice")), 2);
    capture_clear(&p->fx->cap);
    feed(p, config_xml);
    assert_iq_result(p, "create");
    assert_false(service_room_loaded(p->fx->svc, ROOM_NAME)->locked);
    capture_clear(&p->fx->cap);
}

/* Alice's persistent room, titled, with Alice still in it. */
static void create_persistent(sfx_t *p)
{
    create_room_with(p, CONFIG(ALICE, "create",
                               FIELD("persistentroom", "1")
                                   FIELD("roomname", "Persistent Room")));
    assert_true(store_room_exists(p->st, ROOM_NAME));
}

static void load_record(sfx_t *p, store_room_t *r, store_aff_t **affs, size_t *n)
{
    assert_int_equal(store_room_load(p->st, ROOM_NAME, r, affs, n), STORE_OK);
}

static int stored_aff(sfx_t *p, const char *jid)
{
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    int out = -99;
    load_record(p, &r, &affs, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(affs[i].jid, jid) == 0) out = affs[i].affiliation;
    store_room_clear(&r);
    store_affs_free(affs, n);
    return out;
}

static size_t stored_rooms(sfx_t *p)
{
    size_t n = 999;
    assert_int_equal(store_room_count(p->st, &n), STORE_OK);
    return n;
}

/* ---- writing ---------------------------------------------------------- */

static void test_owner_form_stores_room_with_config(void **state)
{
    sfx_t *p = *state;
    create_room_with(
        p, CONFIG(ALICE, "create",
                  FIELD("persistentroom", "1") FIELD("roomname", "Persistent Room")
                      FIELD("roomdesc", "All about \xc3\xa9t\xc3\xa9") FIELD("lang", "fr")
                          FIELD("moderatedroom", "1") FIELD("maxusers", "30")
                              FIELD("historylength", "5")));
    assert_true(store_room_exists(p->st, ROOM_NAME));
    assert_true(store_public_has(p->st, ROOM_NAME));
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.name, ROOM_NAME);
    assert_string_equal(r.title, "Persistent Room");
    assert_string_equal(r.description, "All about \xc3\xa9t\xc3\xa9");
    assert_string_equal(r.lang, "fr");
    assert_true(r.persistent);
    assert_true(r.public_list);
    assert_true(r.moderated);
    assert_false(r.members_only);
    assert_int_equal(r.max_users, 30);
    assert_int_equal(r.history_length, 5);
    /* becoming persistent writes the affiliations the room already had */
    assert_int_equal(n, 1);
    assert_string_equal(affs[0].jid, "alice@localhost");
    assert_int_equal(affs[0].affiliation, 3);
    store_room_clear(&r);
    store_affs_free(affs, n);

    /* a later change of the config is written too */
    feed(p, CONFIG(ALICE, "c2", FIELD("roomname", "Renamed") FIELD("publicroom", "0")));
    assert_iq_result(p, "c2");
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.title, "Renamed");
    assert_false(r.public_list);
    assert_true(r.moderated); /* untouched fields kept */
    store_room_clear(&r);
    store_affs_free(affs, n);
    assert_false(store_public_has(p->st, ROOM_NAME));

    /* the owner list of the form is written as affiliation changes */
    feed(p, CONFIG(ALICE, "c3",
                   "<field var='muc#roomconfig_roomowners'><value>alice@localhost</value>"
                   "<value>bob@localhost</value></field>"));
    assert_iq_result(p, "c3");
    assert_int_equal(stored_aff(p, "bob@localhost"), 3);
    assert_int_equal(stored_aff(p, "alice@localhost"), 3);
}

static void test_affiliations_of_temporary_room_written_when_persistent(void **state)
{
    sfx_t *p = *state;
    create_room_with(p, CONFIG(ALICE, "create", ""));
    feed(p, ADMIN_SET(ALICE, "a1",
                      "<item affiliation='member' jid='bob@localhost'/>"
                      "<item affiliation='outcast' jid='carol@localhost'/>"));
    assert_iq_result(p, "a1");
    assert_int_equal(stored_rooms(p), 0);
    capture_clear(&p->fx->cap);

    feed(p, CONFIG(ALICE, "c2", FIELD("persistentroom", "1")));
    assert_iq_result(p, "c2");
    assert_int_equal(stored_aff(p, "alice@localhost"), 3);
    assert_int_equal(stored_aff(p, "bob@localhost"), 1);
    assert_int_equal(stored_aff(p, "carol@localhost"), -1);
}

/* ---- loading lazily, unloading when empty ----------------------------- */

static void test_restart_then_disco_info_loads_lazily_and_unloads(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME)); /* empty: unloaded */
    assert_true(store_room_exists(p->st, ROOM_NAME));

    restart(p);
    assert_int_equal(feed(p, ROOM_INFO(BOB, "i1")), 1);
    xmpp_stanza_t *r = iq_reply(p, "i1");
    assert_attr(r, "type", "result");
    xmpp_stanza_t *q = xmpp_stanza_get_child_by_name_and_ns(r, "query", NS_DISCO_INFO);
    assert_non_null(q);
    xmpp_stanza_t *id = xmpp_stanza_get_child_by_name(q, "identity");
    assert_non_null(id);
    assert_attr(id, "category", "conference");
    assert_attr(id, "name", "Persistent Room");
    int persistent = 0, temporary = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(q); c; c = xmpp_stanza_get_next(c)) {
        const char *var =
            xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "feature") == 0
                ? xmpp_stanza_get_attribute(c, "var")
                : NULL;
        persistent += var && strcmp(var, "muc_persistent") == 0;
        temporary += var && strcmp(var, "muc_temporary") == 0;
    }
    assert_int_equal(persistent, 1);
    assert_int_equal(temporary, 0);
    /* nobody in it: back to the store right after the stanza */
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    assert_int_equal(hash_count(p->fx->svc->rooms), 0);
    assert_true(store_room_exists(p->st, ROOM_NAME));

    /* a room that exists nowhere is not created by a disco#info */
    capture_clear(&p->fx->cap);
    feed(p, "<iq type='get' id='i2' from='" BOB "' to='nowhere@" FX_DOMAIN
            "'><query xmlns='" NS_DISCO_INFO "'/></iq>");
    assert_stanza_error(iq_reply(p, "i2"), "cancel", "item-not-found");
    assert_int_equal(hash_count(p->fx->svc->rooms), 0);
}

static void test_startup_loads_no_room(void **state)
{
    sfx_t *p = *state;
    /* three stored rooms: one through the core, two written directly */
    create_persistent(p);
    store_room_t r = {.name = "other", .persistent = true, .public_list = true};
    assert_int_equal(store_room_save(p->st, &r, NULL, 0), STORE_OK);
    r.name = "third";
    assert_int_equal(store_room_save(p->st, &r, NULL, 0), STORE_OK);
    restart(p); /* asserts hash_count == 0 */
    assert_int_equal(stored_rooms(p), 3);
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    /* service_room loads on demand */
    room_t *room = service_room(p->fx->svc, "other");
    assert_non_null(room);
    assert_true(room->cfg.persistent);
    assert_false(room->locked);
    assert_int_equal(hash_count(p->fx->svc->rooms), 1);
}

static void test_join_after_restart_enters_stored_room(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);

    feed(p, JOIN(BOB, "Bob"));
    assert_false(any_error(p->fx));
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_false(room->locked);
    assert_string_equal(room->cfg.title, "Persistent Room");
    assert_true(room->cfg.persistent);
    /* not a new room: no 201, and Bob is not its owner */
    for (size_t i = 0; i < p->fx->cap.count; i++)
        assert_false(has_status(p->fx->cap.stanzas[i], 201));
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_NONE);
    assert_int_equal(room_affiliation(room, "alice@localhost"), AFF_OWNER);

    /* the last one out unloads it */
    feed(p, LEAVE(BOB, "Bob"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    assert_true(store_room_exists(p->st, ROOM_NAME));
}

static void test_owner_submit_to_unloaded_room(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);
    feed(p, CONFIG(ALICE, "c2", FIELD("roomname", "Changed from outside")));
    assert_iq_result(p, "c2");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.title, "Changed from outside");
    assert_true(r.persistent);
    store_room_clear(&r);
    store_affs_free(affs, n);

    /* a non-owner's submit is refused and changes nothing */
    capture_clear(&p->fx->cap);
    feed(p, CONFIG(BOB, "c3", FIELD("roomname", "Hijacked")));
    assert_stanza_error(iq_reply(p, "c3"), "auth", "forbidden");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.title, "Changed from outside");
    store_room_clear(&r);
    store_affs_free(affs, n);
}

/* ---- affiliations, subject, history survive --------------------------- */

static void test_admin_affiliations_survive_restart(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, ADMIN_SET(ALICE, "a1",
                      "<item affiliation='member' jid='bob@localhost'/>"
                      "<item affiliation='outcast' jid='carol@localhost'>"
                      "<reason>spam</reason></item>"
                      "<item affiliation='admin' jid='dave@localhost'/>"));
    assert_iq_result(p, "a1");
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);

    /* the ban holds after the restart */
    feed(p, JOIN(CAROL, "Carol"));
    assert_stanza_error(capture_at(&p->fx->cap, 0), "auth", "forbidden");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    capture_clear(&p->fx->cap);

    room_t *room = service_room(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_int_equal(room_affiliation(room, "alice@localhost"), AFF_OWNER);
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_MEMBER);
    assert_int_equal(room_affiliation(room, "carol@localhost"), AFF_OUTCAST);
    assert_int_equal(room_affiliation(room, "dave@localhost"), AFF_ADMIN);
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    load_record(p, &r, &affs, &n);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        if (strcmp(affs[i].jid, "carol@localhost") == 0)
            assert_string_equal(affs[i].reason, "spam");
    store_room_clear(&r);
    store_affs_free(affs, n);

    /* changed from outside the room (it is loaded for the stanza, then
     * unloaded): none deletes, a new one is added */
    restart(p);
    feed(p, ADMIN_SET(ALICE, "a2",
                      "<item affiliation='none' jid='bob@localhost'/>"
                      "<item affiliation='member' jid='erin@localhost'/>"));
    assert_iq_result(p, "a2");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    assert_int_equal(stored_aff(p, "bob@localhost"), -99);
    assert_int_equal(stored_aff(p, "erin@localhost"), 1);
    assert_int_equal(stored_aff(p, "carol@localhost"), -1);
}

static void test_subject_survives_restart(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, SUBJECT(ALICE, "Stored topic \xe2\x9c\x93"));
    assert_false(any_error(p->fx));
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.subject, "Stored topic \xe2\x9c\x93");
    assert_string_equal(r.subject_nick, "Alice");
    store_room_clear(&r);
    store_affs_free(affs, n);
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);

    feed(p, JOIN(BOB, "Bob"));
    xmpp_stanza_t *m = subject_message(p, BOB);
    assert_non_null(m);
    assert_attr(m, "from", ROOM "/Alice");
    char *text = child_text(m, "subject");
    assert_non_null(text);
    assert_string_equal(text, "Stored topic \xe2\x9c\x93");
    xmpp_free(p->fx->ctx, text);
}

/* The history of a persistent room survives unloading and restarts: from
 * the archive when the room archives (no history blob is written then),
 * else from the blob written when the room is unloaded. */
static void history_survives_unload_and_reload(sfx_t *p, bool archived)
{
    char got[256];
    if (archived)
        create_persistent(p);
    else
        create_room_with(p, CONFIG(ALICE, "create",
                                   FIELD("persistentroom", "1")
                                       FIELD("enablearchiving", "0")));
    feed(p, GROUPCHAT(ALICE, "one"));
    feed(p, SUBJECT(ALICE, "not history"));
    feed(p, GROUPCHAT(ALICE, "two"));
    feed(p, GROUPCHAT(ALICE, "three"));
    assert_false(any_error(p->fx));
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    void *blob = NULL;
    size_t len;
    assert_int_equal(store_history_load(p->st, ROOM_NAME, &blob, &len),
                     archived ? STORE_ERR_NOTFOUND : STORE_OK);
    free(blob);
    capture_clear(&p->fx->cap);

    /* back in the same service */
    feed(p, JOIN(ALICE, "Alice"));
    delayed_bodies(p, ALICE, got, sizeof got);
    assert_string_equal(got, "one,two,three");
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));

    /* and after a restart, for someone else */
    restart(p);
    feed(p, JOIN(BOB, "Bob"));
    delayed_bodies(p, BOB, got, sizeof got);
    assert_string_equal(got, "one,two,three");
    xmpp_stanza_t *first = NULL;
    for (size_t i = 0; i < p->fx->cap.count && !first; i++) {
        xmpp_stanza_t *st = p->fx->cap.stanzas[i];
        if (is_to(st, BOB) && xmpp_stanza_get_child_by_name(st, "body")) first = st;
    }
    assert_non_null(first);
    assert_attr(first, "from", ROOM "/Alice");
    assert_attr(first, "type", "groupchat");

    /* a fourth message is kept after the first three */
    feed(p, GROUPCHAT(BOB, "four"));
    feed(p, LEAVE(BOB, "Bob"));
    capture_clear(&p->fx->cap);
    feed(p, JOIN(CAROL, "Carol"));
    delayed_bodies(p, CAROL, got, sizeof got);
    assert_string_equal(got, "one,two,three,four");
}

static void test_history_survives_unload_and_reload(void **state)
{
    history_survives_unload_and_reload(*state, true);
}

static void test_history_survives_unload_and_reload_archive_off(void **state)
{
    history_survives_unload_and_reload(*state, false);
}

/* mucd killed with occupants in the room (no unload, no shutdown): an
 * archiving room's history is all that was broadcast, with the stanza-ids
 * of the broadcast, newest kept when there are more than the ring holds. */
static void test_history_survives_crash_from_archive(void **state)
{
    sfx_t *p = *state;
    char got[512], want[512] = "", sid[2][64];
    create_persistent(p);
    for (int i = 0; i < 25; i++) { /* the ring holds 20 */
        char xml[256], body[16];
        snprintf(body, sizeof body, "m%d", i);
        snprintf(xml, sizeof xml,
                 "<message type='groupchat' from='" ALICE "' to='" ROOM
                 "'><body>%s</body></message>",
                 body);
        capture_clear(&p->fx->cap);
        feed(p, xml);
        xmpp_stanza_t *m = capture_at(&p->fx->cap, 0);
        xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(m, "stanza-id", NS_SID);
        assert_non_null(s);
        if (i == 5 || i == 24)
            snprintf(sid[i == 24], sizeof sid[0], "%s", xmpp_stanza_get_id(s));
        if (i >= 5)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
                     i > 5 ? "," : "", body);
    }
    feed(p, SUBJECT(ALICE, "a subject change is not history"));
    restart(p); /* no leave: the room was never unloaded */
    feed(p, JOIN(BOB, "Bob"));
    delayed_bodies(p, BOB, got, sizeof got);
    assert_string_equal(got, want);
    /* the same stanza-ids as the broadcast */
    const char *ids[2] = {NULL, NULL};
    for (size_t i = 0; i < p->fx->cap.count; i++) {
        xmpp_stanza_t *st = p->fx->cap.stanzas[i];
        xmpp_stanza_t *s = xmpp_stanza_get_child_by_name_and_ns(st, "stanza-id", NS_SID);
        if (!is_to(st, BOB) || !s || !xmpp_stanza_get_child_by_name(st, "body")) continue;
        if (!ids[0]) ids[0] = xmpp_stanza_get_id(s);
        ids[1] = xmpp_stanza_get_id(s);
        assert_non_null(xmpp_stanza_get_child_by_name_and_ns(st, "delay", NS_DELAY));
        assert_attr(st, "from", ROOM "/Alice");
    }
    assert_non_null(ids[0]);
    assert_string_equal(ids[0], sid[0]);
    assert_string_equal(ids[1], sid[1]);
}

static void test_history_text_survives_reload(void **state)
{
    sfx_t *p = *state;
    char got[256];
    create_persistent(p);
    feed(p, GROUPCHAT(ALICE, "a &lt; b &amp; c \xc3\xa9\xe2\x82\xac"));
    feed(p, LEAVE(ALICE, "Alice"));
    feed(p, JOIN(BOB, "Bob"));
    delayed_bodies(p, BOB, got, sizeof got);
    assert_string_equal(got, "a < b & c \xc3\xa9\xe2\x82\xac");
}

/* XEP-0045 history is the message as broadcast: its xml:lang included. */
static void test_regression_history_reload_loses_xml_lang_prefix(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, "<message type='groupchat' xml:lang='fr' from='" ALICE "' to='" ROOM
            "'><body>bonjour</body></message>");
    /* in memory, the relayed copy has xml:lang */
    feed(p, JOIN(BOB, "Bob"));
    xmpp_stanza_t *h = NULL;
    for (size_t i = 0; i < p->fx->cap.count; i++)
        if (is_to(p->fx->cap.stanzas[i], BOB) &&
            xmpp_stanza_get_child_by_name(p->fx->cap.stanzas[i], "body"))
            h = p->fx->cap.stanzas[i];
    assert_non_null(h);
    if (!xmpp_stanza_get_attribute(h, "xml:lang"))
        fail_msg("history from memory: no xml:lang");
    assert_string_equal(xmpp_stanza_get_attribute(h, "xml:lang"), "fr");
    feed(p, LEAVE(BOB, "Bob"));
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    capture_clear(&p->fx->cap);

    /* reloaded from the store: the same message */
    feed(p, JOIN(CAROL, "Carol"));
    h = NULL;
    for (size_t i = 0; i < p->fx->cap.count; i++)
        if (is_to(p->fx->cap.stanzas[i], CAROL) &&
            xmpp_stanza_get_child_by_name(p->fx->cap.stanzas[i], "body"))
            h = p->fx->cap.stanzas[i];
    assert_non_null(h);
    const char *lang = xmpp_stanza_get_attribute(h, "lang");
    const char *xml_lang = xmpp_stanza_get_attribute(h, "xml:lang");
    if (lang || !xml_lang || strcmp(xml_lang, "fr") != 0)
        fail_msg("history reloaded from the store: expected xml:lang='fr', got "
                 "lang='%s' xml:lang='%s'",
                 lang ? lang : "(none)", xml_lang ? xml_lang : "(none)");
}

static void test_history_survives_shutdown(void **state)
{
    sfx_t *p = *state;
    char got[256];
    create_persistent(p);
    feed(p, GROUPCHAT(ALICE, "before shutdown"));
    service_shutdown(p->fx->svc, &p->fx->cap.sink);
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    restart(p);
    feed(p, JOIN(BOB, "Bob"));
    delayed_bodies(p, BOB, got, sizeof got);
    assert_string_equal(got, "before shutdown");
}

static void test_config_enforced_after_restart(void **state)
{
    sfx_t *p = *state;
    create_room_with(
        p, CONFIG(ALICE, "create",
                  FIELD("persistentroom", "1") FIELD("passwordprotectedroom", "1")
                      FIELD("roomsecret", "pw") FIELD("whois", "anyone")));
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);

    feed(p, JOIN(BOB, "Bob"));
    assert_stanza_error(capture_at(&p->fx->cap, 0), "auth", "not-authorized");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    capture_clear(&p->fx->cap);

    feed(p, "<presence from='" BOB "' to='" ROOM "/Bob'><x xmlns='" NS_MUC
            "'><password>pw</password></x></presence>");
    assert_false(any_error(p->fx));
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_true(room->cfg.password_protected);
    assert_true(room->cfg.whois_anyone);
    assert_non_null(room_occupant_by_nick(room, "Bob"));
}

/* An error bounced by a client to a stored room names it like any stanza:
 * the room must not stay loaded (persist.h: "unloaded again when they are
 * empty"), or anyone can fill the memory with stored rooms. */
static void test_regression_error_stanza_leaves_persistent_room_loaded(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);
    feed(p, "<message type='error' from='" BOB "' to='" ROOM "'><error type='cancel'>"
            "<service-unavailable xmlns='" NS_STANZAS "'/></error></message>");
    assert_int_equal(p->fx->cap.count, 0); /* errors are never answered */
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME)); /* got: still loaded */
}

/* ---- deleting --------------------------------------------------------- */

static void test_destroy_removes_from_store(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, ADMIN_SET(ALICE, "a1", "<item affiliation='member' jid='bob@localhost'/>"));
    feed(p, GROUPCHAT(ALICE, "hello"));
    feed(p, LEAVE(ALICE, "Alice")); /* history written */
    feed(p, JOIN(ALICE, "Alice"));
    capture_clear(&p->fx->cap);

    feed(p, DESTROY(ALICE, "d1"));
    assert_iq_result(p, "d1");
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    assert_false(store_room_exists(p->st, ROOM_NAME));
    assert_false(store_public_has(p->st, ROOM_NAME));
    void *blob;
    size_t len;
    assert_int_equal(store_history_load(p->st, ROOM_NAME, &blob, &len),
                     STORE_ERR_NOTFOUND);
    assert_int_equal(stored_rooms(p), 0);

    /* gone for good: a new join creates a new, locked room */
    restart(p);
    capture_clear(&p->fx->cap);
    feed(p, JOIN(BOB, "Bob"));
    assert_true(has_status(capture_at(&p->fx->cap, 0), 201));
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_true(room->locked);
    assert_false(room->cfg.persistent);
    assert_int_equal(room_affiliation(room, "bob@localhost"), AFF_OWNER);
}

static void test_destroy_of_unloaded_room(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, LEAVE(ALICE, "Alice"));
    restart(p);
    feed(p, DESTROY(ALICE, "d1")); /* the owner, from outside the room */
    assert_iq_result(p, "d1");
    assert_false(store_room_exists(p->st, ROOM_NAME));
    assert_int_equal(hash_count(p->fx->svc->rooms), 0);
}

static void test_persistent_off_deletes_from_store(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    feed(p, CONFIG(ALICE, "c2", FIELD("persistentroom", "0")));
    assert_iq_result(p, "c2");
    assert_false(store_room_exists(p->st, ROOM_NAME));
    assert_false(store_public_has(p->st, ROOM_NAME));
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room); /* still there while Alice is */
    assert_false(room->cfg.persistent);
    assert_string_equal(room->cfg.title, "Persistent Room");

    /* a temporary room again: gone with its last occupant, store untouched */
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room(p->fx->svc, ROOM_NAME));
    assert_int_equal(stored_rooms(p), 0);
}

static void test_temporary_rooms_never_written(void **state)
{
    sfx_t *p = *state;
    create_room_with(p, CONFIG(ALICE, "create",
                               FIELD("roomname", "Temp") FIELD("changesubject", "1")));
    feed(p, JOIN(BOB, "Bob"));
    feed(p, GROUPCHAT(BOB, "hi"));
    feed(p, SUBJECT(BOB, "Topic"));
    feed(p, ADMIN_SET(ALICE, "a1", "<item affiliation='member' jid='carol@localhost'/>"));
    feed(p, CONFIG(ALICE, "c2", FIELD("roomname", "Still temp")));
    assert_false(any_error(p->fx));
    assert_int_equal(stored_rooms(p), 0);
    feed(p, LEAVE(BOB, "Bob"));
    feed(p, LEAVE(ALICE, "Alice"));
    assert_null(service_room_loaded(p->fx->svc, ROOM_NAME));
    assert_int_equal(stored_rooms(p), 0);
    size_t listed = 99;
    assert_int_equal(store_public_count(p->st, &listed), STORE_OK);
    assert_int_equal(listed, 0);
    void *blob;
    size_t len;
    assert_int_equal(store_history_load(p->st, ROOM_NAME, &blob, &len),
                     STORE_ERR_NOTFOUND);
    restart(p);
    assert_null(service_room(p->fx->svc, ROOM_NAME));
}

/* ---- a full store ----------------------------------------------------- */

#define BIG_LEN 10000 /* a record of three LMDB overflow pages */

/* An owner submit of `fields` plus a roomname and a roomdesc of BIG_LEN
 * characters (caller frees). */
static char *big_config(const char *id, const char *fields)
{
    static char desc[BIG_LEN + 1];
    size_t cap = BIG_LEN + 2048;
    char *xml = malloc(cap);
    assert_non_null(xml);
    memset(desc, 'd', BIG_LEN);
    desc[BIG_LEN] = '\0';
    snprintf(xml, cap,
             "<iq type='set' id='%s' from='" ALICE "' to='" ROOM
             "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA
             "' type='submit'><field var='FORM_TYPE'><value>" NS_ROOMCONFIG
             "</value></field>%s" FIELD("roomname",
                                        "Too Big") "<field "
                                                   "var='muc#roomconfig_roomdesc'><value>"
                                                   "%s</value></field></x></query></iq>",
             id, fields, desc);
    return xml;
}

static void test_store_full_owner_submit_refused(void **state)
{
    sfx_t *p = *state;
    create_room_with(p, CONFIG(ALICE, "create", ""));
    sfx_fill_store(p->st, true);
    size_t before = stored_rooms(p);

    char *xml =
        big_config("c2", FIELD("persistentroom", "1") FIELD("moderatedroom", "1"));
    feed(p, xml);
    free(xml);
    assert_stanza_error(iq_reply(p, "c2"), "wait", "resource-constraint");
    /* nothing applied, nothing announced, nothing stored */
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_false(room->cfg.persistent);
    assert_false(room->cfg.moderated);
    assert_null(room->cfg.title);
    assert_null(room->cfg.description);
    assert_false(room->locked);
    assert_int_equal(p->fx->cap.count, 1);
    assert_false(store_room_exists(p->st, ROOM_NAME));
    assert_int_equal(stored_rooms(p), before);

    /* the room goes on working, as a temporary one */
    capture_clear(&p->fx->cap);
    feed(p, GROUPCHAT(ALICE, "still here"));
    assert_false(any_error(p->fx));
}

static void test_store_full_change_of_persistent_room_refused(void **state)
{
    sfx_t *p = *state;
    create_persistent(p);
    sfx_fill_store(p->st, true);

    char *xml = big_config("c2", FIELD("moderatedroom", "1"));
    feed(p, xml);
    free(xml);
    assert_stanza_error(iq_reply(p, "c2"), "wait", "resource-constraint");
    room_t *room = service_room_loaded(p->fx->svc, ROOM_NAME);
    assert_non_null(room);
    assert_true(room->cfg.persistent);
    assert_false(room->cfg.moderated);
    assert_string_equal(room->cfg.title, "Persistent Room");
    assert_null(room->cfg.description);
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    load_record(p, &r, &affs, &n);
    assert_string_equal(r.title, "Persistent Room");
    assert_null(r.description);
    store_room_clear(&r);
    store_affs_free(affs, n);

    /* a subject too big to store is refused and not set */
    capture_clear(&p->fx->cap);
    static char subject[BIG_LEN + 256];
    int k =
        snprintf(subject, sizeof subject,
                 "<message type='groupchat' from='" ALICE "' to='" ROOM "'><subject>");
    memset(subject + k, 's', BIG_LEN);
    strcpy(subject + k + BIG_LEN, "</subject></message>");
    feed(p, subject);
    assert_int_equal(p->fx->cap.count, 1);
    xmpp_stanza_t *e = capture_at(&p->fx->cap, 0);
    assert_string_equal(xmpp_stanza_get_name(e), "message");
    assert_stanza_error(e, "wait", "resource-constraint");
    assert_null(room->subject);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, sfx_setup, sfx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_owner_form_stores_room_with_config),
        T(test_affiliations_of_temporary_room_written_when_persistent),
        T(test_restart_then_disco_info_loads_lazily_and_unloads),
        T(test_startup_loads_no_room),
        T(test_join_after_restart_enters_stored_room),
        T(test_owner_submit_to_unloaded_room),
        T(test_admin_affiliations_survive_restart),
        T(test_subject_survives_restart),
        T(test_history_survives_unload_and_reload),
        T(test_history_survives_unload_and_reload_archive_off),
        T(test_history_survives_crash_from_archive),
        T(test_history_text_survives_reload),
        T(test_regression_history_reload_loses_xml_lang_prefix),
        T(test_history_survives_shutdown),
        T(test_config_enforced_after_restart),
        T(test_regression_error_stanza_leaves_persistent_room_loaded),
        T(test_destroy_removes_from_store),
        T(test_destroy_of_unloaded_room),
        T(test_persistent_off_deletes_from_store),
        T(test_temporary_rooms_never_written),
        cmocka_unit_test_setup_teardown(test_store_full_owner_submit_refused,
                                        sfx_setup_tiny, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_store_full_change_of_persistent_room_refused,
                                        sfx_setup_tiny, sfx_teardown),
    };
#undef T
    return cmocka_run_group_tests_name("persist", tests, NULL, NULL);
}
