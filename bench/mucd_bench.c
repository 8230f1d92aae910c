/* mucd_bench.c - component-isolated benchmark of mucd.
 *
 * mucd-bench plays the XMPP server's side of XEP-0114 on a loopback port: it
 * starts mucd with a generated configuration, accepts its connection, checks
 * the handshake, then injects stanzas as if from many users and reads
 * everything mucd sends back (parsed with expat, as a server would).
 *
 *   mucd-bench --mucd build/mucd [--quick] [--json FILE] [--scale-rooms N]
 *
 * Workloads: joins (rooms x occupants), fan-out for K = 10, 100, 1000,
 * latency at a fixed offered rate, memory per loaded room and per occupant,
 * scale (start-up, idle RSS and disco#items page latency with N stored
 * rooms, created directly in a store), and archive (fan-out for K = 10, 100
 * in persistent rooms with the archive on and off; MAM page latency with
 * --mam-messages archived messages in one room, loaded directly into a
 * store). Every wait is bounded. */
#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage/storage.h"

#define DOMAIN  "chat.bench"
#define SECRET  "bench-secret"
#define TIMEOUT 120.0 /* seconds: the longest any phase may take */

typedef struct bench {
    const char *mucd_path;
    char dir[64];
    pid_t pid;
    int listen_fd, fd;
    XML_Parser parser;
    int depth;
    char stream_id[32];
    bool handshaken, failed;
    bool stopping, eof; /* stop_mucd: the end of the stream is expected */
    char *text;         /* <handshake> text */
    size_t text_len;
    /* output */
    char *out;
    size_t out_len, out_off, out_cap;
    /* input accounting */
    unsigned long long stanzas_in, bytes_in;
    char wait_id[64];
    bool wait_done;
    /* per-message delivery tracking for fan-out and latency */
    unsigned *deliveries;
    double *sent_at, *done_at;
    size_t nmsg;
    unsigned expect;
    size_t completed;
} bench_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mucd-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* ---- output ----------------------------------------------------------- */

static void emit(bench_t *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->out_cap - b->out_len;
        va_start(ap, fmt);
        int n = vsnprintf(b->out + b->out_len, room, fmt, ap);
        va_end(ap);
        if (n < 0) die("format");
        if ((size_t)n < room) {
            b->out_len += (size_t)n;
            return;
        }
        b->out_cap = b->out_cap * 2 + (size_t)n + 1;
        if (!(b->out = realloc(b->out, b->out_cap))) die("out of memory");
    }
}

/* ---- input: the stream from mucd, parsed as a server would ----------- */

static const char *attr(const XML_Char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return atts[i + 1];
    return NULL;
}

static void on_message(bench_t *b, const XML_Char **atts)
{
    const char *id = attr(atts, "id");
    if (!id || id[0] != 'b' || !b->deliveries) return;
    size_t seq = strtoul(id + 1, NULL, 10);
    if (seq >= b->nmsg) return;
    if (++b->deliveries[seq] == b->expect) {
        b->done_at[seq] = now_s();
        b->completed++;
    }
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    bench_t *b = ud;
    if (b->depth == 0) { /* mucd opened its stream: answer with ours */
        snprintf(b->stream_id, sizeof b->stream_id, "bench%ld", (long)getpid());
        emit(b,
             "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
             "xmlns:stream='http://etherx.jabber.org/streams' from='%s' id='%s'>",
             DOMAIN, b->stream_id);
    } else if (b->depth == 1) {
        b->stanzas_in++;
        if (strcmp(name, "message") == 0) on_message(b, atts);
        const char *id = attr(atts, "id");
        if (id && b->wait_id[0] && strcmp(id, b->wait_id) == 0) b->wait_done = true;
    }
    b->depth++;
}

static void check_handshake(bench_t *b)
{
    char input[128];
    snprintf(input, sizeof input, "%s%s", b->stream_id, SECRET);
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    char *hex = xmpp_sha1(ctx, (const unsigned char *)input, strlen(input));
    bool ok = hex && b->text && strcmp(hex, b->text) == 0;
    xmpp_free(ctx, hex);
    xmpp_ctx_free(ctx);
    if (!ok) die("mucd sent a wrong handshake digest");
    emit(b, "<handshake/>");
    b->handshaken = true;
}

static void on_end(void *ud, const XML_Char *name)
{
    bench_t *b = ud;
    b->depth--;
    if (b->depth == 1 && !b->handshaken && strcmp(name, "handshake") == 0)
        check_handshake(b);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    bench_t *b = ud;
    if (b->handshaken || b->depth != 2) return;
    b->text = realloc(b->text, b->text_len + (size_t)len + 1);
    memcpy(b->text + b->text_len, s, (size_t)len);
    b->text_len += (size_t)len;
    b->text[b->text_len] = '\0';
}

/* ---- the event loop --------------------------------------------------- */

static void mucd_gone(bench_t *b)
{
    int status = 0;
    usleep(200000);
    if (waitpid(b->pid, &status, WNOHANG) == b->pid && WIFSIGNALED(status))
        die("mucd died of signal %d (see %s/mucd.log)", WTERMSIG(status), b->dir);
    die("mucd closed the connection (status %d; see %s/mucd.log)", status, b->dir);
}

static void pump_once(bench_t *b, int timeout_ms)
{
    struct pollfd p = {b->fd, POLLIN | (b->out_off < b->out_len ? POLLOUT : 0), 0};
    if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR) die("poll: %s", strerror(errno));
    if (p.revents & POLLOUT) {
        ssize_t n = write(b->fd, b->out + b->out_off, b->out_len - b->out_off);
        if (n > 0) b->out_off += (size_t)n;
        if (b->out_off == b->out_len) b->out_off = b->out_len = 0;
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[1 << 16];
        for (int i = 0; i < 16; i++) {
            ssize_t n = read(b->fd, buf, sizeof buf);
            if (n == 0 && b->stopping) {
                b->eof = true;
                return;
            }
            if (n == 0) mucd_gone(b);
            if (n < 0) break;
            b->bytes_in += (unsigned long long)n;
            if (XML_Parse(b->parser, buf, (int)n, 0) == XML_STATUS_ERROR)
                die("bad XML from mucd: %s",
                    XML_ErrorString(XML_GetErrorCode(b->parser)));
        }
    }
}

/* Runs the loop until *flag is true or the deadline passes. */
static void pump_until(bench_t *b, const bool *flag, double seconds, const char *what)
{
    double deadline = now_s() + seconds;
    while (!*flag) {
        if (now_s() > deadline) die("timed out waiting for %s", what);
        pump_once(b, 10);
    }
}

/* Sends a ping and waits for its answer: mucd handles one connection in
 * order, so everything sent before has been processed and answered. */
static void barrier(bench_t *b, const char *tag)
{
    static unsigned n;
    snprintf(b->wait_id, sizeof b->wait_id, "barrier-%s-%u", tag, ++n);
    b->wait_done = false;
    emit(b,
         "<iq type='get' id='%s' from='admin@bench/x' to='%s'><ping "
         "xmlns='urn:xmpp:ping'/></iq>",
         b->wait_id, DOMAIN);
    pump_until(b, &b->wait_done, TIMEOUT, tag);
}

/* ---- mucd as a child process ----------------------------------------- */

static void write_config(bench_t *b, int port, const char *store, int map_mb)
{
    char path[128];
    snprintf(path, sizeof path, "%s/mucd.conf", b->dir);
    FILE *f = fopen(path, "w");
    if (!f) die("cannot write %s", path);
    fprintf(f,
            "[component]\nserver = 127.0.0.1\nport = %d\ndomain = %s\nsecret = %s\n"
            "[storage]\npath = %s\nmap_size_mb = %d\n[muc]\nhistory_length = 20\n"
            "max_occupants = 100000\nmax_disco_items = 100\n"
            "[limits]\nmax_rooms = 0\nmax_rooms_per_creator = 0\nmessage_rate = 0\n"
            "[log]\nlevel = info\n",
            port, DOMAIN, SECRET, store, map_mb);
    fclose(f);
}

/* Starts mucd on `store` and completes the handshake; returns seconds
 * from exec to a ready link. */
static double start_mucd(bench_t *b, const char *store, int map_mb)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    b->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (b->listen_fd < 0 || bind(b->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(b->listen_fd, 1) != 0 ||
        getsockname(b->listen_fd, (struct sockaddr *)&a, &alen))
        die("cannot listen on loopback: %s", strerror(errno));
    write_config(b, ntohs(a.sin_port), store, map_mb);
    double t0 = now_s();
    b->pid = fork();
    if (b->pid == 0) {
        char conf[128], log[128];
        snprintf(conf, sizeof conf, "%s/mucd.conf", b->dir);
        snprintf(log, sizeof log, "%s/mucd.log", b->dir);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) dup2(fd, 2);
        execl(b->mucd_path, "mucd", "-c", conf, (char *)NULL);
        _exit(127);
    }
    struct pollfd p = {b->listen_fd, POLLIN, 0};
    if (poll(&p, 1, 30000) != 1) die("mucd did not connect (see %s/mucd.log)", b->dir);
    b->fd = accept(b->listen_fd, NULL, NULL);
    close(b->listen_fd);
    fcntl(b->fd, F_SETFL, O_NONBLOCK);
    b->parser = XML_ParserCreate(NULL);
    XML_SetUserData(b->parser, b);
    XML_SetElementHandler(b->parser, on_start, on_end);
    XML_SetCharacterDataHandler(b->parser, on_text);
    b->depth = 0;
    b->handshaken = false;
    pump_until(b, &b->handshaken, 30, "the handshake");
    return now_s() - t0;
}

static void stop_mucd(bench_t *b)
{
    kill(b->pid, SIGTERM);
    b->stopping = true;
    for (int i = 0; i < 100; i++) {
        if (b->eof)
            usleep(20000);
        else
            pump_once(b, 20);
        if (waitpid(b->pid, NULL, WNOHANG) == b->pid) goto done;
    }
    kill(b->pid, SIGKILL);
    waitpid(b->pid, NULL, 0);
done:
    b->stopping = b->eof = false;
    close(b->fd);
    XML_ParserFree(b->parser);
    free(b->text);
    b->text = NULL;
    b->text_len = 0;
}

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kib;
}

/* CPU seconds (user + system) the process has used so far. */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
                     &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds this benchmark process has used so far. */
static double self_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- workloads -------------------------------------------------------- */

/* Occupant i of room `room` enters (user u<i>, nick n<i>). */
static void join(bench_t *b, const char *room, unsigned i)
{
    emit(b,
         "<presence from='u%u@bench/r' to='%s@%s/n%u'><x "
         "xmlns='http://jabber.org/protocol/muc'>"
         "<history maxstanzas='0'/></x></presence>",
         i, room, DOMAIN, i);
}

/* Room configurations the archived fan-out submits (muc#roomconfig). */
#define CFG_FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"
#define CFG_FORM_TYPE       CFG_FIELD("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig")
#define CFG_PERSISTENT      CFG_FIELD("muc#roomconfig_persistentroom", "1")
#define CFG_ARCHIVE(on)     CFG_FIELD("muc#roomconfig_enablearchiving", on)
#define CFG_ARCHIVED        CFG_FORM_TYPE CFG_PERSISTENT CFG_ARCHIVE("1")
#define CFG_NOT_ARCHIVED    CFG_FORM_TYPE CFG_PERSISTENT CFG_ARCHIVE("0")

/* Creates a room: its owner (occupant 0) enters and submits `fields` (""
 * accepts the defaults: an instant, temporary room). */
static void create_room_cfg(bench_t *b, const char *room, const char *fields)
{
    join(b, room, 0);
    emit(b,
         "<iq type='set' id='cfg-%s' from='u0@bench/r' to='%s@%s'><query "
         "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
         "type='submit'>%s</x></query></iq>",
         room, room, DOMAIN, fields);
}

static void create_room(bench_t *b, const char *room)
{
    create_room_cfg(b, room, "");
}

static void fill_room_cfg(bench_t *b, const char *room, unsigned occupants,
                          const char *fields)
{
    create_room_cfg(b, room, fields);
    for (unsigned i = 1; i < occupants; i++)
        join(b, room, i);
}

static void fill_room(bench_t *b, const char *room, unsigned occupants)
{
    create_room(b, room);
    for (unsigned i = 1; i < occupants; i++)
        join(b, room, i);
}

typedef struct results {
    double joins_per_s, join_room_ms, joins_per_cpu_s, join_stanzas_per_s;
    double join_mucd_busy, join_bench_busy; /* CPU share of the wall time */
    unsigned join_rooms, join_occupants;
    unsigned fan_k[3];
    double fan_dps[3], fan_dps_cpu[3];
    double lat_p50_ms, lat_p99_ms, lat_rate;
    unsigned lat_k;
    double kib_per_room, kib_per_occupant;
    unsigned mem_rooms, mem_occupants;
    unsigned long scale_rooms;
    double scale_start_s, scale_disco_ms[3];
    long scale_idle_kib;
    /* archived fan-out: persistent rooms, archive on [0] / off [1] */
    unsigned arch_k[2], arch_reps;
    double arch_dps[2][2], arch_dps_cpu[2][2];   /* medians of arch_reps runs */
    double arch_cost[2][3], arch_cost_cpu[2][3]; /* the cost %: median, min, max */
    unsigned long mam_msgs;
    double mam_fill_s, mam_ms[3]; /* page of 50: start, middle (after-id), end */
    double mam_with_ms[3];        /* the same, `with` one sender of 100 */
} results_t;

static void run_joins(bench_t *b, results_t *r, unsigned rooms, unsigned occupants)
{
    double t0 = now_s(), c0 = cpu_s(b->pid), self0 = self_cpu_s();
    unsigned long long s0 = b->stanzas_in;
    for (unsigned k = 0; k < rooms; k++) {
        char name[32];
        snprintf(name, sizeof name, "join%u", k);
        fill_room(b, name, occupants);
        if (b->out_len > (64u << 20)) pump_once(b, 0);
    }
    barrier(b, "joins");
    double dt = now_s() - t0, cpu = cpu_s(b->pid) - c0;
    r->join_rooms = rooms;
    r->join_occupants = occupants;
    r->joins_per_s = rooms * occupants / dt;
    r->joins_per_cpu_s = cpu > 0 ? rooms * occupants / cpu : 0;
    r->join_stanzas_per_s = (double)(b->stanzas_in - s0) / dt;
    r->join_mucd_busy = cpu / dt;
    r->join_bench_busy = (self_cpu_s() - self0) / dt;
    r->join_room_ms = dt * 1000 / rooms;
}

static void track(bench_t *b, size_t nmsg, unsigned expect)
{
    free(b->deliveries);
    free(b->sent_at);
    free(b->done_at);
    b->deliveries = calloc(nmsg, sizeof *b->deliveries);
    b->sent_at = calloc(nmsg, sizeof *b->sent_at);
    b->done_at = calloc(nmsg, sizeof *b->done_at);
    if (!b->deliveries || !b->sent_at || !b->done_at) die("out of memory");
    b->nmsg = nmsg;
    b->expect = expect;
    b->completed = 0;
}

static void send_message(bench_t *b, const char *room, size_t seq)
{
    b->sent_at[seq] = now_s();
    emit(b,
         "<message type='groupchat' id='b%zu' from='u0@bench/r' to='%s@%s'><body>message "
         "number %zu from the benchmark</body></message>",
         seq, room, DOMAIN, seq);
}

/* Returns deliveries/s; *per_cpu_s gets deliveries per second of mucd CPU.
 * The room is `prefix`<k>, created with the configuration `fields`. */
static double run_fanout_cfg(bench_t *b, const char *prefix, const char *fields,
                             unsigned k, size_t deliveries, double *per_cpu_s)
{
    char room[32];
    snprintf(room, sizeof room, "%s%u", prefix, k);
    fill_room_cfg(b, room, k, fields);
    barrier(b, "fan-fill");
    size_t nmsg = deliveries / k;
    track(b, nmsg, k);
    double t0 = now_s(), c0 = cpu_s(b->pid);
    for (size_t i = 0; i < nmsg; i++)
        send_message(b, room, i);
    bool done = false;
    double deadline = t0 + TIMEOUT;
    while (!done) {
        if (now_s() > deadline) die("fan-out K=%u timed out", k);
        pump_once(b, 10);
        done = b->completed == nmsg;
    }
    double cpu = cpu_s(b->pid) - c0;
    *per_cpu_s = cpu > 0 ? nmsg * (double)k / cpu : 0;
    return nmsg * (double)k / (now_s() - t0);
}

static double run_fanout(bench_t *b, unsigned k, size_t deliveries, double *per_cpu_s)
{
    return run_fanout_cfg(b, "fan", "", k, deliveries, per_cpu_s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median, min and max of v[0..n) into out[3]. */
static void spread(double *v, unsigned n, double out[3])
{
    out[0] = median(v, n);
    out[1] = v[0];
    out[2] = v[n - 1];
}

#define ARCH_REPS 5

/* Archived fan-out: a persistent room with the archive on, then one with it
 * off, the same number of deliveries as the fan-out above, ARCH_REPS times
 * in turn (each pair in new rooms): the medians, and the spread of the
 * cost of each pair (the machine is shared with the load generator). */
static void run_archived_fanout(bench_t *b, results_t *r, bool quick)
{
    static const unsigned aks[2] = {10, 100};
    unsigned reps = quick ? 1 : ARCH_REPS;
    size_t deliveries = quick ? 200000 : 2000000;
    r->arch_reps = reps;
    for (int i = 0; i < 2; i++) {
        double v[2][2][ARCH_REPS], cost[ARCH_REPS], cost_cpu[ARCH_REPS];
        fprintf(stderr, "archived fan-out K=%u, %u runs...\n", aks[i], reps);
        r->arch_k[i] = aks[i];
        for (unsigned rep = 0; rep < reps; rep++) {
            char on[16], off[16];
            snprintf(on, sizeof on, "arch%ur", rep);
            snprintf(off, sizeof off, "noarch%ur", rep);
            v[0][0][rep] =
                run_fanout_cfg(b, on, CFG_ARCHIVED, aks[i], deliveries, &v[0][1][rep]);
            v[1][0][rep] = run_fanout_cfg(b, off, CFG_NOT_ARCHIVED, aks[i], deliveries,
                                          &v[1][1][rep]);
            cost[rep] = 100 * (1 - v[0][0][rep] / v[1][0][rep]);
            cost_cpu[rep] =
                v[0][1][rep] > 0 ? 100 * (v[1][1][rep] / v[0][1][rep] - 1) : 0;
        }
        for (int a = 0; a < 2; a++) {
            r->arch_dps[i][a] = median(v[a][0], reps);
            r->arch_dps_cpu[i][a] = median(v[a][1], reps);
        }
        spread(cost, reps, r->arch_cost[i]);
        spread(cost_cpu, reps, r->arch_cost_cpu[i]);
    }
}

static void run_latency(bench_t *b, results_t *r, unsigned k, double rate, double seconds)
{
    char room[32];
    snprintf(room, sizeof room, "lat%u", k);
    fill_room(b, room, k);
    barrier(b, "lat-fill");
    size_t nmsg = (size_t)(rate * seconds);
    track(b, nmsg, k);
    double t0 = now_s();
    for (size_t i = 0; i < nmsg;) {
        double due = t0 + i / rate;
        if (now_s() >= due) send_message(b, room, i++);
        pump_once(b, 0);
    }
    double deadline = now_s() + TIMEOUT;
    while (b->completed < nmsg && now_s() < deadline)
        pump_once(b, 10);
    if (b->completed < nmsg) die("latency run timed out");
    double *lat = malloc(nmsg * sizeof *lat);
    for (size_t i = 0; i < nmsg; i++)
        lat[i] = (b->done_at[i] - b->sent_at[i]) * 1000;
    qsort(lat, nmsg, sizeof *lat, cmp_double);
    r->lat_p50_ms = lat[nmsg / 2];
    r->lat_p99_ms = lat[(size_t)(nmsg * 0.99)];
    r->lat_rate = rate;
    r->lat_k = k;
    free(lat);
}

/* Memory on a fresh mucd (a heap already grown by other workloads would
 * hide the cost): `rooms` rooms with their owner, then `per_room` more
 * occupants in each of them (small rooms: no join storms inflate the heap). */
static void run_memory(bench_t *b, results_t *r, unsigned rooms, unsigned per_room)
{
    barrier(b, "mem0");
    long base = rss_kib(b->pid);
    for (unsigned k = 0; k < rooms; k++) {
        char name[32];
        snprintf(name, sizeof name, "mem%u", k);
        create_room(b, name);
    }
    barrier(b, "mem-rooms");
    long with_rooms = rss_kib(b->pid);
    for (unsigned k = 0; k < rooms; k++) {
        char name[32];
        snprintf(name, sizeof name, "mem%u", k);
        for (unsigned i = 1; i <= per_room; i++)
            join(b, name, i);
        if (k % 100 == 99) barrier(b, "mem-fill");
    }
    barrier(b, "mem-occ");
    long with_occ = rss_kib(b->pid);
    r->kib_per_room = (double)(with_rooms - base) / rooms;
    r->kib_per_occupant = (double)(with_occ - with_rooms) / ((double)rooms * per_room);
    r->mem_rooms = rooms;
    r->mem_occupants = rooms * per_room;
}

/* ---- scale: many stored rooms ---------------------------------------- */

static void make_store(const char *dir, unsigned long n)
{
    char err[256];
    store_t *st;
    if (store_open(dir, (size_t)4096 << 20, false, &st, err, sizeof err) != STORE_OK)
        die("%s", err);
    enum { BATCH = 20000 };
    store_room_t *batch = calloc(BATCH, sizeof *batch);
    char(*names)[24] = calloc(BATCH, 24);
    for (unsigned long i = 0; i < n;) {
        size_t m = 0;
        for (; m < BATCH && i < n; m++, i++) {
            snprintf(names[m], 24, "r%07lu", i);
            batch[m] = (store_room_t){.name = names[m],
                                      .title = names[m],
                                      .persistent = true,
                                      .public_list = true,
                                      .history_length = 20};
        }
        if (store_rooms_import(st, batch, m) != STORE_OK) die("%s", store_last_error(st));
    }
    free(batch);
    free(names);
    store_close(st);
}

/* A store holding room "mam" (persistent, public, archived) with n
 * archived messages, loaded through the storage API in big transactions. */
static void make_archive_store(const char *dir, unsigned long n)
{
    char err[256];
    store_t *st;
    if (store_open(dir, (size_t)4096 << 20, false, &st, err, sizeof err) != STORE_OK)
        die("%s", err);
    store_room_t room = {.name = "mam",
                         .title = "mam",
                         .persistent = true,
                         .public_list = true,
                         .history_length = 20,
                         .archive = 1};
    if (store_rooms_import(st, &room, 1) != STORE_OK) die("%s", store_last_error(st));
    enum { BATCH = 50000 };
    store_arch_msg_t *batch = calloc(BATCH, sizeof *batch);
    char(*ids)[24] = calloc(BATCH, 24);
    char(*xml)[256] = calloc(BATCH, 256);
    char(*nicks)[8] = calloc(BATCH, 8); /* 100 senders, in turn */
    int64_t ts0 = (int64_t)time(NULL) * 1000 - (int64_t)n;
    for (unsigned long i = 0; i < n;) {
        size_t m = 0;
        for (; m < BATCH && i < n; m++, i++) {
            snprintf(ids[m], 24, "m%07lu", i);
            snprintf(nicks[m], 8, "n%lu", i % 100);
            snprintf(xml[m], 256,
                     "<message xmlns='jabber:client' from='mam@%s/%s' type='groupchat' "
                     "id='b%lu'><body>message number %lu from the benchmark</body>"
                     "<stanza-id xmlns='urn:xmpp:sid:0' id='%s' by='mam@%s'/></message>",
                     DOMAIN, nicks[m], i, i, ids[m], DOMAIN);
            batch[m] = (store_arch_msg_t){
                .ts_ms = ts0 + (int64_t)i, .id = ids[m], .nick = nicks[m], .xml = xml[m]};
        }
        if (store_archive_import(st, "mam", batch, m) != STORE_OK)
            die("%s", store_last_error(st));
    }
    free(batch);
    free(ids);
    free(xml);
    free(nicks);
    store_close(st);
}

/* Average latency of a MAM query for a page of 50 (ms): `form` holds the
 * form's filter fields, `set` goes into the RSM element. Waits for the IQ
 * result (after the page's messages). */
static double mam_page_ms(bench_t *b, const char *form, const char *set, int reps)
{
    double t0 = now_s();
    unsigned long long s0 = b->stanzas_in;
    for (int i = 0; i < reps; i++) {
        snprintf(b->wait_id, sizeof b->wait_id, "mamq-%d", i);
        b->wait_done = false;
        emit(b,
             "<iq type='set' id='%s' from='u0@bench/r' to='mam@%s'><query "
             "xmlns='urn:xmpp:mam:2' queryid='q%d'><x xmlns='jabber:x:data' "
             "type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2"
             "</value></field>%s</x><set xmlns='http://jabber.org/protocol/rsm'><max>50"
             "</max>%s</set></query></iq>",
             b->wait_id, DOMAIN, i, form, set);
        pump_until(b, &b->wait_done, 10, "a MAM page");
    }
    double ms = (now_s() - t0) * 1000 / reps;
    if (b->stanzas_in - s0 != (unsigned long long)reps * 51) /* 50 results + fin */
        die("a MAM page did not hold 50 messages (%llu stanzas for %d pages)",
            b->stanzas_in - s0, reps);
    return ms;
}

static void run_mam(bench_t *b, results_t *r, unsigned long n)
{
    char store[96];
    snprintf(store, sizeof store, "%s/mam-store", b->dir);
    fprintf(stderr, "archiving %lu messages...\n", n);
    double t0 = now_s();
    make_archive_store(store, n);
    r->mam_fill_s = now_s() - t0;
    r->mam_msgs = n;
    start_mucd(b, store, 4096);
    barrier(b, "mam");
    char middle[64];
    snprintf(middle, sizeof middle, "<after>m%07lu</after>", n / 2);
    char with[128];
    snprintf(with, sizeof with, "<field var='with'><value>mam@%s/n7</value></field>",
             DOMAIN);
    mam_page_ms(b, "", "", 5); /* loads the room */
    r->mam_ms[0] = mam_page_ms(b, "", "", 50);
    r->mam_ms[1] = mam_page_ms(b, "", middle, 50);
    r->mam_ms[2] = mam_page_ms(b, "", "<before/>", 50);
    /* one sender of 100: the page is read through the sender index */
    r->mam_with_ms[0] = mam_page_ms(b, with, "", 50);
    r->mam_with_ms[1] = mam_page_ms(b, with, middle, 50);
    r->mam_with_ms[2] = mam_page_ms(b, with, "<before/>", 50);
    stop_mucd(b);
}

/* Average latency of a disco#items page request (ms). */
static double disco_page_ms(bench_t *b, const char *set, int reps)
{
    double t0 = now_s();
    for (int i = 0; i < reps; i++) {
        snprintf(b->wait_id, sizeof b->wait_id, "disco-%d", i);
        b->wait_done = false;
        emit(b,
             "<iq type='get' id='%s' from='u0@bench/r' to='%s'><query "
             "xmlns='http://jabber.org/protocol/disco#items'><set "
             "xmlns='http://jabber.org/protocol/rsm'><max>50</max>%s</set></query></iq>",
             b->wait_id, DOMAIN, set);
        pump_until(b, &b->wait_done, 10, "a disco#items page");
    }
    return (now_s() - t0) * 1000 / reps;
}

static void run_scale(bench_t *b, results_t *r, unsigned long n)
{
    char store[96];
    snprintf(store, sizeof store, "%s/scale-store", b->dir);
    fprintf(stderr, "creating %lu stored rooms...\n", n);
    make_store(store, n);
    r->scale_rooms = n;
    r->scale_start_s = start_mucd(b, store, 4096);
    barrier(b, "scale");
    r->scale_idle_kib = rss_kib(b->pid);
    char middle[96];
    snprintf(middle, sizeof middle, "<after>r%07lu@%s</after>", n / 2, DOMAIN);
    r->scale_disco_ms[0] = disco_page_ms(b, "", 50);
    r->scale_disco_ms[1] = disco_page_ms(b, middle, 50);
    r->scale_disco_ms[2] = disco_page_ms(b, "<before/>", 50);
    stop_mucd(b);
}

/* ---- report ----------------------------------------------------------- */

static void report(const results_t *r, FILE *json)
{
    printf("\nmucd-bench (component-isolated; mucd and the bench share this machine: %ld "
           "cores)\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-44s %14s\n", "metric", "value");
    printf("%-44s %14.0f\n", "joins/s", r->joins_per_s);
    printf("  (%u rooms x %u occupants; ms per full room) %14.1f\n", r->join_rooms,
           r->join_occupants, r->join_room_ms);
    printf("%-44s %14.0f\n", "  joins per second of mucd CPU", r->joins_per_cpu_s);
    printf("%-44s %14.0f\n", "  stanzas/s mucd sent while joining",
           r->join_stanzas_per_s);
    printf("%-44s %7.0f%% %5.0f%%\n", "  CPU busy: mucd, bench", r->join_mucd_busy * 100,
           r->join_bench_busy * 100);
    for (int i = 0; i < 3; i++)
        if (r->fan_k[i]) {
            printf("fan-out deliveries/s, K=%-20u %14.0f\n", r->fan_k[i], r->fan_dps[i]);
            printf("%-44s %14.0f\n", "  per second of mucd CPU", r->fan_dps_cpu[i]);
        }
    printf("latency p50 ms (K=%u, %.0f msg/s)%*s %14.2f\n", r->lat_k, r->lat_rate, 9, "",
           r->lat_p50_ms);
    printf("latency p99 ms%*s %14.2f\n", 30, "", r->lat_p99_ms);
    printf("RSS KiB per loaded room (%u, with owner)%*s %14.2f\n", r->mem_rooms, 5, "",
           r->kib_per_room);
    printf("RSS KiB per occupant (%u)%*s %14.2f\n", r->mem_occupants, 18, "",
           r->kib_per_occupant);
    if (r->scale_rooms) {
        printf("stored rooms%*s %14lu\n", 32, "", r->scale_rooms);
        printf("%-44s %14.3f\n", "  start-up to ready link, s", r->scale_start_s);
        printf("%-44s %14ld\n", "  idle RSS, KiB", r->scale_idle_kib);
        printf("%-44s %14.3f\n", "  disco#items page (max 50), start, ms",
               r->scale_disco_ms[0]);
        printf("%-44s %14.3f\n", "  disco#items page, middle (after=), ms",
               r->scale_disco_ms[1]);
        printf("%-44s %14.3f\n", "  disco#items page, end (before), ms",
               r->scale_disco_ms[2]);
    }
    for (int i = 0; i < 2; i++)
        if (r->arch_k[i]) {
            printf("archived fan-out deliveries/s, K=%-11u %14.0f\n", r->arch_k[i],
                   r->arch_dps[i][0]);
            printf("%-44s %14.0f\n", "  per second of mucd CPU", r->arch_dps_cpu[i][0]);
            printf("%-44s %14.0f\n", "  archive off (medians)", r->arch_dps[i][1]);
            printf("%-44s %14.0f\n", "  per second of mucd CPU", r->arch_dps_cpu[i][1]);
            /* per pair of runs, on against off: the median and the spread */
            printf(
                "  archive on: cost, deliveries/s (%u runs)%*s %6.1f%% (%.1f to %.1f)\n",
                r->arch_reps, 5, "", r->arch_cost[i][0], r->arch_cost[i][1],
                r->arch_cost[i][2]);
            printf(
                "  archive on: cost, mucd CPU per delivery%*s %6.1f%% (%.1f to %.1f)\n",
                6, "", r->arch_cost_cpu[i][0], r->arch_cost_cpu[i][1],
                r->arch_cost_cpu[i][2]);
        }
    if (r->mam_msgs) {
        printf("archived messages in one room%*s %14lu\n", 15, "", r->mam_msgs);
        printf("%-44s %14.1f\n", "  bulk load (storage API), s", r->mam_fill_s);
        printf("%-44s %14.3f\n", "  MAM page (max 50), start, ms", r->mam_ms[0]);
        printf("%-44s %14.3f\n", "  MAM page, middle (after-id), ms", r->mam_ms[1]);
        printf("%-44s %14.3f\n", "  MAM page, end (before), ms", r->mam_ms[2]);
        printf("%-44s %14.3f\n", "  MAM page, with 1 of 100 senders, start, ms",
               r->mam_with_ms[0]);
        printf("%-44s %14.3f\n", "  MAM page, with, middle (after), ms",
               r->mam_with_ms[1]);
        printf("%-44s %14.3f\n", "  MAM page, with, end (before), ms", r->mam_with_ms[2]);
    }
    if (!json) return;
    fprintf(json,
            "{\"joins_per_s\":%.0f,\"join_rooms\":%u,\"join_occupants\":%u,\"join_room_"
            "ms\":%.2f,\"joins_per_cpu_s\":%.0f,\"join_stanzas_per_s\":%.0f,"
            "\"join_busy\":{\"mucd\":%.2f,\"bench\":%.2f},",
            r->joins_per_s, r->join_rooms, r->join_occupants, r->join_room_ms,
            r->joins_per_cpu_s, r->join_stanzas_per_s, r->join_mucd_busy,
            r->join_bench_busy);
    fprintf(json, "\"fanout\":[");
    for (int i = 0, first = 1; i < 3; i++)
        if (r->fan_k[i]) {
            fprintf(json, "%s{\"k\":%u,\"deliveries_per_s\":%.0f,\"per_cpu_s\":%.0f}",
                    first ? "" : ",", r->fan_k[i], r->fan_dps[i], r->fan_dps_cpu[i]);
            first = 0;
        }
    fprintf(json,
            "],\"latency\":{\"k\":%u,\"rate\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f},"
            "\"kib_per_room\":%.2f,\"kib_per_occupant\":%.2f,",
            r->lat_k, r->lat_rate, r->lat_p50_ms, r->lat_p99_ms, r->kib_per_room,
            r->kib_per_occupant);
    fprintf(json,
            "\"scale\":{\"rooms\":%lu,\"startup_s\":%.4f,\"idle_rss_kib\":%ld,"
            "\"disco_ms\":{\"start\":%.4f,\"middle\":%.4f,\"end\":%.4f}},",
            r->scale_rooms, r->scale_start_s, r->scale_idle_kib, r->scale_disco_ms[0],
            r->scale_disco_ms[1], r->scale_disco_ms[2]);
    fprintf(json, "\"archive_fanout\":[");
    for (int i = 0, first = 1; i < 2; i++)
        if (r->arch_k[i]) {
            fprintf(json,
                    "%s{\"k\":%u,\"runs\":%u,\"on\":{\"deliveries_per_s\":%.0f,"
                    "\"per_cpu_s\":%.0f},\"off\":{\"deliveries_per_s\":%.0f,"
                    "\"per_cpu_s\":%.0f},\"cost_pct\":[%.1f,%.1f,%.1f],"
                    "\"cost_cpu_pct\":[%.1f,%.1f,%.1f]}",
                    first ? "" : ",", r->arch_k[i], r->arch_reps, r->arch_dps[i][0],
                    r->arch_dps_cpu[i][0], r->arch_dps[i][1], r->arch_dps_cpu[i][1],
                    r->arch_cost[i][0], r->arch_cost[i][1], r->arch_cost[i][2],
                    r->arch_cost_cpu[i][0], r->arch_cost_cpu[i][1],
                    r->arch_cost_cpu[i][2]);
            first = 0;
        }
    fprintf(json,
            "],\"mam\":{\"messages\":%lu,\"fill_s\":%.2f,"
            "\"page_ms\":{\"start\":%.4f,\"middle\":%.4f,\"end\":%.4f},"
            "\"with_page_ms\":{\"start\":%.4f,\"middle\":%.4f,\"end\":%.4f}}}\n",
            r->mam_msgs, r->mam_fill_s, r->mam_ms[0], r->mam_ms[1], r->mam_ms[2],
            r->mam_with_ms[0], r->mam_with_ms[1], r->mam_with_ms[2]);
}

/* True when workload `name` should run (all run without --only). */
static bool want(const char *only, const char *name)
{
    return !only || strcmp(only, name) == 0;
}

int main(int argc, char **argv)
{
    bench_t b = {.out_cap = 1 << 20};
    const char *json_path = NULL;
    bool quick = false;
    const char *only = NULL; /* memory | joins | fanout | latency | scale | archive */
    unsigned join_rooms = 0, join_occ = 0; /* --join-shape ROOMSxOCCUPANTS */
    unsigned long scale = 1000000, mam_msgs = 1000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mucd") == 0 && i + 1 < argc)
            b.mucd_path = argv[++i];
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_path = argv[++i];
        else if (strcmp(argv[i], "--scale-rooms") == 0 && i + 1 < argc)
            scale = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--mam-messages") == 0 && i + 1 < argc)
            mam_msgs = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--join-shape") == 0 && i + 1 < argc &&
                 sscanf(argv[++i], "%ux%u", &join_rooms, &join_occ) == 2)
            ;
        else
            die("usage: mucd-bench --mucd PATH [--quick] [--json FILE] [--scale-rooms "
                "N] [--mam-messages N] [--only "
                "memory|joins|fanout|latency|scale|archive] "
                "[--join-shape ROOMSxOCCUPANTS]");
    }
    if (!b.mucd_path) die("--mucd PATH is required");
    signal(SIGPIPE, SIG_IGN);
    strcpy(b.dir, "/tmp/mucd-bench-XXXXXX");
    if (!mkdtemp(b.dir)) die("mkdtemp");
    b.out = malloc(b.out_cap);
    results_t r = {0};
    char store[96];
    snprintf(store, sizeof store, "%s/store", b.dir);
    if (want(only, "memory")) {
        start_mucd(&b, store, 1024);
        fprintf(stderr, "memory...\n");
        run_memory(&b, &r, quick ? 1000 : 10000, 10);
        stop_mucd(&b);
    }
    snprintf(store, sizeof store, "%s/store2", b.dir);
    start_mucd(&b, store, 1024);
    if (want(only, "joins")) {
        fprintf(stderr, "joins...\n");
        if (!join_rooms || !join_occ) {
            join_rooms = quick ? 100 : 1000;
            join_occ = quick ? 10 : 50;
        }
        run_joins(&b, &r, join_rooms, join_occ);
    }
    static const unsigned ks[3] = {10, 100, 1000};
    for (int i = 0; i < 3 && want(only, "fanout"); i++) {
        fprintf(stderr, "fan-out K=%u...\n", ks[i]);
        r.fan_k[i] = ks[i];
        r.fan_dps[i] = run_fanout(&b, ks[i], quick ? 200000 : 2000000, &r.fan_dps_cpu[i]);
    }
    if (want(only, "latency")) {
        fprintf(stderr, "latency...\n");
        run_latency(&b, &r, 100, quick ? 500 : 2000, quick ? 2 : 5);
    }
    if (want(only, "archive")) run_archived_fanout(&b, &r, quick);
    stop_mucd(&b);
    if (mam_msgs && want(only, "archive"))
        run_mam(&b, &r, quick ? mam_msgs / 10 : mam_msgs);
    if (scale && want(only, "scale")) run_scale(&b, &r, quick ? scale / 10 : scale);
    FILE *json = json_path ? fopen(json_path, "w") : NULL;
    report(&r, json);
    if (json) fclose(json);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", b.dir);
    return 0;
}
