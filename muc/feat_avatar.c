/* feat_avatar.c - room avatars: the room's vCard (XEP-0054) with a PHOTO,
 * set by owners and given to anyone, as Prosody's mod_vcard_muc does.
 *
 * - set (owners only, present or not, like the configuration form): the
 *   whole <vCard/> is kept as XML text (persist.c stores it BEFORE the
 *   answer for persistent rooms; temporary rooms keep it in memory); an
 *   empty <vCard/> removes it. [muc] max_avatar_bytes caps the DECODED
 *   photo (not-acceptable); bad base64 in PHOTO/BINVAL is a bad-request;
 *   the vCard's other fields may add MAX_OTHER_BYTES.
 * - get: anyone, whatever the room's type (what disco#info already tells
 *   everyone; Prosody does not restrict it either), except a locked room
 *   (item-not-found, as disco) for non-owners. No vCard: an empty one.
 * - disco#info: the feature vcard-temp, and muc#roominfo_avatarhash
 *   (XEP-0486, text-multi) when there is a photo.
 * - a change: every occupant gets a presence from the room's bare JID with
 *   <x xmlns=vcard-temp:x:update><photo>HASH</photo></x> (XEP-0153; an
 *   empty <photo/> when it was removed) AND a status 104 message: both, as
 *   Prosody's mod_vcard_muc by default. A session entering a room with a
 *   photo gets that presence after the subject (Prosody does the same). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/log.h"
#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* What a vCard may hold besides its photo (names, description, markup). */
#define MAX_OTHER_BYTES 16384

/* The base64 text of n bytes, with room for line breaks (some clients
 * wrap at 76 columns), plus the vCard's other fields. */
static size_t vcard_text_cap(const service_t *svc)
{
    size_t n = (size_t)svc->max_avatar_bytes;
    size_t b64 = (n + 2) / 3 * 4;
    return b64 + b64 / 38 + MAX_OTHER_BYTES;
}

size_t avatar_stanza_allowance(const request_t *req)
{
    if (!req->svc->max_avatar_bytes || !req->to.local || req->to.resource ||
        !stanza_type_is(req->st, "set") ||
        strcmp(xmpp_stanza_get_name(req->st), "iq") != 0)
        return 0;
    xmpp_stanza_t *v = xmpp_stanza_get_child_by_name_and_ns(req->st, "vCard", NS_VCARD);
    return v ? vcard_text_cap(req->svc) + 1024 : 0; /* + the <iq/> around it */
}

/* ---- disco ------------------------------------------------------------ */

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query)
{
    if (room->svc->max_avatar_bytes) feature_add(ctx, query, NS_VCARD);
}

static void roominfo(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *form)
{
    if (!room->avatar_hash[0]) return;
    form_add_value(
        ctx,
        form_add_field(ctx, form, "muc#roominfo_avatarhash", "text-multi", "Avatar hash"),
        room->avatar_hash);
}

const room_feature_t feat_avatar = {
    .name = "avatar", .disco = disco, .roominfo = roominfo};

/* ---- notices ---------------------------------------------------------- */

/* <presence from=room><x xmlns=vcard-temp:x:update><photo>HASH</photo>. */
static xmpp_stanza_t *update_presence(room_t *room)
{
    xmpp_ctx_t *ctx = room->svc->ctx;
    xmpp_stanza_t *p = xmpp_presence_new(ctx);
    if (!p) return NULL;
    xmpp_stanza_set_from(p, room->jid);
    xmpp_stanza_t *x = stanza_add_child(ctx, p, "x", NS_VCARD_UPDATE);
    xmpp_stanza_t *photo = stanza_add_child(ctx, x, "photo", NULL);
    if (room->avatar_hash[0]) stanza_add_text(ctx, photo, room->avatar_hash);
    return p;
}

void avatar_send_to(room_t *room, const char *to, out_sink_t *out)
{
    if (!room->avatar_hash[0]) return;
    xmpp_stanza_t *p = update_presence(room);
    if (!p) return;
    xmpp_stanza_set_to(p, to);
    out_send(out, p);
}

/* Every occupant: the XEP-0153 presence, then status 104. */
static void announce(room_t *room, out_sink_t *out)
{
    xmpp_ctx_t *ctx = room->svc->ctx;
    xmpp_stanza_t *p = update_presence(room);
    if (p) {
        muc_broadcast(room, p, out);
        xmpp_stanza_release(p);
    }
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", NULL, NULL);
    if (!m) return;
    xmpp_stanza_set_from(m, room->jid);
    xmpp_stanza_t *x = stanza_add_child(ctx, m, "x", NS_MUC_USER);
    xmpp_stanza_set_attribute(stanza_add_child(ctx, x, "status", NULL), "code", "104");
    muc_broadcast(room, m, out);
    xmpp_stanza_release(m);
}

/* ---- get -------------------------------------------------------------- */

muc_err_t avatar_get(request_t *req)
{
    char bare[JID_MAX_LEN];
    if (!req->svc->max_avatar_bytes) return ERR_SERVICE_UNAVAILABLE;
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    if (room->locked &&
        room_affiliation(room, muc_bare_jid(&req->from, bare)) != AFF_OWNER)
        return ERR_ITEM_NOT_FOUND;
    const char *vcard = room->avatar ? room->avatar : "<vCard xmlns='" NS_VCARD "'/>";
    const char *id = xmpp_stanza_get_id(req->st);
    size_t cap = 6 * (strlen(id) + strlen(req->from_full) + strlen(room->jid)) +
                 strlen(vcard) + 64;
    char *xml = malloc(cap);
    if (!xml) return ERR_RESOURCE_CONSTRAINT;
    /* written as text: the stored vCard is not parsed for every get */
    size_t n = (size_t)sprintf(xml, "<iq type='result' id='");
    n += out_escape_attr(xml + n, id);
    n += (size_t)sprintf(xml + n, "' to='");
    n += out_escape_attr(xml + n, req->from_full);
    n += (size_t)sprintf(xml + n, "' from='");
    n += out_escape_attr(xml + n, room->jid);
    n += (size_t)sprintf(xml + n, "'>%s</iq>", vcard);
    out_send_xml(req->out, req->ctx, xml, n);
    free(xml);
    return MUC_OK;
}

/* ---- set -------------------------------------------------------------- */

/* The SHA-1 hex of the vCard's PHOTO/BINVAL into hash ("" without a
 * photo). Errors set req->err_text. */
static muc_err_t photo_hash(request_t *req, xmpp_stanza_t *vcard, char hash[41])
{
    hash[0] = '\0';
    xmpp_stanza_t *photo = xmpp_stanza_get_child_by_name(vcard, "PHOTO");
    xmpp_stanza_t *bin = photo ? xmpp_stanza_get_child_by_name(photo, "BINVAL") : NULL;
    char *text = bin ? xmpp_stanza_get_text(bin) : NULL;
    if (!text) return MUC_OK; /* no photo, or only an EXTVAL */
    size_t n = 0;
    for (char *p = text; *p; p++) /* base64 may be wrapped */
        if (!isspace((unsigned char)*p)) text[n++] = *p;
    text[n] = '\0';
    unsigned char *raw = NULL;
    size_t len = 0;
    if (n) xmpp_base64_decode_bin(req->ctx, text, n, &raw, &len);
    xmpp_free(req->ctx, text);
    if (n && (!raw || !len)) {
        if (raw) xmpp_free(req->ctx, raw);
        snprintf(req->err_text, sizeof req->err_text,
                 "the PHOTO's BINVAL is not valid base64");
        return ERR_BAD_REQUEST;
    }
    if (!n) return MUC_OK; /* an empty BINVAL: no photo */
    muc_err_t err = MUC_OK;
    if (len > (size_t)req->svc->max_avatar_bytes) {
        snprintf(req->err_text, sizeof req->err_text,
                 "the photo has %zu bytes; this service accepts at most %d", len,
                 req->svc->max_avatar_bytes);
        err = ERR_NOT_ACCEPTABLE;
    } else {
        char *hex = xmpp_sha1(req->ctx, raw, len);
        if (hex) {
            snprintf(hash, 41, "%s", hex);
            xmpp_free(req->ctx, hex);
        } else {
            err = ERR_RESOURCE_CONSTRAINT;
        }
    }
    xmpp_free(req->ctx, raw);
    return err;
}

/* The vCard as text (malloc'd; NULL for an empty <vCard/>, which removes
 * it); *err on failure. */
static char *vcard_text(request_t *req, char hash[41], muc_err_t *err)
{
    xmpp_stanza_t *vcard = req->payload;
    *err = MUC_OK;
    hash[0] = '\0';
    if (stanza_element_count(vcard) == 0) return NULL;
    if ((*err = photo_hash(req, vcard, hash)) != MUC_OK) return NULL;
    char *buf = NULL, *copy = NULL;
    size_t len = 0; /* children do not repeat the namespace they inherit */
    if (xmpp_stanza_to_text(vcard, &buf, &len) != 0) {
        *err = ERR_RESOURCE_CONSTRAINT;
        return NULL;
    }
    if (len > vcard_text_cap(req->svc)) {
        snprintf(req->err_text, sizeof req->err_text,
                 "the vCard is too large: %zu bytes besides its photo at most",
                 (size_t)MAX_OTHER_BYTES);
        *err = ERR_NOT_ACCEPTABLE;
    } else if (!(copy = strndup(buf, len))) {
        *err = ERR_RESOURCE_CONSTRAINT;
    }
    xmpp_free(req->ctx, buf);
    return copy;
}

muc_err_t avatar_set(request_t *req)
{
    char bare[JID_MAX_LEN], hash[41];
    if (!req->svc->max_avatar_bytes) return ERR_SERVICE_UNAVAILABLE;
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    if (room_affiliation(room, muc_bare_jid(&req->from, bare)) != AFF_OWNER) {
        snprintf(req->err_text, sizeof req->err_text,
                 "only the room's owners may set its vCard");
        return ERR_FORBIDDEN;
    }
    muc_err_t err;
    char *xml = vcard_text(req, hash, &err);
    if (err) return err;
    bool changed = (xml == NULL) != (room->avatar == NULL) ||
                   (xml && strcmp(xml, room->avatar) != 0);
    if (changed && (err = persist_avatar(room, xml, hash)) != MUC_OK) {
        free(xml);
        return err; /* nothing changed */
    }
    if (changed) {
        free(room->avatar);
        room->avatar = xml;
        memcpy(room->avatar_hash, hash, sizeof room->avatar_hash);
        LOG_I("muc", "room %s: vCard %s by %s", room->jid, xml ? "set" : "removed", bare);
    } else {
        free(xml);
    }
    out_send(req->out, request_iq_result(req));
    if (changed) announce(room, req->out);
    return MUC_OK;
}
