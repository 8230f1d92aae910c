/* limits.h - the service's abuse limits (service_limits_t, [limits] in the
 * config). A check returns MUC_OK, or the error to answer with and a text
 * for it in req->err_text. */
#ifndef MUCD_LIMITS_H
#define MUCD_LIMITS_H

#include "muc/room.h"
#include "muc/router.h"

/* May the bare JID `creator` create a room named `name`? Name length
 * (not-acceptable), rooms in all (resource-constraint) and rooms per
 * creator (policy-violation); service admins pass the room counts. */
muc_err_t limits_may_create(request_t *req, const char *name, const char *creator);

/* May occ send one more message now (groupchat or private)? A token bucket
 * of message_burst filled at message_rate per second; over it:
 * resource-constraint (type wait: try again later). */
muc_err_t limits_may_send(request_t *req, occupant_t *occ);

#endif
