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
};

/* Sends st (consumed) through sink; a NULL stanza is ignored. */
static inline void out_send(out_sink_t *sink, xmpp_stanza_t *st)
{
    if (st) sink->send(sink, st);
}

#endif
