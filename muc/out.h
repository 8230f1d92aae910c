/* out.h - the outgoing-stanza sink the core answers into. The core never
 * touches a socket: component/link.c adapts this to libstrophe, tests
 * capture into an array. */
#ifndef MUCD_OUT_H
#define MUCD_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

typedef struct out_sink out_sink_t;
struct out_sink {
    /* Delivers st and CONSUMES the caller's reference to it. */
    void (*send)(out_sink_t *self, xmpp_stanza_t *st);
    /* Optional fast path: delivers an already serialized stanza (the
     * bytes are copied). NULL: broadcasts fall back to copies and send. */
    void (*send_raw)(out_sink_t *self, const char *xml, size_t len);
};

/* Sends st (consumed) through sink; a NULL stanza is ignored. */
static inline void out_send(out_sink_t *sink, xmpp_stanza_t *st)
{
    if (st) sink->send(sink, st);
}

/* A broadcast: one template sent to many recipients. With a raw-capable
 * sink the template is serialized ONCE and only the 'to' attribute is
 * spliced in per recipient; otherwise each recipient gets a copy.
 *   out_bcast_t b; out_bcast_begin(&b, sink, tmpl);
 *   out_bcast_to(&b, jid) ...; out_bcast_end(&b);
 * tmpl is borrowed and must stay unchanged until out_bcast_end. */
typedef struct out_bcast {
    out_sink_t *sink;
    xmpp_stanza_t *tmpl;
    bool own_tmpl;    /* tmpl was parsed here from a text template */
    const char *text; /* serialized template without 'to', or NULL */
    char *own_text;   /* text when it is ours to xmpp_free, else NULL */
    size_t len;       /* its length */
    size_t name_end;  /* offset just after "<name" */
    char *buf;        /* per-recipient scratch */
    size_t cap;
} out_bcast_t;

/* Sends an already serialized stanza: raw when the sink can, parsed into a
 * stanza otherwise (xml must be one complete element). */
void out_send_xml(out_sink_t *sink, xmpp_ctx_t *ctx, const char *xml, size_t len);

/* Appends s to dst escaped for an attribute value (dst needs 6x room);
 * returns the bytes written. */
size_t out_escape_attr(char *dst, const char *s);

void out_bcast_begin(out_bcast_t *b, out_sink_t *sink, xmpp_stanza_t *tmpl);
/* The same from a template already serialized without 'to': xml (one
 * element, len bytes) is BORROWED and must stay unchanged until
 * out_bcast_end. A sink without send_raw gets copies of it parsed once. */
void out_bcast_begin_text(out_bcast_t *b, out_sink_t *sink, xmpp_ctx_t *ctx,
                          const char *xml, size_t len);
void out_bcast_to(out_bcast_t *b, const char *to);
void out_bcast_end(out_bcast_t *b);

#endif
