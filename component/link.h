/* link.h - the XEP-0114 link to the XMPP server: the only user of
 * xmpp_conn_t. Connects, reconnects with capped exponential backoff, and
 * feeds every incoming stanza to the core. */
#ifndef MUCD_LINK_H
#define MUCD_LINK_H

#include <signal.h>
#include <strophe.h>

#include "component/config.h"
#include "muc/service.h"

/* Exit codes of mucd, shared with main.c. */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,   /* bad arguments or configuration */
    EXIT_STORAGE = 2, /* the store cannot be opened */
    EXIT_REFUSED = 3, /* the server refused the component's secret */
};

/* Runs the link until *stop becomes non-zero (returns EXIT_OK after a clean
 * stream close) or the server refuses the secret (returns EXIT_REFUSED).
 * cfg, svc and ctx are borrowed. */
int link_run(const config_t *cfg, service_t *svc, xmpp_ctx_t *ctx,
             volatile sig_atomic_t *stop);

#endif
