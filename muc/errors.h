/* errors.h - stanza error conditions (RFC 6120 §8.3) as one enum and table,
 * so the same rule always yields the same (type, condition). */
#ifndef MUCD_ERRORS_H
#define MUCD_ERRORS_H

#include <strophe.h>

typedef enum {
    MUC_OK = 0, /* no error: the handler replied (or owes no reply) */
    ERR_BAD_REQUEST,
    ERR_CONFLICT,
    ERR_FEATURE_NOT_IMPLEMENTED,
    ERR_FORBIDDEN,
    ERR_GONE,
    ERR_INTERNAL_SERVER_ERROR,
    ERR_ITEM_NOT_FOUND,
    ERR_JID_MALFORMED,
    ERR_NOT_ACCEPTABLE,
    ERR_NOT_ALLOWED,
    ERR_NOT_AUTHORIZED,
    ERR_POLICY_VIOLATION,
    ERR_REGISTRATION_REQUIRED,
    ERR_RESOURCE_CONSTRAINT,
    ERR_SERVICE_UNAVAILABLE,
    ERR_UNEXPECTED_REQUEST,
    ERR_COUNT_
} muc_err_t;

/* The condition element name, e.g. "item-not-found". Static string. */
const char *muc_err_condition(muc_err_t err);
/* The error type attribute, e.g. "cancel". Static string. */
const char *muc_err_type(muc_err_t err);

/* Builds the error reply to `orig` (a borrowed stanza addressed to `from`):
 * same name and id, to/from swapped, type='error', <error type=...><cond/>
 * and an optional <text/>. Returns a new stanza (+1, caller releases) or
 * NULL when `orig` is itself an error (errors are never answered). */
xmpp_stanza_t *muc_err_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *orig, muc_err_t err,
                             const char *text);

#endif
