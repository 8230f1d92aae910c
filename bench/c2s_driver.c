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
 * Prints one line: "deliveries_per_s=.. p50_ms=.. p99_ms=.."
 *
 * Rooms mode (joins and fan-out spread over many rooms):
 *   c2s-driver rooms PORT HOST MUC_DOMAIN PREFIX K ROOMS PER_ROOM MESSAGES
 * logs in K users, then room r (PREFIX0..PREFIX<ROOMS-1>) gets the PER_ROOM
 * occupants u((r*PER_ROOM + j) mod K + 1), j < PER_ROOM (PER_ROOM <= K), so
 * each user sits in about ROOMS*PER_ROOM/K rooms. (1) creation: each room's
 * first occupant enters and unlocks it (instant room), all rooms at once;
 * (2) joins: every other occupant of every room sends its join at once, timed
 * until each has seen its own presence (status 110) in each of its rooms;
 * (3) fan-out: MESSAGES groupchat messages per room from its owner, all
 * rooms interleaved, as fast as the server takes them, until every occupant
 * of every room has every copy. Prints one line:
 *   "creates_per_s=.. joins_per_s=.. deliveries_per_s=.."
 *
 * Both modes: with C2S_DRIVER_CPU_PIDS="name=pid,..." in the environment the
 * line also gets "cpu_<phase>_<name>=<percent of one core>" for each pid and
 * for the driver itself ("self") over the timed phases (fan for fan-out,
 * join for joins), read from /proc/PID/stat. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>
#include <unistd.h>

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
static unsigned expect; /* copies of each message (nclients in the one-room mode) */

/* rooms mode */
static bool rooms_mode;
static unsigned nrooms, per_room;
static bool *in_room;        /* [r * per_room + j]: that occupant saw its 110 */
static size_t nin_room;      /* how many have */
static unsigned *room_owner; /* client index of each room's first occupant */
static size_t nunlocked_rooms;

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
    if (rooms_mode) {
        const char *type = xmpp_stanza_get_type(st);
        if (type && strcmp(type, "error") == 0)
            fail("a groupchat message bounced with an error");
    }
    if (++deliveries[seq] == expect) {
        done_at[seq] = now_s();
        completed++;
    }
    return 1;
}

static const char *room_prefix;

/* Rooms mode: a self-presence (110) from PREFIX<r>@MUC_DOMAIN/.. marks that
 * client's seat in room r; an error presence ends the run with its condition. */
static int on_room_presence(client_t *c, xmpp_stanza_t *st)
{
    const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st);
    size_t plen = strlen(room_prefix);
    if (!from || strncmp(from, room_prefix, plen) != 0) return 1;
    char *end;
    unsigned long r = strtoul(from + plen, &end, 10);
    if (end == from + plen || *end != '@' || r >= nrooms) return 1;
    if (type && strcmp(type, "error") == 0) {
        xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(st, "error");
        xmpp_stanza_t *cond = e ? xmpp_stanza_get_children(e) : NULL;
        while (cond && !xmpp_stanza_is_tag(cond))
            cond = xmpp_stanza_get_next(cond);
        fprintf(stderr, "c2s-driver: %s: join of %s refused: %s\n", c->jid, from,
                cond ? xmpp_stanza_get_name(cond) : "?");
        exit(1);
    }
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(
        st, "x", "http://jabber.org/protocol/muc#user");
    if (!x) return 1;
    for (xmpp_stanza_t *s = xmpp_stanza_get_children(x); s; s = xmpp_stanza_get_next(s)) {
        const char *code =
            xmpp_stanza_is_tag(s) ? xmpp_stanza_get_attribute(s, "code") : NULL;
        if (!code || strcmp(code, "110") != 0) continue;
        unsigned ci = (unsigned)(c - clients);
        unsigned j = (unsigned)((ci + nclients - (r * per_room) % nclients) % nclients);
        if (j < per_room && !in_room[r * per_room + j]) {
            in_room[r * per_room + j] = true;
            nin_room++;
        }
        break;
    }
    return 1;
}

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn;
    client_t *c = ud;
    if (rooms_mode) return on_room_presence(c, st);
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

/* CPU use of the processes named in C2S_DRIVER_CPU_PIDS and of the driver. */
#define MAX_PIDS 8
static struct {
    char name[32];
    int pid; /* 0: self */
    double ticks;
} procs[MAX_PIDS];
static size_t nprocs;
static double cpu_t0;

static double proc_ticks(int pid)
{
    char path[64], buf[1024];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* fields after "(comm)": state is field 3 */
    if (!p) return 0;
    unsigned long utime = 0, stime = 0;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
               &stime) != 2)
        return 0;
    return (double)(utime + stime);
}

static void cpu_setup(void)
{
    const char *env = getenv("C2S_DRIVER_CPU_PIDS");
    if (!env || !*env) return;
    char *copy = strdup(env), *save = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok && nprocs < MAX_PIDS - 1;
         tok = strtok_r(NULL, ", ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        snprintf(procs[nprocs].name, sizeof procs[nprocs].name, "%s", tok);
        procs[nprocs++].pid = atoi(eq + 1);
    }
    free(copy);
    snprintf(procs[nprocs].name, sizeof procs[nprocs].name, "self");
    procs[nprocs++].pid = 0;
}

static void cpu_mark(void)
{
    for (size_t i = 0; i < nprocs; i++)
        procs[i].ticks = proc_ticks(procs[i].pid);
    cpu_t0 = now_s();
}

/* " cpu_PHASE_NAME=PCT" for each process since cpu_mark(), into out. */
static void cpu_report(const char *phase, char *out, size_t cap)
{
    double wall = now_s() - cpu_t0, hz = (double)sysconf(_SC_CLK_TCK);
    size_t len = strlen(out);
    for (size_t i = 0; i < nprocs && len < cap; i++) {
        double pct =
            wall > 0 ? (proc_ticks(procs[i].pid) - procs[i].ticks) / hz / wall * 100 : 0;
        len += (size_t)snprintf(out + len, cap - len, " cpu_%s_%s=%.0f", phase,
                                procs[i].name, pct);
    }
}

static bool all_rooms_owned(void)
{
    return nin_room == nrooms;
}
static bool all_rooms_unlocked(void)
{
    return nunlocked_rooms == nrooms;
}
static bool all_rooms_joined(void)
{
    return nin_room == (size_t)nrooms * per_room;
}

static int on_room_instant(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn, (void)ud;
    const char *type = xmpp_stanza_get_type(st), *id = xmpp_stanza_get_id(st);
    if (!id || strncmp(id, "instant-", 8) != 0) return 1;
    if (type && strcmp(type, "result") != 0) fail("a room could not be configured");
    nunlocked_rooms++;
    return 1;
}

static void room_join(unsigned r, unsigned ci)
{
    send_raw(
        &clients[ci],
        "<presence to='%s%u@%s/n%u'><x xmlns='http://jabber.org/protocol/muc'><history "
        "maxstanzas='0'/></x></presence>",
        room_prefix, r, muc_domain, ci);
}

static void connect_all(unsigned short port, const char *host);

static int rooms_main(int argc, char **argv)
{
    if (argc != 10)
        fail("usage: c2s-driver rooms PORT HOST MUC_DOMAIN PREFIX K ROOMS PER_ROOM "
             "MESSAGES");
    rooms_mode = true;
    unsigned short port = (unsigned short)atoi(argv[2]);
    const char *host = argv[3];
    muc_domain = argv[4];
    room_prefix = argv[5];
    nclients = (unsigned)atoi(argv[6]);
    nrooms = (unsigned)atoi(argv[7]);
    per_room = (unsigned)atoi(argv[8]);
    size_t messages = strtoul(argv[9], NULL, 10);
    if (!nclients || !nrooms || !per_room || per_room > nclients)
        fail("rooms mode needs K > 0, ROOMS > 0 and 0 < PER_ROOM <= K");
    in_room = calloc((size_t)nrooms * per_room, sizeof *in_room);
    room_owner = calloc(nrooms, sizeof *room_owner);
    connect_all(port, host);
    for (unsigned c = 0; c < nclients; c++)
        xmpp_handler_add(clients[c].conn, on_room_instant, NULL, "iq", NULL, NULL);
    /* (1) creation: each room's first occupant, all rooms at once */
    double t0 = now_s();
    for (unsigned r = 0; r < nrooms; r++) {
        room_owner[r] = (unsigned)(((size_t)r * per_room) % nclients);
        room_join(r, room_owner[r]);
    }
    run_until(all_rooms_owned, "room creation timed out");
    for (unsigned r = 0; r < nrooms; r++)
        send_raw(&clients[room_owner[r]],
                 "<iq type='set' id='instant-%u' to='%s%u@%s'><query "
                 "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                 "type='submit'/></query></iq>",
                 r, room_prefix, r, muc_domain);
    run_until(all_rooms_unlocked, "rooms were not unlocked");
    double cps = nrooms / (now_s() - t0);
    /* (2) joins: every other seat of every room at once */
    char cpu[1024] = "";
    cpu_mark();
    t0 = now_s();
    for (unsigned j = 1; j < per_room; j++)
        for (unsigned r = 0; r < nrooms; r++) {
            room_join(r, (unsigned)(((size_t)r * per_room + j) % nclients));
            if (r % 50 == 49) xmpp_run_once(ctx, 0);
        }
    run_until(all_rooms_joined, "joins timed out");
    double jdt = now_s() - t0;
    double jps = (double)nrooms * (per_room - 1) / jdt;
    cpu_report("join", cpu, sizeof cpu);
    /* (3) fan-out in every room from its owner */
    double dps = 0;
    if (messages) {
        expect = per_room;
        track(messages * nrooms, 0);
        cpu_mark();
        t0 = now_s();
        for (size_t m = 0; m < messages; m++)
            for (unsigned r = 0; r < nrooms; r++) {
                size_t seq = m * nrooms + r;
                sent_at[seq] = now_s();
                send_raw(
                    &clients[room_owner[r]],
                    "<message type='groupchat' id='e%zu' to='%s%u@%s'><body>benchmark "
                    "message %zu</body></message>",
                    seq, room_prefix, r, muc_domain, seq);
                if (seq % 50 == 49) xmpp_run_once(ctx, 0);
            }
        run_until(all_delivered, "fan-out deliveries timed out");
        dps = (double)messages * nrooms * per_room / (now_s() - t0);
        cpu_report("fan", cpu, sizeof cpu);
    }
    printf("creates_per_s=%.0f joins_per_s=%.0f join_s=%.3f deliveries_per_s=%.0f%s\n",
           cps, jps, jdt, dps, cpu);
    return 0;
}

static void connect_all(unsigned short port, const char *host)
{
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
}

int main(int argc, char **argv)
{
    cpu_setup();
    if (argc > 1 && strcmp(argv[1], "rooms") == 0) return rooms_main(argc, argv);
    if (argc != 9)
        fail("usage: c2s-driver PORT HOST MUC_DOMAIN ROOM K MESSAGES RATE SECONDS");
    unsigned short port = (unsigned short)atoi(argv[1]);
    const char *host = argv[2];
    muc_domain = argv[3];
    room = argv[4];
    nclients = (unsigned)atoi(argv[5]);
    size_t messages = strtoul(argv[6], NULL, 10);
    double rate = atof(argv[7]), seconds = atof(argv[8]);
    expect = nclients;
    connect_all(port, host);
    join(&clients[0], 0);
    run_until(owner_joined, "the owner did not enter");
    xmpp_id_handler_add(clients[0].conn, on_instant, "instant", NULL);
    /* C2S_DRIVER_ROOM_FIELDS: muc#roomconfig fields submitted with the
     * room's creation (e.g. a persistent, archived room); else instant */
    const char *fields = getenv("C2S_DRIVER_ROOM_FIELDS");
    send_raw(&clients[0],
             "<iq type='set' id='instant' to='%s@%s'><query "
             "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
             "type='submit'>%s%s</x></query></iq>",
             room, muc_domain,
             fields ? "<field var='FORM_TYPE'><value>"
                      "http://jabber.org/protocol/muc#roomconfig</value></field>"
                    : "",
             fields ? fields : "");
    run_until(room_unlocked, "the room was not unlocked");
    for (unsigned i = 1; i < nclients; i++)
        join(&clients[i], i);
    run_until(all_joined, "joins timed out");
    /* fan-out: as fast as the server takes them */
    track(messages, 0);
    char cpu[1024] = "";
    cpu_mark();
    double t0 = now_s();
    for (size_t i = 0; i < messages; i++) {
        send_msg(i);
        if (i % 50 == 49) xmpp_run_once(ctx, 0);
    }
    run_until(all_delivered, "fan-out deliveries timed out");
    double dps = (double)messages * nclients / (now_s() - t0);
    cpu_report("fan", cpu, sizeof cpu);
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
    printf("deliveries_per_s=%.0f p50_ms=%.2f p99_ms=%.2f%s\n", dps, lat[n / 2],
           lat[(size_t)(n * 0.99)], cpu);
    return 0;
}
