/* store_fixture.h - an LMDB store in its own temporary directory, alone
 * (tstore_t) or under a service of the support fixture (sfx_t): setup and
 * teardown for cmocka, with a normal and a tiny map, restarts, and what the
 * tests on a store share (a persistent room with Bob in it, a groupchat
 * message and its stanza-id, filling the store up). */
#ifndef MUCD_TEST_STORE_FIXTURE_H
#define MUCD_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "muc/service.h"
#include "storage/storage.h"
#include "tests/support/fixture.h"

#define SFX_MAP      (4u << 20)   /* the map of most tests */
#define SFX_MAP_TINY (256u << 10) /* barely more than an empty store: fills up */

/* Opens the store in dir, failing the test if it cannot. */
store_t *sfx_store_open(const char *dir, size_t map, bool read_only);

/* ---- a store alone ---------------------------------------------------- */

typedef struct tstore {
    char dir[64];
    store_t *st;
} tstore_t;

/* cmocka setup/teardown: *state becomes a tstore_t on a fresh store with
 * an SFX_MAP (tstore_setup) or SFX_MAP_TINY (tstore_setup_tiny) map. */
int tstore_setup(void **state);
int tstore_setup_tiny(void **state);
int tstore_teardown(void **state);

/* ---- a service on a store --------------------------------------------- */

/* How a test program wants its service: pass it as the cmocka prestate
 * (cmocka_unit_test_prestate_setup_teardown) of sfx_setup; NULL gives
 * the support fixture's options (name "Test Rooms", history and nicks 20). */
typedef struct sfx_config {
    service_opts_t opts;       /* .domain NULL: FX_DOMAIN; .store: the fixture's */
    size_t map;                /* 0: SFX_MAP (sfx_setup_tiny: SFX_MAP_TINY) */
    bool no_store;             /* a service without a store */
    time_t (*now)(void);       /* NULL: the service's own clocks */
    long long (*now_ms)(void); /* (set on every service started) */
    bool batching;             /* service_set_batching on every service */
} sfx_config_t;

typedef struct sfx {
    void *fx_state; /* the support fixture's state */
    fixture_t *fx;  /* its service (fx->svc) is the one on the store */
    char dir[64];   /* the store's temporary directory ("": no store) */
    store_t *st;
    sfx_config_t cfg; /* change it, then sfx_start, for another service */
} sfx_t;

/* cmocka setup/teardown: *state (the prestate: a sfx_config_t, or NULL)
 * becomes a sfx_t whose service runs on a fresh store. */
int sfx_setup(void **state);
int sfx_setup_tiny(void **state);
int sfx_teardown(void **state);

/* Replaces the service by a new one made from p->cfg, on the same store;
 * the capture is cleared. */
void sfx_start(sfx_t *p);

/* mucd stops and starts again: the service is freed, the store closed and
 * opened again, a new service started on it; the capture is cleared. */
void sfx_restart(sfx_t *p);

/* ---- helpers ---------------------------------------------------------- */

/* Alice creates room@ and submits `fields` (muc#roomconfig fields) as its
 * configuration, which must not fail; Bob enters. The capture is left
 * empty. */
void sfx_room_with(fixture_t *fx, const char *fields);

/* `from` (an occupant of room@) says body: a broadcast to Alice and Bob;
 * copies its stanza-id (as Alice got it) into id_out, IDS_STANZA_ID_SIZE
 * bytes. The capture is left empty. */
void sfx_say(fixture_t *fx, const char *from, const char *body, char *id_out);

/* Writes rooms into st until the map is full: descriptions of 8000, then
 * 3000, then 10 bytes, each size until the map refuses it, so that at the
 * end not even a small new record fits. strict: also asserts that a
 * refused record left nothing behind and that more than three fitted. */
void sfx_fill_store(store_t *st, bool strict);

#endif
