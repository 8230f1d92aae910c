/* store_fixture.c - a store in a temporary directory, alone or under a
 * service. */
#include "tests/support/store_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/ids.h"
#include "tests/support/muc_asserts.h"
#include "tests/support/tmpdir.h"

#define TMP_TEMPLATE "/tmp/mucd-test-store-XXXXXX"

store_t *sfx_store_open(const char *dir, size_t map, bool read_only)
{
    char err[512];
    store_t *st = NULL;
    store_rc_t rc = store_open(dir, map, read_only, &st, err, sizeof err);
    if (rc != STORE_OK) fail_msg("store_open(%s): %d %s", dir, rc, err);
    return st;
}

static void make_dir(char dir[64])
{
    strcpy(dir, TMP_TEMPLATE);
    assert_non_null(mkdtemp(dir));
}

/* ---- a store alone ---------------------------------------------------- */

static tstore_t *tstore_new(size_t map)
{
    tstore_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    make_dir(t->dir);
    t->st = sfx_store_open(t->dir, map, false);
    return t;
}

int tstore_setup(void **state)
{
    *state = tstore_new(SFX_MAP);
    return 0;
}

int tstore_setup_tiny(void **state)
{
    *state = tstore_new(SFX_MAP_TINY);
    return 0;
}

int tstore_teardown(void **state)
{
    tstore_t *t = *state;
    store_close(t->st);
    int rc = remove_dir(t->dir);
    free(t);
    return rc;
}

/* ---- a service on a store --------------------------------------------- */

static const sfx_config_t default_config = {
    .opts = {.name = "Test Rooms", .history_length = 20, .max_nick_length = 20}};

void sfx_start(sfx_t *p)
{
    service_free(p->fx->svc);
    p->fx->svc = NULL;
    capture_clear(&p->fx->cap);
    service_opts_t opts = p->cfg.opts;
    if (!opts.domain) opts.domain = FX_DOMAIN;
    opts.store = p->st;
    p->fx->svc = service_new(p->fx->ctx, &opts);
    assert_non_null(p->fx->svc);
    if (p->cfg.now) p->fx->svc->now = p->cfg.now;
    if (p->cfg.now_ms) p->fx->svc->now_ms = p->cfg.now_ms;
    if (p->cfg.batching) service_set_batching(p->fx->svc, true);
}

static int sfx_setup_map(void **state, size_t map)
{
    const sfx_config_t *cfg = *state ? *state : &default_config;
    sfx_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->cfg = *cfg;
    if (!p->cfg.map) p->cfg.map = map;
    assert_int_equal(fixture_setup(&p->fx_state), 0);
    p->fx = p->fx_state;
    if (!p->cfg.no_store) {
        make_dir(p->dir);
        p->st = sfx_store_open(p->dir, p->cfg.map, false);
    }
    sfx_start(p);
    *state = p;
    return 0;
}

int sfx_setup(void **state)
{
    return sfx_setup_map(state, SFX_MAP);
}

int sfx_setup_tiny(void **state)
{
    return sfx_setup_map(state, SFX_MAP_TINY);
}

int sfx_teardown(void **state)
{
    sfx_t *p = *state;
    int rc = 0;
    capture_clear(&p->fx->cap);
    service_free(p->fx->svc);
    p->fx->svc = NULL;
    if (p->st) {
        store_close(p->st);
        rc = remove_dir(p->dir);
    }
    if (fixture_teardown(&p->fx_state) != 0) rc = -1;
    free(p);
    return rc;
}

void sfx_restart(sfx_t *p)
{
    assert_non_null(p->st);
    service_free(p->fx->svc);
    p->fx->svc = NULL;
    store_close(p->st);
    p->st = sfx_store_open(p->dir, p->cfg.map, false);
    sfx_start(p);
}

/* ---- helpers ---------------------------------------------------------- */

void sfx_room_with(fixture_t *fx, const char *fields)
{
    char xml[2048];
    assert_int_equal(fixture_feed(fx, JOIN(ALICE, "Alice")), 2);
    snprintf(xml, sizeof xml,
             "<iq type='set' id='c1' from='" ALICE "' to='" ROOM
             "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA "' type='submit'>"
             "<field var='FORM_TYPE'><value>" NS_ROOMCONFIG "</value></field>%s</x>"
             "</query></iq>",
             fields);
    fixture_feed(fx, xml);
    assert_false(any_error(fx));
    assert_true(fixture_feed(fx, JOIN(BOB, "Bob")) >= 3);
    capture_clear(&fx->cap);
}

void sfx_say(fixture_t *fx, const char *from, const char *body, char *id_out)
{
    char xml[512];
    capture_clear(&fx->cap);
    snprintf(xml, sizeof xml,
             "<message type='groupchat' id='m' from='%s' to='" ROOM "'><body>%s</body>"
             "</message>",
             from, body);
    assert_int_equal(fixture_feed(fx, xml), 2);
    xmpp_stanza_t *m = nth_to(fx, ALICE, 0);
    assert_non_null(m);
    xmpp_stanza_t *sid = xmpp_stanza_get_child_by_name_and_ns(m, "stanza-id", NS_SID);
    assert_non_null(sid);
    snprintf(id_out, IDS_STANZA_ID_SIZE, "%s", xmpp_stanza_get_id(sid));
    capture_clear(&fx->cap);
}

void sfx_fill_store(store_t *st, bool strict)
{
    static char desc[8001];
    const size_t sizes[] = {8000, 3000, 10};
    char name[16];
    int i = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        memset(desc, 'f', sizes[k]);
        desc[sizes[k]] = '\0';
        for (store_rc_t rc = STORE_OK; rc == STORE_OK; i++) {
            snprintf(name, sizeof name, "fill%04d", i);
            store_room_t r = {.name = name, .description = desc, .persistent = true};
            rc = store_room_save(st, &r, NULL, 0);
            if (rc != STORE_OK) {
                assert_int_equal(rc, STORE_ERR_FULL);
                if (strict) assert_false(store_room_exists(st, name));
            }
            if (i > 2000) fail_msg("the store never filled up");
        }
    }
    if (strict) assert_true(i > 3);
}
