/* feat_archive.c - the room archive (XEP-0313, urn:xmpp:mam:2).
 *
 * - config: muc#roomconfig_enablearchiving (boolean; the default is
 *   [muc] archive_default, on); only persistent rooms archive (temporary
 *   rooms are never written to the store). disco#info lists urn:xmpp:mam:2
 *   when the room archives.
 * - write: message.c calls archive_append for every broadcast groupchat
 *   message with a body, every retraction and every subject change, and
 *   feat_moderation.c for every moderation announcement, BEFORE the
 *   broadcast (acknowledged = stored); a store failure is a
 *   resource-constraint and nothing is broadcast. The archive id is the
 *   stanza-id of the broadcast. Under the event loop the appends are
 *   batched (service_set_batching): one commit per turn, before any of the
 *   turn's output leaves (link.c); if the batch is lost, the output of the
 *   stanzas that made its appends is withheld and their senders get an
 *   error (service_commit, service_report_lost).
 * - history on join of an archiving room is the archive's newest messages
 *   with a body, read when the room is loaded (persist.c).
 *   What is stored is the broadcast copy: from room/nick with its
 *   occupant-id, never a real JID, so results never reveal one.
 * - query (IQ set to the room JID): occupants; in public, non-members-only
 *   rooms without a password anyone not banned; others forbidden. Filters
 *   start/end (bisection on timestamps), with (room/nick: the stored nick;
 *   any other JID matches nothing), before-id/after-id/ids, RSM max (capped
 *   at ARCHIVE_MAX_PAGE)/after/before/index, flip-page. A page costs
 *   O(log n + page); `with` reads the archive's sender index (storage.h)
 *   and omits <count/> and the first's index (every other query has an
 *   exact count: a room's sequences are contiguous, see storage.h).
 * - retention: [muc] archive_max_messages on every append (bounded work),
 *   archive_max_days from service_tick in small transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component/log.h"
#include "muc/archive.h"
#include "muc/feature.h"
#include "muc/handlers.h"
#include "muc/muc.h"
#include "muc/ns.h"
#include "muc/service.h"
#include "muc/stanza.h"
#include "disco/rsm.h"
#include "storage/storage.h"

#define SCAN_LIMIT   5000 /* entries a `with` page scans without the index */
#define PRUNE_BUDGET 200  /* deletions per service_tick */

bool archive_on(const room_t *room)
{
    /* keys are "room\0stanza-id": LMDB keys hold 511 bytes */
    return room->cfg.archive && room->cfg.persistent && room->svc->store &&
           strlen(room->name) <= 400;
}

/* ---- config and disco --------------------------------------------------- */

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_enablearchiving",
                   "Archive messages (XEP-0313; persistent rooms only)", archive),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query)
{
    if (!archive_on(room)) return;
    feature_add(ctx, query, NS_MAM);
    /* before-id/after-id/ids, flip-page and the metadata query */
    feature_add(ctx, query, NS_MAM "#extended");
}

const room_feature_t feat_archive = {
    .name = "archive", .fields = fields, .nfields = NFIELDS(fields), .disco = disco};

/* ---- write -------------------------------------------------------------- */

char *archive_record_xml(const char *xml, size_t len)
{
    static const char tag[] = "<message", ns[] = " xmlns='jabber:client'";
    size_t tl = sizeof tag - 1, nl = sizeof ns - 1;
    if (len <= tl || memcmp(xml, tag, tl) != 0 || (xml[tl] != ' ' && xml[tl] != '>'))
        return NULL;
    const char *gt = memchr(xml, '>', len);
    for (const char *q = xml; gt && q + 6 <= gt; q++)
        if (memcmp(q, "xmlns=", 6) == 0) {
            nl = 0; /* it has its own */
            break;
        }
    char *text = malloc(len + nl + 1);
    if (!text) return NULL;
    memcpy(text, tag, tl);
    memcpy(text + tl, ns, nl);
    memcpy(text + tl + nl, xml + tl, len - tl);
    text[len + nl] = '\0';
    return text;
}

muc_err_t archive_append(request_t *req, room_t *room, const char *nick, const char *jid,
                         const char *xml, size_t len, const char *sid)
{
    if (!archive_on(room)) return MUC_OK;
    service_t *svc = room->svc;
    char *text = archive_record_xml(xml, len);
    if (!text) return ERR_RESOURCE_CONSTRAINT;
    store_rc_t src =
        store_archive_append(svc->store, room->name, (int64_t)svc->now() * 1000, sid,
                             nick, jid, text, (uint64_t)svc->archive_max_messages, NULL);
    free(text);
    if (src != STORE_OK) {
        LOG_E("storage", "%s: archive: %s", room->jid, store_last_error(svc->store));
        return ERR_RESOURCE_CONSTRAINT;
    }
    service_note_archived(req);
    return MUC_OK;
}

void archive_tick(service_t *svc)
{
    if (!svc->store || svc->archive_max_days <= 0) return;
    time_t now = svc->now();
    int64_t cutoff = ((int64_t)now - (int64_t)svc->archive_max_days * 86400) * 1000;
    size_t removed = 0;
    if (store_archive_prune_age(svc->store, cutoff, PRUNE_BUDGET, svc->archive_resume,
                                sizeof svc->archive_resume, &removed) != STORE_OK)
        LOG_W("storage", "archive pruning: %s", store_last_error(svc->store));
    else if (removed)
        LOG_D("storage", "archive: %zu expired messages removed", removed);
}

/* ---- query form (IQ get) ------------------------------------------------ */

muc_err_t archive_form(request_t *req)
{
    room_t *room = service_room(req->svc, req->to.local);
    if (!room) return ERR_ITEM_NOT_FOUND;
    if (!archive_on(room)) return ERR_SERVICE_UNAVAILABLE;
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_RESOURCE_CONSTRAINT;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_MAM);
    xmpp_stanza_t *x = stanza_add_child(req->ctx, q, "x", NS_DATA);
    xmpp_stanza_set_type(x, "form");
    form_add_value(req->ctx, form_add_field(req->ctx, x, "FORM_TYPE", "hidden", NULL),
                   NS_MAM);
    static const char *const f[][3] = {
        {"with", "jid-single", "With (an occupant JID)"},
        {"start", "text-single", "Start"},
        {"end", "text-single", "End"},
        {"before-id", "text-single", "Before id"},
        {"after-id", "text-single", "After id"},
        {"ids", "text-multi", "Ids"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        form_add_field(req->ctx, x, f[i][0], f[i][1], f[i][2]);
    out_send(req->out, res);
    return MUC_OK;
}

/* ---- query (IQ set) ----------------------------------------------------- */

static bool may_query(request_t *req, room_t *room)
{
    char bare[JID_MAX_LEN];
    if (room_occupant_by_jid(room, req->from_full)) return true;
    affiliation_t aff = room_affiliation(room, muc_bare_jid(&req->from, bare));
    if (aff >= AFF_ADMIN || service_is_admin(req->svc, bare)) return true;
    return room->cfg.public_list && !room->cfg.members_only &&
           !room->cfg.password_protected && !room->locked && aff != AFF_OUTCAST;
}

typedef struct query {
    uint64_t lo, hi;  /* the filtered range (inclusive; lo > hi: empty) */
    char *nick;       /* `with`: the stored nick, or NULL */
    bool with_nobody; /* `with` names no occupant JID of the room */
    char **ids;       /* `ids`: NULL-terminated, or NULL */
} query_t;

static void query_clear(query_t *q)
{
    free(q->nick);
    if (q->ids)
        for (char **p = q->ids; *p; p++)
            free(*p);
    free(q->ids);
}

static void lower_hi(query_t *q, uint64_t v)
{
    if (v < q->hi) q->hi = v;
}
static void raise_lo(query_t *q, uint64_t v)
{
    if (v > q->lo) q->lo = v;
}

/* One filter field into q; errors set req->err_text. */
static muc_err_t apply_field(request_t *req, room_t *room, query_t *q, const char *var,
                             xmpp_stanza_t *field)
{
    store_t *st = req->svc->store;
    if (strcmp(var, "ids") == 0) {
        size_t n = 0, i = 0;
        for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v;
             v = xmpp_stanza_get_next(v))
            n++;
        if (!(q->ids = calloc(n + 1, sizeof *q->ids))) return ERR_RESOURCE_CONSTRAINT;
        for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v;
             v = xmpp_stanza_get_next(v)) {
            if (!xmpp_stanza_is_tag(v) || strcmp(xmpp_stanza_get_name(v), "value") != 0)
                continue;
            char *t = xmpp_stanza_get_text(v);
            q->ids[i] = strdup(t ? t : "");
            if (t) xmpp_free(req->ctx, t);
            if (!q->ids[i++]) return ERR_RESOURCE_CONSTRAINT;
        }
        return MUC_OK;
    }
    char *text = form_field_text(field);
    const char *t = text ? text : "";
    muc_err_t err = MUC_OK;
    uint64_t seq;
    time_t when;
    if (strcmp(var, "start") == 0 || strcmp(var, "end") == 0) {
        if (muc_parse_datetime(t, &when) != 0) {
            snprintf(req->err_text, sizeof req->err_text,
                     "'%s' is not an XEP-0082 date and time", var);
            err = ERR_BAD_REQUEST;
        } else if (var[0] == 's') { /* the first at or after start */
            if (store_archive_seq_at(st, room->name, (int64_t)when * 1000, &seq) ==
                STORE_OK)
                raise_lo(q, seq);
        } else { /* the last at or before end (whole seconds are stored) */
            if (store_archive_seq_at(st, room->name, (int64_t)when * 1000 + 1, &seq) ==
                STORE_OK)
                lower_hi(q, seq - 1);
        }
    } else if (strcmp(var, "after-id") == 0 || strcmp(var, "before-id") == 0) {
        if (store_archive_seq_of(st, room->name, t, &seq) != STORE_OK) {
            snprintf(req->err_text, sizeof req->err_text,
                     "no message with the id in '%s'", var);
            err = ERR_ITEM_NOT_FOUND;
        } else if (var[0] == 'a') {
            raise_lo(q, seq + 1);
        } else {
            lower_hi(q, seq - 1);
        }
    } else if (strcmp(var, "with") == 0) {
        jid_t j;
        char bare[JID_MAX_LEN];
        if (jid_parse(t, &j) != 0) {
            snprintf(req->err_text, sizeof req->err_text, "'with' is not a JID");
            err = ERR_BAD_REQUEST;
        } else if (j.resource && strcasecmp(muc_bare_jid(&j, bare), room->jid) == 0) {
            if (!(q->nick = strdup(j.resource))) err = ERR_RESOURCE_CONSTRAINT;
        } else {
            q->with_nobody = true; /* real JIDs are never in the archive */
        }
    } /* FORM_TYPE and unknown fields are ignored */
    form_free_text(text);
    return err;
}

static muc_err_t parse_form(request_t *req, room_t *room, query_t *q)
{
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(req->payload, "x", NS_DATA);
    if (!x) return MUC_OK;
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f; f = xmpp_stanza_get_next(f)) {
        if (!xmpp_stanza_is_tag(f) || strcmp(xmpp_stanza_get_name(f), "field") != 0)
            continue;
        const char *var = xmpp_stanza_get_attribute(f, "var");
        if (!var) continue;
        muc_err_t err = apply_field(req, room, q, var, f);
        if (err) return err;
    }
    return MUC_OK;
}

/* Sends one <result/> message (built as text: the stored XML is not parsed). */
/* Whether req's sender may see the real JIDs of the archive's senders now
 * (XEP-0313 §6.1.2): in a non-anonymous room, a moderator, or one who
 * would be one on entering (room admins and owners, service admins). */
static bool sees_jids(request_t *req, room_t *room)
{
    char bare[JID_MAX_LEN];
    if (muc_sees_jids(room, room_occupant_by_jid(room, req->from_full))) return true;
    muc_bare_jid(&req->from, bare);
    return room_affiliation(room, bare) >= AFF_ADMIN || service_is_admin(req->svc, bare);
}

/* The length of the stored message before its closing </message>, where
 * the real JID goes; 0 when it has none (then it is not added). */
static size_t before_close(const char *xml)
{
    static const char close[] = "</message>";
    size_t l = strlen(xml), cl = sizeof close - 1;
    return l > cl && strcmp(xml + l - cl, close) == 0 ? l - cl : 0;
}

/* Sends one <result/> message (built as text: the stored XML is not parsed),
 * with the sender's real JID (<x xmlns=muc#user><item jid/></x>) when
 * show_jid and the record has one. */
static muc_err_t send_result(request_t *req, room_t *room, const char *queryid,
                             const store_arch_msg_t *m, bool show_jid)
{
    char stamp[32];
    muc_format_datetime((time_t)(m->ts_ms / 1000), stamp, sizeof stamp);
    size_t at = show_jid && m->jid ? before_close(m->xml) : 0;
    size_t cap = 6 * (strlen(req->from_full) + strlen(room->jid) +
                      (queryid ? strlen(queryid) : 0) + strlen(m->id) +
                      (at ? strlen(m->jid) : 0)) +
                 strlen(m->xml) + 320;
    char *xml = malloc(cap);
    if (!xml) return ERR_RESOURCE_CONSTRAINT;
    size_t n = (size_t)sprintf(xml, "<message to='");
    n += out_escape_attr(xml + n, req->from_full);
    n += (size_t)sprintf(xml + n, "' from='");
    n += out_escape_attr(xml + n, room->jid);
    n += (size_t)sprintf(xml + n, "'><result xmlns='" NS_MAM "'");
    if (queryid) {
        n += (size_t)sprintf(xml + n, " queryid='");
        n += out_escape_attr(xml + n, queryid);
        xml[n++] = '\'';
    }
    n += (size_t)sprintf(xml + n, " id='");
    n += out_escape_attr(xml + n, m->id);
    n += (size_t)sprintf(xml + n,
                         "'><forwarded xmlns='" NS_FORWARD "'><delay xmlns='" NS_DELAY
                         "' stamp='%s'/>",
                         stamp);
    if (at) { /* the message, then its sender's JID inside it */
        memcpy(xml + n, m->xml, at);
        n += at;
        n += (size_t)sprintf(xml + n, "<x xmlns='" NS_MUC_USER "'><item jid='");
        n += out_escape_attr(xml + n, m->jid);
        n += (size_t)sprintf(xml + n, "'/></x></message>");
    } else {
        n += (size_t)sprintf(xml + n, "%s", m->xml);
    }
    n += (size_t)sprintf(xml + n, "</forwarded></result></message>");
    out_send_xml(req->out, req->ctx, xml, n);
    free(xml);
    return MUC_OK;
}

static int by_seq(const void *a, const void *b)
{
    const store_arch_msg_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The messages named by `ids` within the range, in archive order. */
static muc_err_t fetch_ids(request_t *req, room_t *room, query_t *q, size_t max,
                           store_arch_msg_t *out, size_t *n, bool *more)
{
    *n = 0;
    *more = false;
    for (char **p = q->ids; *p; p++) {
        uint64_t seq;
        store_arch_msg_t m;
        if (store_archive_seq_of(req->svc->store, room->name, *p, &seq) != STORE_OK ||
            store_archive_get(req->svc->store, room->name, seq, &m) != STORE_OK) {
            store_arch_msgs_free(out, *n);
            *n = 0;
            snprintf(req->err_text, sizeof req->err_text,
                     "no message with the id '%.64s'", *p);
            return ERR_ITEM_NOT_FOUND;
        }
        if (seq < q->lo || seq > q->hi || (q->nick && strcmp(q->nick, m.nick) != 0) ||
            q->with_nobody || *n == max) {
            if (*n == max) *more = true;
            store_arch_msgs_free(&m, 1);
            continue;
        }
        out[(*n)++] = m;
    }
    qsort(out, *n, sizeof *out, by_seq);
    return MUC_OK;
}

static void send_fin(request_t *req, const store_arch_msg_t *page, size_t n,
                     bool complete, long index, long count)
{
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return;
    xmpp_ctx_t *ctx = req->ctx;
    xmpp_stanza_t *fin = stanza_add_child(ctx, res, "fin", NS_MAM);
    xmpp_stanza_set_attribute(fin, "complete", complete ? "true" : "false");
    rsm_add_reply(ctx, fin, n ? page[0].id : NULL, index, n ? page[n - 1].id : NULL,
                  count);
    out_send(req->out, res);
}

/* <start/> or <end/> of the metadata: the entry seq's id and time. */
static void add_bound(request_t *req, room_t *room, xmpp_stanza_t *md, const char *name,
                      uint64_t seq)
{
    store_arch_msg_t m;
    if (store_archive_get(req->svc->store, room->name, seq, &m) != STORE_OK) return;
    char stamp[32];
    muc_format_datetime((time_t)(m.ts_ms / 1000), stamp, sizeof stamp);
    xmpp_stanza_t *b = stanza_add_child(req->ctx, md, name, NULL);
    if (b) {
        xmpp_stanza_set_id(b, m.id);
        xmpp_stanza_set_attribute(b, "timestamp", stamp);
    }
    store_arch_msgs_free(&m, 1);
}

/* The archiving room req (a query or the metadata) is for, in *room, when
 * its sender may read the archive; else the error to answer. */
static muc_err_t queried_room(request_t *req, room_t **room)
{
    *room = service_room(req->svc, req->to.local);
    if (!*room) return ERR_ITEM_NOT_FOUND;
    if (!archive_on(*room)) return ERR_SERVICE_UNAVAILABLE;
    if (may_query(req, *room)) return MUC_OK;
    snprintf(req->err_text, sizeof req->err_text,
             "only occupants may query this room's archive");
    return ERR_FORBIDDEN;
}

muc_err_t archive_metadata(request_t *req)
{
    room_t *room;
    muc_err_t err = queried_room(req, &room);
    if (err) return err;
    uint64_t first, last;
    store_rc_t src = store_archive_bounds(req->svc->store, room->name, &first, &last);
    if (src != STORE_OK && src != STORE_ERR_NOTFOUND) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *res = request_iq_result(req);
    xmpp_stanza_t *md = res ? stanza_add_child(req->ctx, res, "metadata", NS_MAM) : NULL;
    if (!md) {
        if (res) xmpp_stanza_release(res);
        return ERR_RESOURCE_CONSTRAINT;
    }
    if (src == STORE_OK) { /* empty: an empty <metadata/> (XEP-0313 §7) */
        add_bound(req, room, md, "start", first);
        add_bound(req, room, md, "end", last);
    }
    out_send(req->out, res);
    return MUC_OK;
}

muc_err_t archive_query(request_t *req)
{
    service_t *svc = req->svc;
    room_t *room;
    muc_err_t qerr = queried_room(req, &room);
    if (qerr) return qerr;
    rsm_req_t rsm;
    if (rsm_parse(req->payload, &rsm) != 0) return ERR_BAD_REQUEST;
    size_t max =
        rsm.max < 0 || rsm.max > ARCHIVE_MAX_PAGE ? ARCHIVE_MAX_PAGE : (size_t)rsm.max;
    bool flip = xmpp_stanza_get_child_by_name(req->payload, "flip-page") != NULL;
    query_t q = {.lo = 1, .hi = 0};
    uint64_t first, last;
    store_rc_t src = store_archive_bounds(svc->store, room->name, &first, &last);
    if (src == STORE_OK) {
        q.lo = first;
        q.hi = last;
    } else if (src != STORE_ERR_NOTFOUND) {
        return ERR_INTERNAL_SERVER_ERROR;
    }
    muc_err_t err = parse_form(req, room, &q);
    bool scan = q.nick != NULL;
    if (q.with_nobody) q.lo = q.hi + 1;
    long count = scan ? -1 : q.lo <= q.hi ? (long)(q.hi - q.lo + 1) : 0;
    /* the page: RSM positions within the range */
    uint64_t lo = q.lo, hi = q.hi, seq;
    bool backward = rsm.has_before;
    if (!err && rsm.has_after) {
        if (store_archive_seq_of(svc->store, room->name, rsm.after, &seq) != STORE_OK)
            err = ERR_ITEM_NOT_FOUND;
        else if (seq + 1 > lo)
            lo = seq + 1;
    }
    if (!err && rsm.has_before && rsm.before[0]) {
        if (store_archive_seq_of(svc->store, room->name, rsm.before, &seq) != STORE_OK)
            err = ERR_ITEM_NOT_FOUND;
        else if (seq - 1 < hi)
            hi = seq - 1;
    }
    if (!err && rsm.index >= 0 && !scan && !backward && !q.ids) lo += (uint64_t)rsm.index;
    store_arch_msg_t *page = err ? NULL : calloc(max ? max : 1, sizeof *page);
    if (!err && !page) err = ERR_RESOURCE_CONSTRAINT;
    size_t n = 0;
    bool more = false;
    if (!err && q.ids) {
        err = fetch_ids(req, room, &q, max, page, &n, &more);
        count = -1;
    } else if (!err && lo <= hi && lo >= q.lo) {
        src = store_archive_page(svc->store, room->name, lo, hi, backward, q.nick, max,
                                 scan ? SCAN_LIMIT : max + 1, page, &n, &more);
        if (src != STORE_OK) err = ERR_INTERNAL_SERVER_ERROR;
        if (backward) /* read newest first: back to archive order */
            for (size_t i = 0; i < n / 2; i++) {
                store_arch_msg_t t = page[i];
                page[i] = page[n - 1 - i];
                page[n - 1 - i] = t;
            }
    }
    if (!err && flip)
        for (size_t i = 0; i < n / 2; i++) {
            store_arch_msg_t t = page[i];
            page[i] = page[n - 1 - i];
            page[n - 1 - i] = t;
        }
    const char *queryid = xmpp_stanza_get_attribute(req->payload, "queryid");
    bool show_jid = sees_jids(req, room);
    for (size_t i = 0; !err && i < n; i++)
        err = send_result(req, room, queryid, &page[i], show_jid);
    long index = (!scan && !q.ids && !flip && n) ? (long)(page[0].seq - q.lo) : -1;
    if (!err) send_fin(req, page, n, !more, index, count);
    if (page) store_arch_msgs_free(page, n);
    free(page);
    query_clear(&q);
    return err;
}
