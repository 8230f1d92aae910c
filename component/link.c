/* link.c - the XEP-0114 component link over libstrophe. */
#include "component/link.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "component/log.h"

#define LOOP_TICK_MS     200
#define SHUTDOWN_WAIT_MS 2000
#define OUT_FLUSH_BYTES  (1 << 20)
#define TURN_READS       32 /* extra non-blocking reads in one turn */

typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_UP, LINK_CLOSED } link_state_t;

typedef struct withheld {
    size_t start, end; /* out[start..end) */
} withheld_t;

typedef struct link {
    out_sink_t sink; /* first: the core's sink is this link */
    const config_t *cfg;
    service_t *svc;
    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    link_state_t state;
    int backoff_s;         /* the next wait before reconnecting */
    long long next_try_ms; /* monotonic time of the next connect attempt */
    bool refused;          /* the server refused our secret: fatal */
    bool closing;          /* we are closing the stream ourselves */
    char *out;             /* outgoing bytes of the current turn */
    bool drop_stanza;      /* a commit failed while handling this stanza */
    bool handled;          /* a stanza was handled in this xmpp_run_once */
    size_t out_len, out_cap;
    /* the byte ranges of out that show a pending archive append as stored
     * (service_handle returned true): cut if the commit fails */
    withheld_t *held;
    size_t nheld, held_cap;
    unsigned long flushes; /* link_flush calls, to see one within a stanza */
} link_t;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Cuts the withheld ranges out of the turn's output. */
static void cut_withheld(link_t *l)
{
    size_t w = 0, r = 0, cut = 0;
    for (size_t i = 0; i < l->nheld; i++) {
        size_t s = l->held[i].start, e = l->held[i].end;
        if (s < r || e > l->out_len || s > e) continue; /* not ours: kept */
        memmove(l->out + w, l->out + r, s - r);
        w += s - r;
        r = e;
        cut += e - s;
    }
    memmove(l->out + w, l->out + r, l->out_len - r);
    l->out_len = w + l->out_len - r;
    LOG_E("component",
          "archive commit failed: withheld %zu bytes of output for %zu "
          "stanzas; their senders get an error",
          cut, l->nheld);
}

/* Everything the core sends while handling the stanzas of one event-loop
 * turn (one xmpp_run_once; or OUT_FLUSH_BYTES of it) is collected as text
 * and handed to libstrophe in one write request, after the turn's archive
 * appends were committed in one transaction: one allocation and one commit
 * per turn instead of one per recipient and per message. libstrophe 0.12
 * copies it with strophe_strndup(), which calls strlen() on the data first,
 * so the buffer is NUL-terminated (one byte beyond out_cap is allocated for
 * it): else strlen() reads stale and uninitialised bytes, and past the end
 * of the allocation when no NUL follows. */
static bool link_flush(link_t *l)
{
    /* acknowledged = stored: the turn's archive appends are committed in
     * one transaction before any of its output leaves; if they were lost,
     * the output that shows them as stored is cut, and their senders are
     * told instead; the rest of the turn's output stands */
    l->flushes++;
    bool ok = service_commit(l->svc) == 0;
    if (!ok) {
        cut_withheld(l);
        service_report_lost(l->svc, &l->sink);
    }
    l->nheld = 0;
    if (l->out_len && l->state == LINK_UP) {
        l->out[l->out_len] = '\0';
        xmpp_send_raw(l->conn, l->out, l->out_len);
    }
    l->out_len = 0;
    return ok;
}

/* Remembers out[start..out_len) as withheld until the commit. */
static void hold(link_t *l, size_t start)
{
    if (l->nheld == l->held_cap) {
        size_t cap = l->held_cap ? 2 * l->held_cap : 64;
        withheld_t *grown = realloc(l->held, cap * sizeof *grown);
        if (!grown) { /* cannot tell it apart: drop it now */
            l->out_len = start;
            return;
        }
        l->held = grown;
        l->held_cap = cap;
    }
    l->held[l->nheld++] = (withheld_t){start, l->out_len};
}

static void link_send_raw(out_sink_t *sink, const char *xml, size_t len)
{
    link_t *l = (link_t *)sink;
    if (l->state != LINK_UP || l->drop_stanza) return;
    if (l->out_len + len > l->out_cap) {
        size_t cap = (l->out_cap ? l->out_cap * 2 : 65536) + len;
        char *grown = realloc(l->out, cap + 1); /* + the NUL of link_flush */
        if (!grown) {
            LOG_E("component", "out of memory: dropped an outgoing stanza");
            return;
        }
        l->out = grown;
        l->out_cap = cap;
    }
    memcpy(l->out + l->out_len, xml, len);
    l->out_len += len;
    /* a failed commit in mid-stanza: the rest of its output goes too */
    if (l->out_len > OUT_FLUSH_BYTES && !link_flush(l)) l->drop_stanza = true;
}

/* The core's sink: send while the link is up, drop otherwise. */
static void link_send(out_sink_t *sink, xmpp_stanza_t *st)
{
    link_t *l = (link_t *)sink;
    char *text = NULL;
    size_t len = 0;
    if (l->state != LINK_UP)
        LOG_D("component", "link down: dropped outgoing <%s/>", xmpp_stanza_get_name(st));
    else if (xmpp_stanza_to_text(st, &text, &len) == 0) {
        link_send_raw(sink, text, len);
        xmpp_free(l->ctx, text);
    }
    xmpp_stanza_release(st);
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
    (void)conn;
    link_t *l = userdata;
    size_t start = l->out_len;
    unsigned long flushes = l->flushes;
    /* flushed once per turn: link_run; a flush within the stanza committed
     * its append (or failed, and drop_stanza dropped the rest) */
    if (service_handle(l->svc, st, &l->sink) && flushes == l->flushes) hold(l, start);
    l->drop_stanza = false;
    l->handled = true;
    return 1; /* keep the handler */
}

static void schedule_retry(link_t *l)
{
    l->next_try_ms = now_ms() + (long long)l->backoff_s * 1000;
    LOG_I("component", "reconnecting to %s:%d in %d s", l->cfg->server, l->cfg->port,
          l->backoff_s);
    l->backoff_s *= 2;
    if (l->backoff_s > l->cfg->reconnect_max) l->backoff_s = l->cfg->reconnect_max;
}

/* Logs why the stream ended; returns true when it is fatal (bad secret). */
static bool report_stream_error(link_t *l, xmpp_stream_error_t *se)
{
    const char *text = se->text ? se->text : "";
    if (se->type == XMPP_SE_NOT_AUTHORIZED) {
        LOG_E("component",
              "server refused the component secret for %s (not-authorized%s%s); check "
              "[component] secret against the server's component secret",
              l->cfg->domain, *text ? ": " : "", text);
        return true;
    }
    if (se->type == XMPP_SE_HOST_UNKNOWN)
        LOG_E("component",
              "server does not know the component domain %s (host-unknown) %s",
              l->cfg->domain, text);
    else if (se->type == XMPP_SE_CONFLICT)
        LOG_E("component", "another component is already connected as %s (conflict) %s",
              l->cfg->domain, text);
    else
        LOG_W("component", "stream error from server (type %d) %s", (int)se->type, text);
    return false;
}

static void on_conn_event(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                          xmpp_stream_error_t *se, void *userdata)
{
    (void)conn;
    link_t *l = userdata;
    if (event == XMPP_CONN_CONNECT) {
        l->state = LINK_UP;
        l->backoff_s = 1;
        LOG_I("component", "connected to %s:%d as %s", l->cfg->server, l->cfg->port,
              l->cfg->domain);
        return;
    }
    if (event == XMPP_CONN_RAW_CONNECT) return;
    bool was_up = l->state == LINK_UP;
    l->state = LINK_CLOSED;
    if (se && report_stream_error(l, se)) {
        l->refused = true;
        return;
    }
    if (was_up && !l->closing) service_link_lost(l->svc);
    if (l->closing)
        LOG_I("component", "stream closed");
    else if (was_up)
        LOG_W("component", "link to %s:%d lost%s%s", l->cfg->server, l->cfg->port,
              error ? ": " : "", error ? strerror(error) : "");
    else
        LOG_W("component", "cannot connect to %s:%d%s%s", l->cfg->server, l->cfg->port,
              error ? ": " : "", error ? strerror(error) : "");
}

/* libstrophe 0.12 (Debian 12) allocates a connection's stream-management
 * state only in xmpp_connect_client(), yet dereferences it on every stanza
 * received and on disconnect, so a component connection crashes on its first
 * stanza. A client connect towards the empty host name allocates that state
 * and then fails at once, before any socket or DNS work (getaddrinfo("")
 * fails locally), leaving the connection disconnected and ready for
 * xmpp_connect_component(). Newer libstrophe keeps the state it finds. */
static void seed_sm_state(xmpp_conn_t *conn)
{
    int rc = xmpp_connect_client(conn, "", 0, on_conn_event, NULL);
    if (rc == XMPP_EOK) LOG_W("component", "unexpected: seeding connect succeeded");
}

static void link_connect(link_t *l)
{
    l->conn = xmpp_conn_new(l->ctx);
    if (!l->conn) {
        LOG_E("component", "out of memory creating the connection");
        schedule_retry(l);
        return;
    }
    xmpp_conn_set_jid(l->conn, l->cfg->domain);
    xmpp_conn_set_pass(l->conn, l->cfg->secret);
    seed_sm_state(l->conn);
    xmpp_conn_set_sockopt_callback(l->conn, xmpp_sockopt_cb_keepalive);
    xmpp_handler_add(l->conn, on_stanza, NULL, NULL, NULL, l);
    LOG_D("component", "connecting to %s:%d", l->cfg->server, l->cfg->port);
    l->state = LINK_CONNECTING;
    int rc = xmpp_connect_component(l->conn, l->cfg->server, (unsigned short)l->cfg->port,
                                    on_conn_event, l);
    if (rc != XMPP_EOK) {
        LOG_W("component", "cannot start connecting to %s:%d (error %d)", l->cfg->server,
              l->cfg->port, rc);
        l->state = LINK_CLOSED;
    }
}

/* Releases a closed connection and plans the next attempt. */
static void link_reap(link_t *l)
{
    xmpp_conn_release(l->conn);
    l->conn = NULL;
    l->state = LINK_DOWN;
    if (!l->refused) schedule_retry(l);
}

static void link_shutdown(link_t *l)
{
    if (l->state == LINK_UP || l->state == LINK_CONNECTING) {
        if (l->state == LINK_UP) {
            service_shutdown(l->svc, &l->sink);
            link_flush(l);
        }
        LOG_I("component", "closing the stream");
        l->closing = true;
        xmpp_disconnect(l->conn);
        long long deadline = now_ms() + SHUTDOWN_WAIT_MS;
        while (l->state != LINK_CLOSED && now_ms() < deadline)
            xmpp_run_once(l->ctx, 50);
    }
    if (l->conn) xmpp_conn_release(l->conn);
    l->conn = NULL;
    l->state = LINK_DOWN;
}

int link_run(const config_t *cfg, service_t *svc, xmpp_ctx_t *ctx,
             volatile sig_atomic_t *stop)
{
    link_t l = {.sink = {.send = link_send, .send_raw = link_send_raw},
                .cfg = cfg,
                .svc = svc,
                .ctx = ctx,
                .state = LINK_DOWN,
                .backoff_s = 1};
    l.next_try_ms = now_ms();
    service_set_batching(svc, true);
    long long next_tick_ms = now_ms() + 1000;
    while (!*stop && !l.refused) {
        if (now_ms() >= next_tick_ms) { /* periodic work: archive retention */
            service_tick(svc);
            next_tick_ms = now_ms() + 1000;
        }
        if (l.state == LINK_DOWN && now_ms() >= l.next_try_ms) link_connect(&l);
        if (l.state != LINK_DOWN && l.state != LINK_CLOSED) {
            l.handled = false;
            xmpp_run_once(ctx, LOOP_TICK_MS);
            /* what is already readable joins the turn (one libstrophe read
             * is a few KiB): bigger batches, one commit for all of them */
            for (int i = 0; i < TURN_READS && l.handled && l.state == LINK_UP; i++) {
                l.handled = false;
                xmpp_run_once(ctx, 0);
            }
        } else if (l.state == LINK_DOWN)
            nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
        link_flush(&l); /* the turn's archive commit, then its output */
        if (l.state == LINK_CLOSED) link_reap(&l);
    }
    link_shutdown(&l);
    service_set_batching(svc, false);
    free(l.out);
    free(l.held);
    return l.refused ? EXIT_REFUSED : EXIT_OK;
}
