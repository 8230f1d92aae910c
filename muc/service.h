/* service.h - the MUC service: the state behind the component domain and
 * the entry point of the pure core. */
#ifndef MUCD_SERVICE_H
#define MUCD_SERVICE_H

#include <strophe.h>

#include "muc/out.h"

typedef struct store store_t;

typedef struct service_opts {
    const char *domain; /* component domain, e.g. chat.example.org (copied) */
    const char *name;   /* disco identity name (copied) */
    store_t *store;     /* borrowed; may be NULL (no persistence) */
} service_opts_t;

typedef struct service {
    xmpp_ctx_t *ctx; /* borrowed: builds every outgoing stanza */
    char *domain;
    char *name;
    store_t *store;
} service_t;

/* Creates a service; returns NULL on allocation failure. Caller frees with
 * service_free. ctx and opts->store are borrowed and must outlive it. */
service_t *service_new(xmpp_ctx_t *ctx, const service_opts_t *opts);
void service_free(service_t *svc);

/* The core's entry point: handles one incoming stanza (borrowed) and sends
 * every reply or broadcast into out. Never fails: bad input gets an XMPP
 * error reply or is dropped with a log line. Implemented in router.c. */
void service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out);

#endif
