/* handlers.h - every request handler the router dispatches to. */
#ifndef MUCD_HANDLERS_H
#define MUCD_HANDLERS_H

#include "muc/room.h"
#include "muc/router.h"

/* service.c */
muc_err_t service_ping(request_t *req);
muc_err_t service_version(request_t *req);

/* disco/disco.c */
muc_err_t disco_service_info(request_t *req);
muc_err_t disco_service_items(request_t *req);
muc_err_t disco_room_info(request_t *req);
muc_err_t disco_room_items(request_t *req);

/* presence.c */
muc_err_t presence_to_room(request_t *req);
muc_err_t presence_to_occupant(request_t *req);
muc_err_t muc_error_from_occupant(request_t *req);

/* message.c */
muc_err_t message_to_room(request_t *req);
muc_err_t message_to_occupant(request_t *req);

/* iq_forward.c */
muc_err_t occupant_iq_forward(request_t *req);

/* invite.c: invitations, declines, voice requests */
muc_err_t message_to_room_other(request_t *req, room_t *room);

/* owner.c */
muc_err_t owner_get(request_t *req);
muc_err_t owner_set(request_t *req);

/* feat_avatar.c: the room's vCard (XEP-0054) */
muc_err_t avatar_get(request_t *req);
muc_err_t avatar_set(request_t *req);

/* feat_archive.c: the room archive (XEP-0313) */
muc_err_t archive_form(request_t *req);
muc_err_t archive_query(request_t *req);
muc_err_t archive_metadata(request_t *req);

/* feat_moderation.c: XEP-0425 moderation (IQ set, both forms) and XEP-0424
 * self-retraction (before a groupchat message is relayed; MUC_OK or
 * ERR_RESOURCE_CONSTRAINT: relay nothing; *retraction tells whether st
 * asks for one, and is then archived like a message with a body) */
muc_err_t moderation_set(request_t *req);
muc_err_t moderation_on_groupchat(room_t *room, occupant_t *occ, xmpp_stanza_t *st,
                                  bool *retraction);
/* Whether child c of an occupant's message speaks for the room's
 * moderation, which only the room may (XEP-0425 §5): <moderated/> and
 * <moderate/> elements, retractions and fastenings carrying one, and
 * tombstones (<retracted/>). Such children are not relayed. */
bool moderation_forged(xmpp_stanza_t *c);

/* admin.c */
muc_err_t admin_get(request_t *req);
muc_err_t admin_set(request_t *req);

#endif
