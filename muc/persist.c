/* persist.c - persistent rooms: room <-> store records, lazy load/unload. */
#include "muc/persist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "component/log.h"
#include "muc/archive.h"
#include "muc/muc.h"
#include "muc/service.h"
#include "muc/stanza.h"

/* The record of room with the state s; its strings are borrowed (the
 * secret's hex from `hex`). */
static void to_record(const room_t *room, const persist_state_t *s, store_room_t *r,
                      char hex[IDS_SECRET_HEX_LEN + 1])
{
    ids_secret_to_hex(room->secret, hex);
    const room_config_t *c = s->cfg ? s->cfg : &room->cfg;
    *r = (store_room_t){
        .name = room->name,
        .title = c->title,
        .description = c->description,
        .lang = c->lang,
        .contacts = c->contacts,
        .password = c->password,
        .subject = s->set_subject ? (char *)s->subject : room->subject,
        .subject_nick = s->set_subject ? (char *)s->subject_nick : room->subject_nick,
        .creator = room->creator,
        .secret = hex,
        .persistent = c->persistent,
        .public_list = c->public_list,
        .members_only = c->members_only,
        .moderated = c->moderated,
        .whois_anyone = c->whois_anyone,
        .change_subject = c->change_subject,
        .allow_invites = c->allow_invites,
        .password_protected = c->password_protected,
        .allow_pm = (int)c->allow_pm,
        .max_users = c->max_users,
        .history_length = c->history_length,
        .archive = c->archive ? 1 : -1,
    };
}

/* Every current affiliation, then the changes (later entries win). */
static store_aff_t *all_affiliations(const room_t *room, const persist_state_t *s,
                                     size_t *n)
{
    size_t cap = hash_count(room->affiliations) + s->nchanges;
    store_aff_t *all = calloc(cap ? cap : 1, sizeof *all);
    if (!all) return NULL;
    *n = 0;
    for (hash_iter_t it = hash_iter(room->affiliations); hash_next(&it);)
        all[(*n)++] =
            (store_aff_t){(char *)it.key, (int)((intptr_t)it.value - 2), NULL, NULL};
    for (size_t i = 0; i < s->nchanges; i++)
        all[(*n)++] = s->changes[i];
    return all;
}

/* ---- vCard blobs: "<hash>\n<xml>" --------------------------------------- */

/* The blob of a vCard (NULL for none; NULL too when out of memory). */
static char *avatar_blob(const char *xml, const char *hash, size_t *len)
{
    *len = 0;
    if (!xml) return NULL;
    size_t hl = strlen(hash), xl = strlen(xml);
    char *blob = malloc(hl + 1 + xl);
    if (!blob) return NULL;
    memcpy(blob, hash, hl);
    blob[hl] = '\n';
    memcpy(blob + hl + 1, xml, xl);
    *len = hl + 1 + xl;
    return blob;
}

static void load_avatar(room_t *room)
{
    void *data;
    size_t len;
    if (store_avatar_load(room->svc->store, room->name, &data, &len) != STORE_OK) return;
    const char *nl = memchr(data, '\n', len);
    size_t hl = nl ? (size_t)(nl - (const char *)data) : 0;
    if (nl && hl < sizeof room->avatar_hash &&
        (room->avatar = strndup(nl + 1, len - hl - 1)) != NULL) {
        memcpy(room->avatar_hash, data, hl);
        room->avatar_hash[hl] = '\0';
    } else {
        LOG_W("storage", "%s: stored vCard unreadable, ignored", room->jid);
    }
    free(data);
}

static muc_err_t store_error(room_t *room, store_rc_t rc)
{
    LOG_E("storage", "%s: %s", room->jid, store_last_error(room->svc->store));
    return rc == STORE_ERR_FULL ? ERR_RESOURCE_CONSTRAINT : ERR_INTERNAL_SERVER_ERROR;
}

muc_err_t persist_room(room_t *room, const persist_state_t *s)
{
    store_t *st = room->svc->store;
    const room_config_t *cfg = s->cfg ? s->cfg : &room->cfg;
    if (!st) return MUC_OK;
    if (!cfg->persistent) return room->cfg.persistent ? persist_delete(room) : MUC_OK;
    store_room_t rec;
    char hex[IDS_SECRET_HEX_LEN + 1];
    to_record(room, s, &rec, hex);
    size_t n = s->nchanges;
    store_aff_t *all = NULL;
    if (!room->cfg.persistent) { /* becoming persistent: write everything */
        if (!(all = all_affiliations(room, s, &n))) return ERR_RESOURCE_CONSTRAINT;
    }
    size_t alen = 0;
    char *avatar = all ? avatar_blob(room->avatar, room->avatar_hash, &alen) : NULL;
    if (all && room->avatar && !avatar) {
        free(all);
        return ERR_RESOURCE_CONSTRAINT;
    }
    store_rc_t rc =
        store_room_save_avatar(st, &rec, all ? all : s->changes, n, avatar, alen);
    free(all);
    free(avatar);
    return rc == STORE_OK ? MUC_OK : store_error(room, rc);
}

muc_err_t persist_avatar(room_t *room, const char *xml, const char *hash)
{
    store_t *st = room->svc->store;
    if (!st || !room->cfg.persistent) return MUC_OK;
    size_t len;
    char *blob = avatar_blob(xml, hash, &len);
    if (xml && !blob) return ERR_RESOURCE_CONSTRAINT;
    store_rc_t rc = store_avatar_save(st, room->name, blob, len);
    free(blob);
    return rc == STORE_OK ? MUC_OK : store_error(room, rc);
}

muc_err_t persist_delete(room_t *room)
{
    store_t *st = room->svc->store;
    if (!st) return MUC_OK;
    store_rc_t rc = store_room_delete(st, room->name);
    return rc == STORE_OK ? MUC_OK : store_error(room, rc);
}

/* ---- history blobs: [u64 stamp][u32 len][xml] per entry ----------------- */

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

static void save_history(room_t *room)
{
    /* an archiving room's history is its archive's newest messages */
    if (!room->history_dirty || !room->svc->store || archive_on(room)) return;
    unsigned char *blob = NULL;
    size_t len = 0;
    for (size_t i = 0; i < room->history_count; i++) {
        char *xml = NULL;
        size_t xl = 0;
        if (xmpp_stanza_to_text(room_history_at(room, i)->msg, &xml, &xl) != 0) continue;
        unsigned char *grown = realloc(blob, len + 12 + xl);
        if (grown) {
            blob = grown;
            put_be(blob + len, (uint64_t)room_history_at(room, i)->stamp, 8);
            put_be(blob + len + 8, xl, 4);
            memcpy(blob + len + 12, xml, xl);
            len += 12 + xl;
        }
        xmpp_free(room->svc->ctx, xml);
    }
    if (store_history_save(room->svc->store, room->name, blob, len) != STORE_OK)
        LOG_W("storage", "%s: history not saved: %s", room->jid,
              store_last_error(room->svc->store));
    free(blob);
    room->history_dirty = false;
}

static void load_history(room_t *room)
{
    void *data;
    size_t len;
    if (store_history_load(room->svc->store, room->name, &data, &len) != STORE_OK) return;
    const unsigned char *p = data;
    for (size_t off = 0; off + 12 <= len;) {
        time_t stamp = (time_t)get_be(p + off, 8);
        size_t xl = (size_t)get_be(p + off + 8, 4);
        if (off + 12 + xl > len) break;
        char *xml = strndup((const char *)p + off + 12, xl);
        xmpp_stanza_t *m = xml ? xmpp_stanza_new_from_string(room->svc->ctx, xml) : NULL;
        if (m) {
            stanza_fix_lang(m);
            room_history_add(room, m, stamp);
            xmpp_stanza_release(m);
        }
        free(xml);
        off += 12 + xl;
    }
    free(data);
    room->history_dirty = false;
}

/* Adds those of the archived messages page[0..n) that have a body to the
 * history: subject changes and retraction tombstones have none. */
static void history_add_archived(room_t *room, const store_arch_msg_t *page, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xmpp_stanza_t *m = xmpp_stanza_new_from_string(room->svc->ctx, page[i].xml);
        if (!m) continue;
        if (xmpp_stanza_get_child_by_name(m, "body")) {
            stanza_strip_own_ns(m); /* as relayed: the stream's namespace */
            stanza_fix_lang(m);
            room_history_add(room, m, (time_t)(page[i].ts_ms / 1000));
        }
        xmpp_stanza_release(m);
    }
}

/* The history of an archiving room: the newest messages of its archive,
 * so that what was acknowledged is there after any restart, a crash
 * included (the history blob is written on a clean unload only). Reads the
 * newest HISTORY_WINDOW times the ring's size, oldest first; the ring
 * keeps the newest. */
#define HISTORY_WINDOW 4
static void load_history_archived(room_t *room)
{
    store_t *st = room->svc->store;
    size_t chunk = room->history_cap;
    uint64_t first, last;
    if (!chunk || store_archive_bounds(st, room->name, &first, &last) != STORE_OK) return;
    uint64_t lo = last - first + 1 > HISTORY_WINDOW * chunk
                      ? last + 1 - HISTORY_WINDOW * chunk
                      : first;
    store_arch_msg_t *page = calloc(chunk, sizeof *page);
    bool more = page != NULL;
    while (more && lo <= last) {
        size_t n = 0;
        if (store_archive_page(st, room->name, lo, last, false, NULL, chunk, chunk + 1,
                               page, &n, &more) != STORE_OK ||
            n == 0)
            break;
        history_add_archived(room, page, n);
        lo = page[n - 1].seq + 1;
        store_arch_msgs_free(page, n);
    }
    free(page);
    room->history_dirty = false;
}

void persist_reload_history(room_t *room)
{
    if (!archive_on(room) || room->history_in_archive) return; /* not read yet */
    room_history_resize(room, 0);
    room_history_resize(room, room->cfg.history_length);
    load_history_archived(room);
}

void persist_history_ensure(room_t *room)
{
    if (!room->history_in_archive) return;
    room->history_in_archive = false;
    load_history_archived(room);
}

static void apply_record(room_t *room, store_room_t *r)
{
    room_config_t *c = &room->cfg;
    room_config_clear(c);
    *c = (room_config_t){
        .title = r->title,
        .description = r->description,
        .lang = r->lang,
        .contacts = r->contacts,
        .password = r->password,
        .persistent = true,
        .public_list = r->public_list,
        .members_only = r->members_only,
        .moderated = r->moderated,
        .whois_anyone = r->whois_anyone,
        .change_subject = r->change_subject,
        .allow_invites = r->allow_invites,
        .password_protected = r->password_protected,
        .allow_pm = (pm_policy_t)r->allow_pm,
        .max_users = r->max_users,
        .history_length = r->history_length,
        .archive = r->archive ? r->archive > 0 : room->svc->room_defaults.archive,
    };
    r->title = r->description = r->lang = r->contacts = r->password = NULL; /* moved */
    free(room->creator);
    room->creator = r->creator;
    r->creator = NULL;
    /* records from before v3 have none: the random one of room_new stays,
     * and is stored with the room's next change */
    ids_secret_from_hex(r->secret, room->secret);
    room_set_subject(room, r->subject, r->subject_nick);
    room_history_resize(room, c->history_length);
}

room_t *persist_load(service_t *svc, const char *name)
{
    store_room_t rec;
    store_aff_t *affs;
    size_t n;
    if (!svc->store) return NULL;
    store_rc_t rc = store_room_load(svc->store, name, &rec, &affs, &n);
    if (rc != STORE_OK) {
        if (rc != STORE_ERR_NOTFOUND)
            LOG_E("storage", "room %s: %s", name, store_last_error(svc->store));
        return NULL;
    }
    room_t *room = service_room_create(svc, name);
    if (room) {
        apply_record(room, &rec);
        for (size_t i = 0; i < n; i++)
            room_set_affiliation(room, affs[i].jid, (affiliation_t)affs[i].affiliation);
        if (archive_on(room))
            room->history_in_archive = true; /* persist_history_ensure */
        else
            load_history(room);
        load_avatar(room);
        LOG_D("storage", "room %s loaded (%zu affiliations)", room->jid, n);
    }
    store_room_clear(&rec);
    store_affs_free(affs, n);
    return room;
}

void persist_list_live(room_t *room)
{
    store_t *st = room->svc->store;
    if (!st) return;
    bool listed = !room->cfg.persistent && room->cfg.public_list && !room->locked;
    store_rc_t rc = listed ? store_live_put(st, room->name, room->cfg.title)
                           : store_live_del(st, room->name);
    if (rc != STORE_OK)
        LOG_W("storage", "room %s: live listing: %s", room->jid, store_last_error(st));
}

void persist_unload(room_t *room)
{
    save_history(room);
    LOG_D("storage", "room %s unloaded", room->jid);
    service_room_destroy(room->svc, room);
}

void persist_save_all_history(service_t *svc)
{
    for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);) {
        room_t *room = it.value;
        if (room->cfg.persistent) save_history(room);
    }
}
