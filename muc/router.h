/* router.h - envelope checks and dispatch of incoming stanzas to handlers. */
#ifndef MUCD_ROUTER_H
#define MUCD_ROUTER_H

#include <strophe.h>

#include "muc/errors.h"
#include "muc/jid.h"
#include "muc/out.h"
#include "muc/service.h"

/* One incoming stanza being handled; everything in it is borrowed. */
typedef struct request {
    service_t *svc;
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *st;
    out_sink_t *out;
    jid_t from;
    jid_t to;
    char from_full[3 * (JID_PART_MAX + 1)]; /* from, normalized (jid_parse) */
    xmpp_stanza_t *payload;                 /* IQ get/set: its single child element */
    char err_text[160]; /* a handler's <text/> for the error it returns, or "" */
    bool archived;      /* its output shows a batched archive append as stored */
} request_t;

/* A handler either sends its reply itself and returns MUC_OK, or returns an
 * error condition and the router sends the one error reply. */
typedef muc_err_t (*request_fn)(request_t *req);

/* A +1 IQ result skeleton for req (to/from swapped, same id, no children). */
xmpp_stanza_t *request_iq_result(request_t *req);

#endif
