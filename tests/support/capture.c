/* capture.c - the capturing sink. */
#include "tests/support/capture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void capture_send(out_sink_t *sink, xmpp_stanza_t *st)
{
    capture_t *cap = (capture_t *)sink;
    assert_true(cap->count < CAPTURE_MAX);
    cap->stanzas[cap->count++] = st; /* takes the reference */
}

void capture_init(capture_t *cap)
{
    cap->sink.send = capture_send;
    cap->count = 0;
}

void capture_clear(capture_t *cap)
{
    for (size_t i = 0; i < cap->count; i++)
        xmpp_stanza_release(cap->stanzas[i]);
    cap->count = 0;
}

xmpp_stanza_t *capture_at(capture_t *cap, size_t i)
{
    assert_in_range(i, 0, cap->count ? cap->count - 1 : 0);
    assert_true(i < cap->count);
    return cap->stanzas[i];
}
