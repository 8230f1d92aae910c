/* archive.h - the room archive (XEP-0313, urn:xmpp:mam:2; feat_archive.c). */
#ifndef MUCD_ARCHIVE_H
#define MUCD_ARCHIVE_H

#include <stdbool.h>
#include <strophe.h>

#include "muc/errors.h"
#include "muc/room.h"
#include "muc/router.h"

#define NS_MAM     "urn:xmpp:mam:2"
#define NS_FORWARD "urn:xmpp:forward:0"
/* The largest page a query gets (RSM max above it is lowered). */
#define ARCHIVE_MAX_PAGE 100

/* Whether the room archives: its switch is on, it is persistent (temporary
 * rooms are never written to the store) and there is a store. */
bool archive_on(const room_t *room);

/* Stores a broadcast groupchat message (xml[0..len): its text from
 * xmpp_stanza_to_text, from room/nick, no 'to', with its stanza-id `sid`)
 * made while handling req when the room archives; call BEFORE
 * broadcasting. jid: the sender's real JID (stored beside the message,
 * shown only to those who may see real JIDs), or NULL for the room's own.
 * MUC_OK (also when the room does not archive) or ERR_RESOURCE_CONSTRAINT
 * (nothing stored; broadcast nothing). With batching, req's output is
 * noted as showing the pending append (service_note_archived). */
muc_err_t archive_append(request_t *req, room_t *room, const char *nick, const char *jid,
                         const char *xml, size_t len, const char *sid);

/* The text of a top-level <message/> as the archive stores it: with
 * xmlns='jabber:client' on the root (libstrophe leaves a top-level stanza's
 * namespace out of its text; inside <forwarded/> it is needed). A malloc'd
 * NUL-terminated string the caller frees, or NULL (no memory, or not a
 * <message>). */
char *archive_record_xml(const char *xml, size_t len);

/* Age retention: removes expired entries in a small transaction. */
void archive_tick(service_t *svc);

#endif
