/* mucctl.c - reads mucd's store, also while mucd runs (LMDB readers never
 * block the writer):
 *   mucctl -c FILE list [--after ROOM] [--max N]   rooms, one per line
 *   mucctl -c FILE show ROOM                        one room as JSON
 *   mucctl -c FILE export                           every room as JSON
 *   mucctl -c FILE count                            number of rooms
 *   mucctl -c FILE archive ROOM [--after SEQ] [--max N]
 *       the room's archived messages (XEP-0313) in order, as JSON Lines:
 *       {"seq":N,"ts":"<XEP-0082 UTC, ms>","id":"<stanza-id>","nick":"...",
 *        "xml":"<the message as the room broadcast it>"}; read in pages, so
 *       a big archive is never held in memory. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "component/config.h"
#include "storage/storage.h"

/* A JSON string (RFC 8259): '"', '\\' and the control characters escaped,
 * everything else (UTF-8 included) as it is; NULL as null. */
static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *aff_name(int a)
{
    static const char *const names[] = {"outcast", "none", "member", "admin", "owner"};
    return (a >= -1 && a <= 3) ? names[a + 1] : "?";
}

static void print_room(FILE *f, const store_room_t *r, const store_aff_t *affs, size_t n)
{
    static const char *const pm[] = {"anyone", "participants", "moderators", "none"};
    fputs("{\"name\":", f);
    json_str(f, r->name);
    const struct {
        const char *k, *v;
    } strs[] = {{"title", r->title},     {"description", r->description},
                {"lang", r->lang},       {"contacts", r->contacts},
                {"subject", r->subject}, {"subject_by", r->subject_nick}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        fprintf(f, ",\"%s\":", strs[i].k);
        json_str(f, strs[i].v);
    }
    fprintf(f,
            ",\"public\":%s,\"members_only\":%s,\"moderated\":%s,\"whois\":\"%s\","
            "\"password_protected\":%s,\"change_subject\":%s,\"allow_invites\":%s,"
            "\"allow_pm\":\"%s\",\"max_users\":%d,\"history_length\":%d",
            r->public_list ? "true" : "false", r->members_only ? "true" : "false",
            r->moderated ? "true" : "false", r->whois_anyone ? "anyone" : "moderators",
            r->password_protected ? "true" : "false",
            r->change_subject ? "true" : "false", r->allow_invites ? "true" : "false",
            (r->allow_pm >= 0 && r->allow_pm < 4) ? pm[r->allow_pm] : "?", r->max_users,
            r->history_length);
    fputs(",\"affiliations\":[", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"jid\":", i ? "," : "");
        json_str(f, affs[i].jid);
        fprintf(f, ",\"affiliation\":\"%s\",\"reason\":", aff_name(affs[i].affiliation));
        json_str(f, affs[i].reason);
        fputs("}", f);
    }
    fputs("]}", f);
}

typedef struct walk {
    store_t *st;
    bool json;
    size_t n;
} walk_t;

static bool visit(const store_room_t *room, void *ud)
{
    walk_t *w = ud;
    if (!w->json) {
        printf("%s\t%s\n", room->name, room->title ? room->title : "");
        return true;
    }
    store_room_t full;
    store_aff_t *affs;
    size_t n;
    if (store_room_load(w->st, room->name, &full, &affs, &n) != STORE_OK) return true;
    printf("%s", w->n++ ? ",\n " : "");
    print_room(stdout, &full, affs, n);
    store_room_clear(&full);
    store_affs_free(affs, n);
    return true;
}

static int cmd_show(store_t *st, const char *name)
{
    store_room_t r;
    store_aff_t *affs;
    size_t n;
    store_rc_t rc = store_room_load(st, name, &r, &affs, &n);
    if (rc == STORE_ERR_NOTFOUND) {
        fprintf(stderr, "mucctl: no stored room '%s'\n", name);
        return 1;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "mucctl: %s\n", store_last_error(st));
        return 2;
    }
    print_room(stdout, &r, affs, n);
    putchar('\n');
    store_room_clear(&r);
    store_affs_free(affs, n);
    return 0;
}

/* A timestamp as XEP-0082 UTC with milliseconds: "2026-11-23T14:55:03.123Z". */
static void json_ts(FILE *f, int64_t ms)
{
    int64_t sec = ms / 1000, milli = ms % 1000;
    if (milli < 0) milli += 1000, sec--;
    time_t t = (time_t)sec;
    struct tm tm;
    char buf[64] = "";
    if (gmtime_r(&t, &tm)) strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "\"%s.%03dZ\"", buf, (int)milli);
}

/* One archived message as a line of JSON. */
static void print_arch_msg(FILE *f, const store_arch_msg_t *m)
{
    fprintf(f, "{\"seq\":%" PRIu64 ",\"ts\":", m->seq);
    json_ts(f, m->ts_ms);
    fputs(",\"id\":", f);
    json_str(f, m->id);
    fputs(",\"nick\":", f);
    json_str(f, m->nick);
    fputs(",\"xml\":", f);
    json_str(f, m->xml);
    fputs("}\n", f);
}

/* A decimal number: the whole string, no sign. */
static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || *s < '0' || *s > '9') return false;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *v = n;
    return true;
}

#define ARCH_PAGE 500 /* entries read (and held) at once */

/* Prints up to `left` entries from sequence `next` on, a page at a time
 * (each page in its own short read transaction). */
static store_rc_t archive_dump(store_t *st, const char *room, uint64_t next,
                               uint64_t left)
{
    store_arch_msg_t page[ARCH_PAGE];
    bool more = true;
    while (more && left > 0 && next > 0) {
        size_t n, want = left < ARCH_PAGE ? (size_t)left : ARCH_PAGE;
        store_rc_t rc = store_archive_page(st, room, next, UINT64_MAX, false, NULL, want,
                                           SIZE_MAX, page, &n, &more);
        if (rc != STORE_OK) return rc;
        for (size_t i = 0; i < n; i++)
            print_arch_msg(stdout, &page[i]);
        if (n == 0) break;
        next = page[n - 1].seq + 1; /* 0 after UINT64_MAX: the end */
        left -= n;
        store_arch_msgs_free(page, n);
    }
    return STORE_OK;
}

static int cmd_archive(store_t *st, const char *room, const char *after, long max)
{
    uint64_t from = 0;
    if (after && !parse_u64(after, &from)) {
        fprintf(stderr, "mucctl: --after wants a sequence number, not '%s'\n", after);
        return 1;
    }
    if (!store_room_exists(st, room)) {
        fprintf(stderr, "mucctl: no stored room '%s'\n", room);
        return 1;
    }
    store_rc_t rc =
        archive_dump(st, room, from + 1, max < 0 ? UINT64_MAX : (uint64_t)max);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("mucctl: stdout");
        return 2;
    }
    if (rc != STORE_OK) fprintf(stderr, "mucctl: %s\n", store_last_error(st));
    return rc == STORE_OK ? 0 : 2;
}

static int usage(void)
{
    fprintf(stderr, "usage: mucctl -c FILE list [--after ROOM] [--max N]\n"
                    "       mucctl -c FILE show ROOM | export | count\n"
                    "       mucctl -c FILE archive ROOM [--after SEQ] [--max N]\n");
    return 1;
}

static int run(store_t *st, int argc, char **argv, const char *after, long max)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "show") == 0 && argc == 2) return cmd_show(st, argv[1]);
    if (strcmp(cmd, "archive") == 0 && argc == 2)
        return cmd_archive(st, argv[1], after, max);
    if (strcmp(cmd, "count") == 0) {
        size_t n = 0;
        if (store_room_count(st, &n) != STORE_OK) return 2;
        printf("%zu\n", n);
        return 0;
    }
    walk_t w = {st, strcmp(cmd, "export") == 0, 0};
    if (!w.json && strcmp(cmd, "list") != 0) return usage();
    if (w.json) printf("[");
    store_rc_t rc =
        store_room_iterate(st, w.json ? NULL : after,
                           (w.json || max < 0) ? (size_t)-1 : (size_t)max, visit, &w);
    if (w.json) printf("]\n");
    if (rc != STORE_OK) fprintf(stderr, "mucctl: %s\n", store_last_error(st));
    return rc == STORE_OK ? 0 : 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"after", required_argument, NULL, 'a'},
                                         {"max", required_argument, NULL, 'm'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL, *after = NULL;
    long max = -1;
    uint64_t m;
    int o;
    while ((o = getopt_long(argc, argv, "c:a:m:", opts, NULL)) != -1) {
        if (o == 'c')
            path = optarg;
        else if (o == 'a')
            after = optarg;
        else if (o == 'm' && parse_u64(optarg, &m) && m <= LONG_MAX)
            max = (long)m;
        else
            return usage();
    }
    if (!path || optind >= argc) return usage();
    config_t cfg;
    char err[512];
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "mucctl: %s\n", err);
        return 1;
    }
    store_t *st;
    int code = 2;
    if (store_open(cfg.storage_path, (size_t)cfg.map_size_mb << 20, true, &st, err,
                   sizeof err) != STORE_OK) {
        fprintf(stderr, "mucctl: %s\n", err);
    } else {
        code = run(st, argc - optind, argv + optind, after, max);
        store_close(st);
    }
    config_free(&cfg);
    return code;
}
