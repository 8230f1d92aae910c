/* fixture.c - the core under test. */
#include "tests/support/fixture.h"

#include <stdlib.h>
#include <string.h>

#include "muc/ns.h"

/* A counting allocator, as libstrophe's own tests use: every block the
 * context allocates must be freed by the time the context is. */
static long live_blocks;

static void *fx_alloc(size_t size, void *ud)
{
    (void)ud;
    void *p = malloc(size);
    if (p) live_blocks++;
    return p;
}

static void fx_free(void *p, void *ud)
{
    (void)ud;
    if (p) live_blocks--;
    free(p);
}

static void *fx_realloc(void *p, size_t size, void *ud)
{
    (void)ud;
    void *q = realloc(p, size);
    if (!p && q) live_blocks++;
    return q;
}

static const xmpp_mem_t fx_mem = {fx_alloc, fx_free, fx_realloc, NULL};

int fixture_setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->ctx = xmpp_ctx_new(&fx_mem, NULL);
    assert_non_null(fx->ctx);
    service_opts_t opts = {.domain = FX_DOMAIN,
                           .name = "Test Rooms",
                           .history_length = 20,
                           .max_nick_length = 20,
                           .creators = NULL};
    fx->svc = service_new(fx->ctx, &opts);
    assert_non_null(fx->svc);
    capture_init(&fx->cap);
    *state = fx;
    return 0;
}

int fixture_teardown(void **state)
{
    fixture_t *fx = *state;
    capture_clear(&fx->cap);
    service_free(fx->svc);
    xmpp_ctx_free(fx->ctx);
    free(fx);
    if (live_blocks != 0) {
        print_error("leak: %ld libstrophe blocks still allocated\n", live_blocks);
        live_blocks = 0;
        return -1;
    }
    return 0;
}

size_t fixture_feed(fixture_t *fx, const char *xml)
{
    size_t before = fx->cap.count;
    xmpp_stanza_t *st = xmpp_stanza_new_from_string(fx->ctx, xml);
    assert_non_null(st);
    service_handle(fx->svc, st, &fx->cap.sink);
    assert_int_equal(service_commit(fx->svc), 0); /* as the link does per turn */
    xmpp_stanza_release(st);
    return fx->cap.count - before;
}

void assert_attr(xmpp_stanza_t *st, const char *name, const char *expected)
{
    const char *v = xmpp_stanza_get_attribute(st, name);
    if (!expected) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    assert_string_equal(v, expected);
}

void assert_stanza_error(xmpp_stanza_t *st, const char *type, const char *condition)
{
    assert_attr(st, "type", "error");
    xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error");
    assert_non_null(err);
    assert_attr(err, "type", type);
    xmpp_stanza_t *cond =
        xmpp_stanza_get_child_by_name_and_ns(err, condition, NS_STANZAS);
    assert_non_null(cond);
}
