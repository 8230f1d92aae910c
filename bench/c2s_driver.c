/* c2s_driver.c - an XMPP client driver for end-to-end MUC benchmarks.
 *
 * Logs in K users (u1..uK@HOST, password = user name) over c2s with
 * libstrophe, makes them all enter one room of the given MUC service, then
 * measures (1) fan-out: M groupchat messages from u1 sent as fast as the
 * server takes them, until every occupant has every copy (deliveries/s),
 * and (2) latency: messages at a fixed rate, time from sending to the last
 * occupant's copy (p50/p99). One process, one event loop: parsing a
 * delivery costs the driver a few microseconds, far below the servers'.
 *
 *   c2s-driver PORT HOST MUC_DOMAIN ROOM K MESSAGES RATE SECONDS
 * Prints one line: "deliveries_per_s=.. p50_ms=.. p99_ms=.." */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

#define LIMIT_S 120.0

typedef struct client {
    xmpp_conn_t *conn;
    char jid[64], pass[16];
    bool up, joined;
} client_t;

static xmpp_ctx_t *ctx;
static client_t *clients;
static unsigned nclients, nup, njoined;
static const char *muc_domain, *room;
static unsigned *deliveries;
static double *sent_at, *done_at;
static size_t nmsg, completed, seq_base;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
    fprintf(stderr, "c2s-driver: %s\n", what);
    exit(1);
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn, (void)ud;
    const char *id = xmpp_stanza_get_id(st);
    if (!id || id[0] != 'e' || !deliveries) return 1;
    size_t seq = strtoul(id + 1, NULL, 10);
    if (seq < seq_base || seq - seq_base >= nmsg) return 1;
    seq -= seq_base;
    if (++deliveries[seq] == nclients) {
        done_at[seq] = now_s();
        completed++;
    }
    return 1;
}

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn;
    client_t *c = ud;
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(
        st, "x", "http://jabber.org/protocol/muc#user");
    if (!x || c->joined) return 1;
    for (xmpp_stanza_t *s = xmpp_stanza_get_children(x); s; s = xmpp_stanza_get_next(s)) {
        const char *code =
            xmpp_stanza_is_tag(s) ? xmpp_stanza_get_attribute(s, "code") : NULL;
        if (code && strcmp(code, "110") == 0) {
            c->joined = true;
            njoined++;
        }
    }
    return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err,
                    xmpp_stream_error_t *se, void *ud)
{
    (void)conn, (void)err, (void)se;
    client_t *c = ud;
    if (ev == XMPP_CONN_CONNECT) {
        c->up = true;
        nup++;
    } else if (ev == XMPP_CONN_DISCONNECT || ev == XMPP_CONN_FAIL) {
        if (c->up || !nup) fail("a client connection failed or dropped");
    }
}

static void send_raw(client_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void send_raw(client_t *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    xmpp_send_raw_string(c->conn, "%s", buf);
}

static void run_until(bool (*done)(void), const char *what)
{
    double deadline = now_s() + LIMIT_S;
    while (!done()) {
        if (now_s() > deadline) fail(what);
        xmpp_run_once(ctx, 5);
    }
}

static bool all_up(void)
{
    return nup == nclients;
}
static bool all_joined(void)
{
    return njoined == nclients;
}
static bool all_delivered(void)
{
    return completed == nmsg;
}
static bool owner_joined(void)
{
    return clients[0].joined;
}

static bool unlocked;
static bool room_unlocked(void)
{
    return unlocked;
}

static int on_instant(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn, (void)ud;
    const char *type = xmpp_stanza_get_type(st);
    if (type && strcmp(type, "result") != 0) fail("the room could not be configured");
    unlocked = true;
    return 0;
}

static void join(client_t *c, unsigned i)
{
    send_raw(
        c,
        "<presence to='%s@%s/n%u'><x xmlns='http://jabber.org/protocol/muc'><history "
        "maxstanzas='0'/></x></presence>",
        room, muc_domain, i);
}

static void track(size_t n, size_t base)
{
    free(deliveries), free(sent_at), free(done_at);
    deliveries = calloc(n, sizeof *deliveries);
    sent_at = calloc(n, sizeof *sent_at);
    done_at = calloc(n, sizeof *done_at);
    nmsg = n;
    completed = 0;
    seq_base = base;
}

static void send_msg(size_t seq)
{
    sent_at[seq - seq_base] = now_s();
    send_raw(&clients[0],
             "<message type='groupchat' id='e%zu' to='%s@%s'><body>benchmark message "
             "%zu</body></message>",
             seq, room, muc_domain, seq);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 9)
        fail("usage: c2s-driver PORT HOST MUC_DOMAIN ROOM K MESSAGES RATE SECONDS");
    unsigned short port = (unsigned short)atoi(argv[1]);
    const char *host = argv[2];
    muc_domain = argv[3];
    room = argv[4];
    nclients = (unsigned)atoi(argv[5]);
    size_t messages = strtoul(argv[6], NULL, 10);
    double rate = atof(argv[7]), seconds = atof(argv[8]);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    clients = calloc(nclients, sizeof *clients);
    for (unsigned i = 0; i < nclients; i++) {
        client_t *c = &clients[i];
        snprintf(c->jid, sizeof c->jid, "u%u@%s/bench", i + 1, host);
        snprintf(c->pass, sizeof c->pass, "u%u", i + 1);
        c->conn = xmpp_conn_new(ctx);
        xmpp_conn_set_flags(c->conn, XMPP_CONN_FLAG_DISABLE_TLS);
        xmpp_conn_set_jid(c->conn, c->jid);
        xmpp_conn_set_pass(c->conn, c->pass);
        xmpp_handler_add(c->conn, on_message, NULL, "message", NULL, c);
        xmpp_handler_add(c->conn, on_presence, NULL, "presence", NULL, c);
        if (xmpp_connect_client(c->conn, "127.0.0.1", port, on_conn, c) != XMPP_EOK)
            fail("cannot start a connection");
        if (i % 20 == 19) xmpp_run_once(ctx, 1);
    }
    run_until(all_up, "logins timed out");
    join(&clients[0], 0);
    run_until(owner_joined, "the owner did not enter");
    xmpp_id_handler_add(clients[0].conn, on_instant, "instant", NULL);
    send_raw(&clients[0],
             "<iq type='set' id='instant' to='%s@%s'><query "
             "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
             "type='submit'/></query></iq>",
             room, muc_domain);
    run_until(room_unlocked, "the room was not unlocked");
    for (unsigned i = 1; i < nclients; i++)
        join(&clients[i], i);
    run_until(all_joined, "joins timed out");
    /* fan-out: as fast as the server takes them */
    track(messages, 0);
    double t0 = now_s();
    for (size_t i = 0; i < messages; i++) {
        send_msg(i);
        if (i % 50 == 49) xmpp_run_once(ctx, 0);
    }
    run_until(all_delivered, "fan-out deliveries timed out");
    double dps = (double)messages * nclients / (now_s() - t0);
    /* latency at a fixed offered rate */
    size_t n = (size_t)(rate * seconds);
    track(n, 1000000);
    t0 = now_s();
    for (size_t i = 0; i < n;) {
        if (now_s() >= t0 + i / rate) send_msg(1000000 + i++);
        xmpp_run_once(ctx, 0);
    }
    run_until(all_delivered, "latency deliveries timed out");
    double *lat = malloc(n * sizeof *lat);
    for (size_t i = 0; i < n; i++)
        lat[i] = (done_at[i] - sent_at[i]) * 1000;
    qsort(lat, n, sizeof *lat, cmp);
    printf("deliveries_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n", dps, lat[n / 2],
           lat[(size_t)(n * 0.99)]);
    return 0;
}
