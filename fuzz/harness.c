/* harness.c - the shared pieces of the libFuzzer targets. */
#include "fuzz/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component/log.h"

#define FUZZ_MAP_SIZE (256u << 10) /* small: inputs can fill it */
#define FUZZ_EPOCH    1700000000L

static xmpp_ctx_t *ctx;
static store_t *store;
static char store_dir[256];
static long clock_s;

xmpp_ctx_t *fuzz_ctx(void)
{
    if (!ctx) {
        log_set_level(LOG_ERROR);
        xmpp_initialize();
        ctx = xmpp_ctx_new(NULL, NULL);
        if (!ctx) abort();
    }
    return ctx;
}

/* Removes the store directory at exit (LMDB keeps two flat files, and two
 * more in live/ for the listing of temporary rooms). */
static void store_cleanup(void)
{
    store_close(store);
    store = NULL;
    char path[300];
    static const char *const files[] = {"data.mdb", "lock.mdb", "live/data.mdb",
                                        "live/lock.mdb", "live"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", store_dir, files[i]);
        if (unlink(path) != 0) rmdir(path);
    }
    rmdir(store_dir);
}

/* A fresh directory on tmpfs when there is one: LMDB syncs every commit. */
static void make_store_dir(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(store_dir, sizeof store_dir, "%s/mucd-fuzz-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(store_dir)) {
        perror("mkdtemp");
        abort();
    }
}

store_t *fuzz_store(void)
{
    if (store) return store;
    char err[512];
    make_store_dir();
    if (store_open(store_dir, FUZZ_MAP_SIZE, false, &store, err, sizeof err) !=
        STORE_OK) {
        fprintf(stderr, "fuzz: store_open: %s\n", err);
        abort();
    }
    atexit(store_cleanup);
    return store;
}

/* Collects stored room names (store_room_iterate callback). */
typedef struct names {
    char *v[64];
    size_t n;
} names_t;

static bool collect(const store_room_t *room, void *ud)
{
    names_t *names = ud;
    names->v[names->n++] = strdup(room->name);
    return names->n < 64;
}

void fuzz_store_wipe(store_t *st)
{
    for (;;) {
        names_t names = {.n = 0};
        if (store_room_iterate(st, NULL, 64, collect, &names) != STORE_OK) abort();
        for (size_t i = 0; i < names.n; i++) {
            if (names.v[i] && store_room_delete(st, names.v[i]) != STORE_OK) abort();
            free(names.v[i]);
        }
        if (names.n < 64) break;
    }
    store_listed_t live[64];
    size_t n;
    do { /* temporary rooms a freed service left listed */
        if (store_live_page(st, NULL, NULL, 64, live, &n) != STORE_OK) abort();
        for (size_t i = 0; i < n; i++)
            if (store_live_del(st, live[i].name) != STORE_OK) abort();
        store_listed_free(live, n);
    } while (n == 64);
}

/* Serializes st (the core must only send well-formed stanzas) and checks
 * the text parses back into one element. */
static void check_xml(xmpp_ctx_t *c, const char *xml)
{
    xmpp_stanza_t *back = xmpp_stanza_new_from_string(c, xml);
    if (!back) {
        fprintf(stderr, "fuzz: the core sent XML that does not parse:\n%s\n", xml);
        abort();
    }
    xmpp_stanza_release(back);
}

static void sink_send(out_sink_t *self, xmpp_stanza_t *st)
{
    fuzz_sink_t *s = (fuzz_sink_t *)self;
    char *xml = NULL;
    size_t len = 0;
    if (xmpp_stanza_to_text(st, &xml, &len) != XMPP_EOK) {
        fprintf(stderr, "fuzz: the core sent a stanza that does not serialize\n");
        abort();
    }
    check_xml(s->ctx, xml);
    xmpp_free(s->ctx, xml);
    xmpp_stanza_release(st);
    s->count++;
}

static void sink_send_raw(out_sink_t *self, const char *xml, size_t len)
{
    fuzz_sink_t *s = (fuzz_sink_t *)self;
    char *copy = strndup(xml, len);
    if (!copy) abort();
    if (strlen(copy) != len) {
        fprintf(stderr, "fuzz: raw output with a NUL byte\n");
        abort();
    }
    check_xml(s->ctx, copy);
    free(copy);
    s->count++;
}

void fuzz_sink_init(fuzz_sink_t *s, xmpp_ctx_t *c, bool raw)
{
    s->sink.send = sink_send;
    s->sink.send_raw = raw ? sink_send_raw : NULL;
    s->ctx = c;
    s->count = 0;
}

static time_t fake_now(void)
{
    return (time_t)(FUZZ_EPOCH + clock_s);
}

static long long fake_now_ms(void)
{
    return (long long)clock_s * 1000;
}

void fuzz_clock_advance(long seconds)
{
    clock_s += seconds;
}

void fuzz_clock_reset(void)
{
    clock_s = 0;
}

service_t *fuzz_service_new(store_t *st)
{
    service_opts_t opts = {.domain = FUZZ_DOMAIN,
                           .name = "Fuzz Rooms",
                           .store = st,
                           .history_length = 5,
                           .max_nick_length = 20,
                           .admins = "admin@localhost",
                           .max_occupants = 8,
                           .max_history_length = 10,
                           .max_disco_items = 4,
                           .limits = {.max_stanza_size = 4096,
                                      .max_room_name_length = 64,
                                      .max_rooms = 16,
                                      .max_rooms_per_creator = 8,
                                      .message_rate = 5,
                                      .message_burst = 10}};
    service_t *svc = service_new(fuzz_ctx(), &opts);
    if (!svc) abort();
    svc->now = fake_now;
    svc->now_ms = fake_now_ms;
    service_set_batching(svc, st != NULL); /* as under the event loop */
    return svc;
}

bool fuzz_feed(service_t *svc, fuzz_sink_t *s, const char *xml)
{
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(svc->ctx, xml);
    if (!st) return false;
    service_handle(svc, st, &s->sink);
    xmpp_stanza_release(st);
    /* one stanza a turn: its appends committed, a lost batch reported */
    if (service_commit(svc) != 0) service_report_lost(svc, &s->sink);
    return true;
}
