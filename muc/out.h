/* out.h - the outgoing-stanza sink the core answers into. The core never
 * touches a socket: component/link.c adapts this to libstrophe, tests
 * capture into an array. */
#ifndef MUCD_OUT_H
#define MUCD_OUT_H

#include <strophe.h>

typedef struct out_sink out_sink_t;
struct out_sink {
    /* Delivers st and CONSUMES the caller's reference to it. */
    void (*send)(out_sink_t *self, xmpp_stanza_t *st);
    /* Optional fast path for broadcasts: delivers tmpl (BORROWED; it may be
     * modified) addressed to `to`. NULL means copy tmpl and use send. */
    void (*send_to)(out_sink_t *self, xmpp_stanza_t *tmpl, const char *to);
};

/* Sends st (consumed) through sink; a NULL stanza is ignored. */
static inline void out_send(out_sink_t *sink, xmpp_stanza_t *st)
{
    if (st) sink->send(sink, st);
}

/* Sends tmpl (borrowed) to `to`, once per recipient of a broadcast: the
 * template is built once and only the recipient varies. */
static inline void out_send_to(out_sink_t *sink, xmpp_stanza_t *tmpl, const char *to)
{
    if (sink->send_to) {
        sink->send_to(sink, tmpl, to);
        return;
    }
    xmpp_stanza_t *copy = xmpp_stanza_copy(tmpl);
    if (!copy) return;
    xmpp_stanza_set_to(copy, to);
    sink->send(sink, copy);
}

#endif
