/* out.c - broadcasts: serialize once, splice the recipient in. */
#include "muc/out.h"

#include <stdlib.h>
#include <string.h>

void out_bcast_begin(out_bcast_t *b, out_sink_t *sink, xmpp_stanza_t *tmpl)
{
    *b = (out_bcast_t){.sink = sink, .tmpl = tmpl};
    if (!sink->send_raw) return;
    xmpp_stanza_del_attribute(tmpl, "to");
    if (xmpp_stanza_to_text(tmpl, &b->own_text, &b->len) != 0) {
        b->own_text = NULL;
        return;
    }
    const char *name = xmpp_stanza_get_name(tmpl);
    b->name_end = 1 + strlen(name);
    if (b->len <= b->name_end || b->own_text[0] != '<') { /* not what we expect */
        xmpp_free(xmpp_stanza_get_context(tmpl), b->own_text);
        b->own_text = NULL;
    }
    b->text = b->own_text;
}

void out_bcast_begin_text(out_bcast_t *b, out_sink_t *sink, xmpp_ctx_t *ctx,
                          const char *xml, size_t len)
{
    *b = (out_bcast_t){.sink = sink};
    if (!sink->send_raw) {
        char *copy = strndup(xml, len);
        b->tmpl = copy ? xmpp_stanza_new_from_string(ctx, copy) : NULL;
        b->own_tmpl = b->tmpl != NULL;
        free(copy);
        return;
    }
    size_t name_end = strcspn(xml, " />");
    if (len == 0 || xml[0] != '<' || name_end >= len) return; /* not an element */
    b->text = xml;
    b->len = len;
    b->name_end = name_end;
}

void out_send_xml(out_sink_t *sink, xmpp_ctx_t *ctx, const char *xml, size_t len)
{
    if (sink->send_raw) {
        sink->send_raw(sink, xml, len);
        return;
    }
    char *copy = strndup(xml, len);
    xmpp_stanza_t *st = copy ? xmpp_stanza_new_from_string(ctx, copy) : NULL;
    free(copy);
    if (st) sink->send(sink, st);
}

size_t out_escape_attr(char *dst, const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '"':
            rep = "&quot;";
            break;
        }
        if (rep) {
            memcpy(dst + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            dst[n++] = *s;
        }
    }
    return n;
}

void out_bcast_to(out_bcast_t *b, const char *to)
{
    if (!b->text) {
        if (!b->tmpl) return;
        xmpp_stanza_t *copy = xmpp_stanza_copy(b->tmpl);
        if (!copy) return;
        xmpp_stanza_set_to(copy, to);
        b->sink->send(b->sink, copy);
        return;
    }
    size_t need = b->len + 6 * strlen(to) + 8;
    if (need > b->cap) {
        char *grown = realloc(b->buf, need);
        if (!grown) return;
        b->buf = grown;
        b->cap = need;
    }
    size_t n = b->name_end;
    memcpy(b->buf, b->text, n);
    memcpy(b->buf + n, " to='", 5);
    n += 5;
    n += out_escape_attr(b->buf + n, to);
    b->buf[n++] = '\'';
    memcpy(b->buf + n, b->text + b->name_end, b->len - b->name_end);
    n += b->len - b->name_end;
    b->sink->send_raw(b->sink, b->buf, n);
}

void out_bcast_end(out_bcast_t *b)
{
    if (b->own_text) xmpp_free(xmpp_stanza_get_context(b->tmpl), b->own_text);
    if (b->own_tmpl) xmpp_stanza_release(b->tmpl);
    free(b->buf);
    *b = (out_bcast_t){0};
}
