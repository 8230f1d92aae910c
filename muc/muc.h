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
/* The same from the template's text (xml[0..len), no 'to'; borrowed). */
void muc_broadcast_text(room_t *room, const char *xml, size_t len, out_sink_t *out);

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
 * (0-terminated, may be NULL). payload (borrowed, may be NULL) carries the
 * leaver's status text. The room stays even if empty: see below. */
void presence_remove_session(room_t *room, occupant_t *occ, const char *jid,
                             xmpp_stanza_t *payload, const int *codes, out_sink_t *out);

/* Destroys the room when it is empty and temporary; true if it did. */
bool muc_room_drop_if_empty(room_t *room);

/* How a role/affiliation change is announced in presence. */
typedef struct muc_change {
    const int *codes;     /* 0-terminated status codes, or NULL */
    const char *reason;   /* or NULL */
    const char *actor;    /* nick of who did it, or NULL */
    xmpp_stanza_t *extra; /* element appended to <x/> (borrowed), or NULL */
    bool forget_aff;      /* show affiliation none */
} muc_change_t;

/* Removes the whole occupant (every session) with an unavailable presence
 * to everyone. Does not drop the room. */
void muc_presence_remove(room_t *room, occupant_t *occ, const muc_change_t *c,
                         out_sink_t *out);
/* Removes the whole occupant telling only its own sessions (room destroyed,
 * service shutting down: §10.9 asks not to broadcast every departure). */
void muc_presence_remove_quiet(room_t *room, occupant_t *occ, const muc_change_t *c,
                               out_sink_t *out);
/* Broadcasts occ's current presence (after a role/affiliation change). */
void muc_presence_update(room_t *room, occupant_t *occ, const muc_change_t *c,
                         out_sink_t *out);

/* Sets bare's affiliation and updates its present occupants: removed with
 * 301 (outcast) or 321 (no longer a member of a members-only room),
 * otherwise their presence is re-broadcast with the new affiliation/role. */
void muc_apply_affiliation(room_t *room, const char *bare, affiliation_t aff,
                           const char *reason, const char *actor, out_sink_t *out);

/* Capacity of a room: its max_users, capped by the service. */
int muc_room_capacity(const room_t *room);

/* Room avatars (feat_avatar.c). Sends the room's XEP-0153 presence (the
 * photo's hash) to a joining session `to`; nothing without a photo. */
void avatar_send_to(room_t *room, const char *to, out_sink_t *out);
/* The stanza size a room vCard set of req may have ([muc] max_avatar_bytes
 * in base64 plus room for the other fields); 0 for other stanzas. */
size_t avatar_stanza_allowance(const request_t *req);

/* Permission helpers owned by feature files. */
bool muc_may_send_pm(const room_t *room, const occupant_t *from);
bool muc_may_change_subject(const room_t *room, const occupant_t *occ);
bool muc_may_invite(const room_t *room, const occupant_t *occ);

#endif
