/* muc.h - helpers shared by the occupant-facing parts of the core
 * (presence.c, message.c, history.c, owner.c). */
#ifndef MUCD_MUC_H
#define MUCD_MUC_H

#include <stdbool.h>
#include <strophe.h>

#include "muc/room.h"
#include "muc/router.h"

/* "room@domain/nick" into buf (size JID_MAX_LEN); returns buf. */
#define JID_MAX_LEN 3072
char *muc_occupant_jid(const room_t *room, const char *nick, char *buf);

/* The bare form of j ("local@domain" or "domain") into buf; returns buf. */
char *muc_bare_jid(const jid_t *j, char *buf);

/* Whether `viewer` may see occupants' real JIDs (non-anonymous room or a
 * moderator viewer). */
bool muc_sees_jids(const room_t *room, const occupant_t *viewer);

/* Sends tmpl (borrowed) to every session of every occupant. */
void muc_broadcast(room_t *room, xmpp_stanza_t *tmpl, out_sink_t *out);

/* Sends the discussion history the join presence `join` (borrowed, may hold
 * <x xmlns=muc><history/></x>) asks for, then the subject, to `to`. */
void history_send_on_join(room_t *room, xmpp_stanza_t *join, const char *to,
                          out_sink_t *out);
/* Builds the subject message of the room addressed to `to` (+1). */
xmpp_stanza_t *muc_subject_message(room_t *room, const char *to);

/* Parses an XEP-0082 DateTime; returns 0 and sets *out, or -1. */
int muc_parse_datetime(const char *s, time_t *out);
/* Formats t as an XEP-0082 DateTime (UTC, "Z") into buf (>= 21 bytes). */
void muc_format_datetime(time_t t, char *buf, size_t n);

/* Removes session `jid` of occ from the room: the leaver's sessions get the
 * unavailable presence with 110, everyone else sees it with `codes`
 * (0-terminated, may be NULL). Drops an empty temporary room. payload
 * (borrowed, may be NULL) carries the leaver's status text. */
void presence_remove_session(room_t *room, occupant_t *occ, const char *jid,
                             xmpp_stanza_t *payload, const int *codes, out_sink_t *out);

#endif
