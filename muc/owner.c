/* owner.c - muc#owner: accepting the default configuration of a new room
 * (an instant room, XEP-0045 §10.1.2) or cancelling its creation. The full
 * configuration form arrives with the room administration work. */
#include <string.h>

#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* True when the form holds no field but FORM_TYPE. */
static bool form_is_empty(xmpp_stanza_t *x)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "field") != 0)
            continue;
        const char *var = xmpp_stanza_get_attribute(c, "var");
        if (!var || strcmp(var, "FORM_TYPE") != 0) return false;
    }
    return true;
}

/* Cancelling a new room's configuration destroys it (§10.1.3). */
static void cancel_creation(request_t *req, room_t *room)
{
    while (room->first) {
        occupant_t *occ = room->first;
        bool last = room->first == room->last && !occ->sessions->next;
        presence_remove_session(room, occ, occ->sessions->jid, NULL, NULL, req->out);
        if (last) return; /* the room was dropped with its last occupant */
    }
    service_room_destroy(req->svc, room);
}

muc_err_t owner_set(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    char bare[JID_MAX_LEN];
    if (room_affiliation(room, muc_bare_jid(&req->from, bare)) != AFF_OWNER)
        return ERR_FORBIDDEN;
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(req->payload, "x", NS_DATA);
    const char *type = x ? xmpp_stanza_get_type(x) : NULL;
    if (!type) return ERR_BAD_REQUEST;
    if (strcmp(type, "cancel") == 0) {
        out_send(req->out, request_iq_result(req));
        if (room->locked) cancel_creation(req, room);
        return MUC_OK;
    }
    if (strcmp(type, "submit") != 0) return ERR_BAD_REQUEST;
    if (!form_is_empty(x)) return ERR_FEATURE_NOT_IMPLEMENTED;
    room->locked = false;
    out_send(req->out, request_iq_result(req));
    return MUC_OK;
}
