/* muc_asserts.c - helpers shared by the MUC unit tests. */
#include "tests/support/muc_asserts.h"

#include <stdio.h>
#include <string.h>

/* ---- reading stanzas -------------------------------------------------- */

xmpp_stanza_t *muc_x(xmpp_stanza_t *st)
{
    return xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER);
}

xmpp_stanza_t *muc_item(xmpp_stanza_t *st)
{
    xmpp_stanza_t *x = muc_x(st);
    assert_non_null(x);
    xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(x, "item");
    assert_non_null(item);
    return item;
}

int has_status(xmpp_stanza_t *st, int code)
{
    char want[8];
    snprintf(want, sizeof want, "%d", code);
    xmpp_stanza_t *x = muc_x(st);
    for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c;
         c = xmpp_stanza_get_next(c)) {
        const char *v =
            xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "status") == 0
                ? xmpp_stanza_get_attribute(c, "code")
                : NULL;
        if (v && strcmp(v, want) == 0) return 1;
    }
    return 0;
}

int child_count(xmpp_stanza_t *st, const char *name)
{
    int n = 0;
    for (xmpp_stanza_t *c = st ? xmpp_stanza_get_children(st) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), name) == 0) n++;
    return n;
}

int has_feature(xmpp_stanza_t *query, const char *var)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(query); c;
         c = xmpp_stanza_get_next(c)) {
        const char *v =
            xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "feature") == 0
                ? xmpp_stanza_get_attribute(c, "var")
                : NULL;
        if (v && strcmp(v, var) == 0) return 1;
    }
    return 0;
}

xmpp_stanza_t *form_field(xmpp_stanza_t *x, const char *var)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
        const char *v =
            xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "field") == 0
                ? xmpp_stanza_get_attribute(c, "var")
                : NULL;
        if (v && strcmp(v, var) == 0) return c;
    }
    fail_msg("form has no field %s", var);
    return NULL;
}

int is_to(xmpp_stanza_t *st, const char *to)
{
    const char *v = xmpp_stanza_get_to(st);
    return v && strcmp(v, to) == 0;
}

/* ---- asserts on stanzas ----------------------------------------------- */

void assert_text(xmpp_stanza_t *el, const char *expected)
{
    assert_non_null(el);
    char *text = xmpp_stanza_get_text(el);
    if (!expected) {
        assert_null(text);
        return;
    }
    assert_non_null(text);
    assert_string_equal(text, expected);
    xmpp_free(xmpp_stanza_get_context(el), text);
}

void assert_child_text(xmpp_stanza_t *st, const char *name, const char *expected)
{
    assert_text(xmpp_stanza_get_child_by_name(st, name), expected);
}

void assert_presence(xmpp_stanza_t *st, const char *type, const char *from,
                     const char *to, const char *aff, const char *role, const char *jid)
{
    assert_string_equal(xmpp_stanza_get_name(st), "presence");
    assert_attr(st, "type", type);
    assert_attr(st, "from", from);
    assert_attr(st, "to", to);
    xmpp_stanza_t *item = muc_item(st);
    assert_attr(item, "affiliation", aff);
    assert_attr(item, "role", role);
    assert_attr(item, "jid", jid);
}

void assert_result(xmpp_stanza_t *st, const char *id, const char *to)
{
    assert_string_equal(xmpp_stanza_get_name(st), "iq");
    assert_attr(st, "type", "result");
    assert_attr(st, "id", id);
    assert_attr(st, "to", to);
    assert_attr(st, "from", ROOM);
}

/* ---- the capture ------------------------------------------------------ */

size_t count_to(fixture_t *fx, const char *to)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->cap.count; i++)
        if (is_to(fx->cap.stanzas[i], to)) n++;
    return n;
}

xmpp_stanza_t *nth_to(fixture_t *fx, const char *to, size_t n)
{
    size_t left = n;
    for (size_t i = 0; i < fx->cap.count; i++)
        if (is_to(fx->cap.stanzas[i], to) && left-- == 0) return fx->cap.stanzas[i];
    fail_msg("no stanza #%zu addressed to %s", n, to);
    return NULL;
}

size_t count_named(fixture_t *fx, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->cap.count; i++)
        if (strcmp(xmpp_stanza_get_name(fx->cap.stanzas[i]), name) == 0) n++;
    return n;
}

xmpp_stanza_t *presence_from_to(fixture_t *fx, const char *from, const char *to)
{
    for (size_t n = 0; n < fx->cap.count; n++) {
        xmpp_stanza_t *s = fx->cap.stanzas[n];
        const char *f = xmpp_stanza_get_from(s);
        if (strcmp(xmpp_stanza_get_name(s), "presence") == 0 && is_to(s, to) && f &&
            strcmp(f, from) == 0)
            return s;
    }
    fail_msg("no presence from %s to %s", from, to);
    return NULL;
}

int any_error(fixture_t *fx)
{
    for (size_t i = 0; i < fx->cap.count; i++)
        if (xmpp_stanza_get_child_by_name(fx->cap.stanzas[i], "error")) return 1;
    return 0;
}

/* ---- the core --------------------------------------------------------- */

room_t *the_room(fixture_t *fx)
{
    room_t *room = service_room(fx->svc, "room");
    assert_non_null(room);
    return room;
}

size_t feed_svc(fixture_t *fx, service_t *svc, const char *xml)
{
    size_t before = fx->cap.count;
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(fx->ctx, xml);
    assert_non_null(st);
    service_handle(svc, st, &fx->cap.sink);
    xmpp_stanza_release(st);
    return fx->cap.count - before;
}
