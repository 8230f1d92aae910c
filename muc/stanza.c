/* stanza.c - small helpers over libstrophe stanzas. */
#include "muc/stanza.h"

#include <stdlib.h>
#include <string.h>

xmpp_stanza_t *stanza_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *orig)
{
    xmpp_stanza_t *r = xmpp_stanza_new(ctx);
    if (!r) return NULL;
    xmpp_stanza_set_name(r, xmpp_stanza_get_name(orig));
    const char *id = xmpp_stanza_get_id(orig);
    const char *type = xmpp_stanza_get_type(orig);
    const char *from = xmpp_stanza_get_from(orig);
    const char *to = xmpp_stanza_get_to(orig);
    if (id) xmpp_stanza_set_id(r, id);
    if (type) xmpp_stanza_set_type(r, type);
    if (from) xmpp_stanza_set_to(r, from);
    if (to) xmpp_stanza_set_from(r, to);
    return r;
}

xmpp_stanza_t *stanza_add_child(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                                const char *ns)
{
    xmpp_stanza_t *c = xmpp_stanza_new(ctx);
    if (!c) return NULL;
    xmpp_stanza_set_name(c, name);
    if (ns) xmpp_stanza_set_ns(c, ns);
    xmpp_stanza_add_child_ex(parent, c, 0); /* parent takes our reference */
    return c;
}

void stanza_add_text(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *text)
{
    xmpp_stanza_t *t = xmpp_stanza_new(ctx);
    if (!t) return;
    xmpp_stanza_set_text(t, text);
    xmpp_stanza_add_child_ex(parent, t, 0);
}

void stanza_fix_lang(xmpp_stanza_t *st)
{
    const char *lang = xmpp_stanza_get_attribute(st, "lang");
    if (!lang) return;
    xmpp_stanza_set_attribute(st, "xml:lang", lang);
    xmpp_stanza_del_attribute(st, "lang");
}

static bool is_stream_ns(const char *ns)
{
    return ns && (strcmp(ns, "jabber:component:accept") == 0 ||
                  strcmp(ns, "jabber:client") == 0);
}

void stanza_strip_stream_ns_below(xmpp_stanza_t *st)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && is_stream_ns(xmpp_stanza_get_ns(c))) {
            xmpp_stanza_del_attribute(c, "xmlns");
            stanza_strip_stream_ns_below(c);
        }
}

void stanza_strip_own_ns(xmpp_stanza_t *st)
{
    if (is_stream_ns(xmpp_stanza_get_ns(st))) xmpp_stanza_del_attribute(st, "xmlns");
}

/* Adds st's own bytes (tag and attributes, or text) to *n. */
static void size_own(xmpp_stanza_t *st, size_t *n)
{
    if (!xmpp_stanza_is_tag(st)) {
        const char *t = xmpp_stanza_get_text_ptr(st);
        *n += t ? strlen(t) : 0;
        return;
    }
    const char *name = xmpp_stanza_get_name(st);
    *n += 2 * (name ? strlen(name) : 0) + 5; /* <name> and </name> */
    int count = xmpp_stanza_get_attribute_count(st);
    if (count <= 0) return;
    const char **attrs = malloc(2 * (size_t)count * sizeof *attrs);
    if (!attrs) {
        *n += (size_t)count * 4; /* at least the markup */
        return;
    }
    int got = xmpp_stanza_get_attributes(st, attrs, 2 * count);
    for (int i = 0; i + 1 < got; i += 2)
        *n += strlen(attrs[i]) + strlen(attrs[i + 1]) + 4; /* ' a="v"' */
    free(attrs);
}

static void size_walk(xmpp_stanza_t *st, size_t cap, size_t *n)
{
    size_own(st, n);
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c && *n <= cap;
         c = xmpp_stanza_get_next(c))
        size_walk(c, cap, n);
}

size_t stanza_size_estimate(xmpp_stanza_t *st, size_t cap)
{
    size_t n = 0;
    size_walk(st, cap, &n);
    return n;
}

/* Copies st's attributes onto dst; returns 0, or -1 when out of memory. */
static int copy_attributes(xmpp_stanza_t *dst, xmpp_stanza_t *st)
{
    int count = xmpp_stanza_get_attribute_count(st);
    if (count <= 0) return 0;
    const char **attrs = malloc(2 * (size_t)count * sizeof *attrs);
    if (!attrs) return -1;
    int got = xmpp_stanza_get_attributes(st, attrs, 2 * count), rc = 0;
    for (int i = 0; rc == 0 && i + 1 < got; i += 2)
        rc = xmpp_stanza_set_attribute(dst, attrs[i], attrs[i + 1]) == XMPP_EOK ? 0 : -1;
    free(attrs);
    return rc;
}

xmpp_stanza_t *stanza_copy_filtered(xmpp_stanza_t *st,
                                    bool (*keep)(xmpp_stanza_t *child, void *ud),
                                    void *ud)
{
    xmpp_stanza_t *out = xmpp_stanza_new(xmpp_stanza_get_context(st));
    if (!out || xmpp_stanza_set_name(out, xmpp_stanza_get_name(st)) != XMPP_EOK ||
        copy_attributes(out, st) != 0)
        goto fail;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c;
         c = xmpp_stanza_get_next(c)) {
        if (!keep(c, ud)) continue;
        xmpp_stanza_t *copy = xmpp_stanza_copy(c);
        if (!copy) goto fail;
        xmpp_stanza_add_child_ex(out, copy, 0);
    }
    return out;
fail:
    if (out) xmpp_stanza_release(out);
    return NULL;
}

int stanza_element_count(xmpp_stanza_t *st)
{
    int n = 0;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c)) n++;
    return n;
}

xmpp_stanza_t *stanza_first_element(xmpp_stanza_t *st)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c)) return c;
    return NULL;
}

bool stanza_type_is(xmpp_stanza_t *st, const char *type)
{
    const char *t = xmpp_stanza_get_type(st);
    if (!type || !t) return type == t;
    return strcmp(t, type) == 0;
}
