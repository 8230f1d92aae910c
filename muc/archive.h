/* archive.h - the room archive (XEP-0313, urn:xmpp:mam:2; feat_archive.c). */
#ifndef MUCD_ARCHIVE_H
#define MUCD_ARCHIVE_H

#include <stdbool.h>
#include <strophe.h>

#include "muc/errors.h"
#include "muc/room.h"

#define NS_MAM     "urn:xmpp:mam:2"
#define NS_FORWARD "urn:xmpp:forward:0"
/* The largest page a query gets (RSM max above it is lowered). */
#define ARCHIVE_MAX_PAGE 100

/* Whether the room archives: its switch is on, it is persistent (temporary
 * rooms are never written to the store) and there is a store. */
bool archive_on(const room_t *room);

/* Stores a broadcast groupchat message m (from room/nick, no 'to', with
 * its stanza-id `sid`) when the room archives; call BEFORE broadcasting.
 * MUC_OK (also when the room does not archive) or ERR_RESOURCE_CONSTRAINT
 * (nothing stored; broadcast nothing). */
muc_err_t archive_append(room_t *room, const char *nick, xmpp_stanza_t *m,
                         const char *sid);

/* Age retention: removes expired entries in a small transaction. */
void archive_tick(service_t *svc);

#endif
