/* rsm.c - XEP-0059 request parsing and reply building. */
#include "disco/rsm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muc/ns.h"
#include "muc/stanza.h"

/* Copies the text of child `name` into buf; returns 1 if present, 0 if
 * absent, -1 if too long. */
static int child_text(xmpp_stanza_t *set, const char *name, char *buf, size_t cap)
{
    xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(set, name);
    if (!c) return 0;
    char *t = xmpp_stanza_get_text(c);
    size_t n = t ? strlen(t) : 0;
    int rc = n < cap ? 1 : -1;
    if (rc == 1) memcpy(buf, t ? t : "", n + 1);
    if (t) xmpp_free(xmpp_stanza_get_context(c), t);
    return rc;
}

static int child_number(xmpp_stanza_t *set, const char *name, long *out)
{
    char buf[32];
    int rc = child_text(set, name, buf, sizeof buf);
    *out = -1;
    if (rc <= 0) return rc;
    char *end;
    long v = strtol(buf, &end, 10);
    if (end == buf || *end || v < 0) return -1;
    *out = v;
    return 1;
}

int rsm_parse(xmpp_stanza_t *parent, rsm_req_t *r)
{
    memset(r, 0, sizeof *r);
    r->max = r->index = -1;
    xmpp_stanza_t *set = xmpp_stanza_get_child_by_name_and_ns(parent, "set", NS_RSM);
    if (!set) return 0;
    r->present = true;
    int a = child_text(set, "after", r->after, sizeof r->after);
    int b = child_text(set, "before", r->before, sizeof r->before);
    if (a < 0 || b < 0 || child_number(set, "max", &r->max) < 0 ||
        child_number(set, "index", &r->index) < 0)
        return -1;
    r->has_after = a == 1;
    r->has_before = b == 1;
    if (r->has_after && (r->has_before || r->after[0] == '\0')) return -1;
    return 0;
}

void rsm_add_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *first,
                   long first_index, const char *last, long count)
{
    xmpp_stanza_t *set = stanza_add_child(ctx, parent, "set", NS_RSM);
    char num[24];
    if (first) {
        xmpp_stanza_t *f = stanza_add_child(ctx, set, "first", NULL);
        if (first_index >= 0) {
            snprintf(num, sizeof num, "%ld", first_index);
            xmpp_stanza_set_attribute(f, "index", num);
        }
        stanza_add_text(ctx, f, first);
    }
    if (last) stanza_add_text(ctx, stanza_add_child(ctx, set, "last", NULL), last);
    if (count < 0) return;
    snprintf(num, sizeof num, "%ld", count);
    stanza_add_text(ctx, stanza_add_child(ctx, set, "count", NULL), num);
}
