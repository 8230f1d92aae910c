/* history.c - discussion history and the subject on entering (XEP-0045
 * §7.2.12-7.2.15, XEP-0203 delays, XEP-0082 dates). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* What the joiner asked for in <history/>; -1 means no limit. */
typedef struct history_limits {
    long maxstanzas;
    long maxchars;
    time_t since; /* 0: no limit */
} history_limits_t;

int muc_parse_datetime(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int consumed = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return -1;
    const char *p = s + consumed;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) {
        }
    long offset = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2 || n != 5) return -1;
        offset = (hh * 3600L + mm * 60L) * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm) - offset;
    return 0;
}

void muc_format_datetime(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static long attr_long(xmpp_stanza_t *h, const char *name)
{
    const char *v = h ? xmpp_stanza_get_attribute(h, name) : NULL;
    if (!v) return -1;
    char *end;
    long n = strtol(v, &end, 10);
    return (end == v || *end || n < 0) ? -1 : n;
}

static history_limits_t parse_limits(room_t *room, xmpp_stanza_t *join)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(join, "x", NS_MUC);
    xmpp_stanza_t *h = x ? xmpp_stanza_get_child_by_name(x, "history") : NULL;
    history_limits_t lim = {attr_long(h, "maxstanzas"), attr_long(h, "maxchars"), 0};
    long seconds = attr_long(h, "seconds");
    if (seconds >= 0) lim.since = room->svc->now() - seconds;
    time_t since;
    const char *s = h ? xmpp_stanza_get_attribute(h, "since") : NULL;
    if (s && muc_parse_datetime(s, &since) == 0 && since > lim.since) lim.since = since;
    return lim;
}

/* A copy of a history entry with its delay, addressed to `to` (+1). */
static xmpp_stanza_t *delayed_copy(room_t *room, history_entry_t *e, const char *to)
{
    xmpp_stanza_t *m = xmpp_stanza_copy(e->msg);
    if (!m) return NULL;
    xmpp_stanza_set_to(m, to);
    char stamp[32];
    muc_format_datetime(e->stamp, stamp, sizeof stamp);
    xmpp_stanza_t *d = stanza_add_child(room->svc->ctx, m, "delay", NS_DELAY);
    xmpp_stanza_set_attribute(d, "from", room->jid);
    xmpp_stanza_set_attribute(d, "stamp", stamp);
    return m;
}

/* Length of the delayed stanza as sent, for maxchars. */
static long stanza_chars(room_t *room, history_entry_t *e, const char *to)
{
    xmpp_stanza_t *m = delayed_copy(room, e, to);
    char *buf = NULL;
    size_t len = 0;
    if (m && xmpp_stanza_to_text(m, &buf, &len) == 0) xmpp_free(room->svc->ctx, buf);
    if (m) xmpp_stanza_release(m);
    return (long)len;
}

/* Index of the oldest entry to send so that every limit holds. */
static size_t first_to_send(room_t *room, const history_limits_t *lim, const char *to)
{
    size_t n = room->history_count, first = n;
    long chars = 0;
    while (first > 0) {
        history_entry_t *e = room_history_at(room, first - 1);
        if (lim->maxstanzas >= 0 && (long)(n - first) >= lim->maxstanzas) break;
        if (lim->since && e->stamp < lim->since) break;
        if (lim->maxchars >= 0) {
            chars += stanza_chars(room, e, to);
            if (chars > lim->maxchars) break;
        }
        first--;
    }
    return first;
}

xmpp_stanza_t *muc_subject_message(room_t *room, const char *to)
{
    xmpp_ctx_t *ctx = room->svc->ctx;
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", to, NULL);
    if (!m) return NULL;
    char from[JID_MAX_LEN];
    xmpp_stanza_set_from(m, room->subject_nick
                                ? muc_occupant_jid(room, room->subject_nick, from)
                                : room->jid);
    xmpp_stanza_t *subject = stanza_add_child(ctx, m, "subject", NULL);
    if (room->subject) stanza_add_text(ctx, subject, room->subject);
    return m;
}

void history_send_on_join(room_t *room, xmpp_stanza_t *join, const char *to,
                          out_sink_t *out)
{
    persist_history_ensure(room);
    history_limits_t lim = parse_limits(room, join);
    for (size_t i = first_to_send(room, &lim, to); i < room->history_count; i++)
        out_send(out, delayed_copy(room, room_history_at(room, i), to));
    out_send(out, muc_subject_message(room, to));
}
