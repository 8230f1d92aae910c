/* errors.c - stanza error conditions and error replies. */
#include "muc/errors.h"

#include <string.h>

#include "muc/ns.h"
#include "muc/stanza.h"

static const struct {
    const char *type;
    const char *condition;
} err_table[ERR_COUNT_] = {
    [MUC_OK] = {"cancel", "undefined-condition"},
    [ERR_BAD_REQUEST] = {"modify", "bad-request"},
    [ERR_CONFLICT] = {"cancel", "conflict"},
    [ERR_FEATURE_NOT_IMPLEMENTED] = {"cancel", "feature-not-implemented"},
    [ERR_FORBIDDEN] = {"auth", "forbidden"},
    [ERR_GONE] = {"cancel", "gone"},
    [ERR_INTERNAL_SERVER_ERROR] = {"cancel", "internal-server-error"},
    [ERR_ITEM_NOT_FOUND] = {"cancel", "item-not-found"},
    [ERR_JID_MALFORMED] = {"modify", "jid-malformed"},
    [ERR_NOT_ACCEPTABLE] = {"modify", "not-acceptable"},
    [ERR_NOT_ALLOWED] = {"cancel", "not-allowed"},
    [ERR_NOT_AUTHORIZED] = {"auth", "not-authorized"},
    [ERR_POLICY_VIOLATION] = {"modify", "policy-violation"},
    [ERR_REGISTRATION_REQUIRED] = {"auth", "registration-required"},
    [ERR_RESOURCE_CONSTRAINT] = {"wait", "resource-constraint"},
    [ERR_SERVICE_UNAVAILABLE] = {"cancel", "service-unavailable"},
    [ERR_UNEXPECTED_REQUEST] = {"wait", "unexpected-request"},
};

const char *muc_err_condition(muc_err_t err)
{
    return (err > MUC_OK && err < ERR_COUNT_) ? err_table[err].condition
                                              : "undefined-condition";
}

const char *muc_err_type(muc_err_t err)
{
    return (err > MUC_OK && err < ERR_COUNT_) ? err_table[err].type : "cancel";
}

xmpp_stanza_t *muc_err_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *orig, muc_err_t err,
                             const char *text)
{
    const char *type = xmpp_stanza_get_type(orig);
    if (type && strcmp(type, "error") == 0) return NULL;
    xmpp_stanza_t *reply = stanza_reply(ctx, orig);
    if (!reply) return NULL;
    xmpp_stanza_set_type(reply, "error");
    xmpp_stanza_t *error = stanza_add_child(ctx, reply, "error", NULL);
    xmpp_stanza_set_attribute(error, "type", muc_err_type(err));
    stanza_add_child(ctx, error, muc_err_condition(err), NS_STANZAS);
    if (text) {
        xmpp_stanza_t *t = stanza_add_child(ctx, error, "text", NS_STANZAS);
        stanza_add_text(ctx, t, text);
    }
    return reply;
}
