/* service.c - the MUC service object. */
#include "muc/service.h"

#include <stdlib.h>
#include <string.h>

#include "muc/handlers.h"
#include "muc/ns.h"
#include "muc/stanza.h"

service_t *service_new(xmpp_ctx_t *ctx, const service_opts_t *opts)
{
    service_t *svc = calloc(1, sizeof *svc);
    if (!svc) return NULL;
    svc->ctx = ctx;
    svc->store = opts->store;
    svc->domain = strdup(opts->domain);
    svc->name = strdup(opts->name ? opts->name : "Chatrooms");
    if (!svc->domain || !svc->name) {
        service_free(svc);
        return NULL;
    }
    return svc;
}

void service_free(service_t *svc)
{
    if (!svc) return;
    free(svc->domain);
    free(svc->name);
    free(svc);
}

/* XEP-0199: a ping to the service is answered with an empty result. */
muc_err_t service_ping(request_t *req)
{
    out_send(req->out, request_iq_result(req));
    return MUC_OK;
}

/* XEP-0092: software name and version (no OS: it says too much). */
muc_err_t service_version(request_t *req)
{
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_VERSION);
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, q, "name", NULL), "mucd");
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, q, "version", NULL),
                    MUCD_VERSION);
    out_send(req->out, res);
    return MUC_OK;
}
