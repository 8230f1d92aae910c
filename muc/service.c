/* service.c - the MUC service object and its room registry. */
#include "muc/service.h"

#include <stdlib.h>
#include <string.h>

#include "muc/archive.h"
#include "muc/handlers.h"
#include "muc/persist.h"
#include "muc/ns.h"
#include "muc/stanza.h"
#include "storage/storage.h"
#include "component/log.h"

/* Splits a list of names separated by commas/whitespace into a
 * NULL-terminated array (NULL for an empty list). */
static char **split_list(const char *text, bool *oom)
{
    *oom = false;
    if (!text) return NULL;
    size_t n = 0, len = strlen(text);
    char **list = calloc(len / 2 + 2, sizeof *list);
    char *copy = strdup(text);
    if (!list || !copy) goto fail;
    for (char *save, *tok = strtok_r(copy, ", \t", &save); tok;
         tok = strtok_r(NULL, ", \t", &save)) {
        for (char *p = tok; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        if (!(list[n++] = strdup(tok))) goto fail;
    }
    free(copy);
    if (n > 0) return list;
    free(list);
    return NULL;
fail:
    *oom = true;
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
    free(copy);
    return NULL;
}

bool service_is_admin(const service_t *svc, const char *bare_jid)
{
    for (size_t i = 0; svc->admins && svc->admins[i]; i++)
        if (strcmp(svc->admins[i], bare_jid) == 0) return true;
    return false;
}

service_t *service_new(xmpp_ctx_t *ctx, const service_opts_t *opts)
{
    service_t *svc = calloc(1, sizeof *svc);
    if (!svc) return NULL;
    bool oom;
    svc->ctx = ctx;
    svc->store = opts->store;
    svc->now = time_now;
    svc->now_ms = time_now_ms;
    svc->limits = opts->limits;
    svc->domain = strdup(opts->domain);
    svc->name = strdup(opts->name ? opts->name : "Chatrooms");
    svc->rooms = hash_new();
    bool oom2;
    svc->creators = split_list(opts->creators, &oom);
    svc->admins = split_list(opts->admins, &oom2);
    oom = oom || oom2;
    svc->max_occupants = opts->max_occupants > 0 ? opts->max_occupants : 1000;
    svc->max_history_length =
        opts->max_history_length > 0 ? opts->max_history_length : 100;
    svc->max_disco_items = opts->max_disco_items > 0 ? opts->max_disco_items : 100;
    svc->max_avatar_bytes = opts->max_avatar_bytes < 0    ? 0
                            : opts->max_avatar_bytes == 0 ? 65536
                                                          : opts->max_avatar_bytes;
    svc->max_nick_length = opts->max_nick_length > 0 ? opts->max_nick_length : 64;
    svc->room_defaults = (room_config_t){
        .public_list = true,
        .change_subject = false,
        .allow_pm = PM_ANYONE,
        .allow_invites = false,
        .history_length = opts->history_length >= 0 ? opts->history_length : 20,
        .archive = !opts->archive_off,
    };
    svc->archive_max_messages = opts->archive_max_messages;
    svc->archive_max_days = opts->archive_max_days;
    if (svc->room_defaults.history_length > svc->max_history_length)
        svc->room_defaults.history_length = svc->max_history_length;
    if (!svc->domain || !svc->name || !svc->rooms || oom) {
        service_free(svc);
        return NULL;
    }
    return svc;
}

static void acked_clear(service_t *svc)
{
    for (size_t i = 0; i < svc->nacked; i++)
        xmpp_stanza_release(svc->acked[i]);
    svc->nacked = 0;
}

void service_free(service_t *svc)
{
    if (!svc) return;
    if (svc->rooms) {
        for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);)
            room_free(it.value);
        hash_free(svc->rooms);
    }
    iq_forward_free_all(svc);
    acked_clear(svc);
    free(svc->acked);
    jid_list_free(svc->creators);
    jid_list_free(svc->admins);
    free(svc->domain);
    free(svc->name);
    free(svc);
}

#define LIVE_REAP_SECONDS 10

void service_tick(service_t *svc)
{
    archive_tick(svc);
    time_t now = svc->now();
    if (svc->store && now - svc->live_reaped_at >= LIVE_REAP_SECONDS) {
        svc->live_reaped_at = now; /* rooms of crashed processes: unlisted */
        store_live_reap(svc->store);
    }
}

void service_set_batching(service_t *svc, bool on)
{
    if (svc->store) store_set_batching(svc->store, on);
    svc->batching = on && svc->store;
}

void service_note_archived(request_t *req)
{
    service_t *svc = req->svc;
    if (!svc->batching) return;
    req->archived = true;
    if (svc->nacked == svc->acked_cap) {
        size_t cap = svc->acked_cap ? 2 * svc->acked_cap : 64;
        xmpp_stanza_t **grown = realloc(svc->acked, cap * sizeof *grown);
        if (!grown) return; /* its output is still withheld; no error for it */
        svc->acked = grown;
        svc->acked_cap = cap;
    }
    svc->acked[svc->nacked++] = xmpp_stanza_clone(req->st);
}

int service_commit(service_t *svc)
{
    unsigned long long batch = svc->batch_no++;
    if (!svc->store || store_commit(svc->store) == STORE_OK) {
        acked_clear(svc);
        return 0;
    }
    LOG_E("storage", "archive: a batch of messages was lost: %s",
          store_last_error(svc->store));
    /* the histories took the lost messages: back to what the archives hold */
    for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);) {
        room_t *room = it.value;
        if (room->history_batch == batch + 1) persist_reload_history(room);
    }
    return -1;
}

void service_report_lost(service_t *svc, out_sink_t *out)
{
    /* detached first: the sink may flush, and so commit, while we send */
    xmpp_stanza_t **lost = svc->acked;
    size_t n = svc->nacked;
    svc->acked = NULL;
    svc->nacked = svc->acked_cap = 0;
    for (size_t i = 0; i < n; i++) {
        out_send(out,
                 muc_err_reply(svc->ctx, lost[i], ERR_RESOURCE_CONSTRAINT,
                               "not stored, so not delivered: please send it again"));
        xmpp_stanza_release(lost[i]);
    }
    free(lost);
}

time_t time_now(void)
{
    return time(NULL);
}

long long time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

room_t *service_room(service_t *svc, const char *name)
{
    room_t *room = hash_get(svc->rooms, name);
    return room ? room : persist_load(svc, name); /* lazily, from the store */
}

room_t *service_room_loaded(service_t *svc, const char *name)
{
    return hash_get(svc->rooms, name);
}

room_t *service_room_create(service_t *svc, const char *name)
{
    room_t *room = room_new(svc, name);
    if (room && hash_put(svc->rooms, name, room) != 0) {
        room_free(room);
        room = NULL;
    }
    return room;
}

void service_room_destroy(service_t *svc, room_t *room)
{
    if (svc->store && !room->cfg.persistent && store_live_del(svc->store, room->name))
        LOG_W("storage", "room %s: live listing: %s", room->jid,
              store_last_error(svc->store));
    hash_remove(svc->rooms, room->name);
    room_free(room);
}

bool service_may_create(const service_t *svc, const jid_t *from)
{
    if (!svc->creators) return true;
    for (size_t i = 0; svc->creators[i]; i++) {
        const char *c = svc->creators[i];
        const char *at = strchr(c, '@');
        if (!at && strcmp(c, from->domain) == 0) return true;
        if (at && from->local && strncmp(c, from->local, (size_t)(at - c)) == 0 &&
            from->local[at - c] == '\0' && strcmp(at + 1, from->domain) == 0)
            return true;
    }
    return false;
}

/* XEP-0199: a ping to the service is answered with an empty result. */
muc_err_t service_ping(request_t *req)
{
    out_send(req->out, request_iq_result(req));
    return MUC_OK;
}

/* XEP-0092: software name and version (no OS: it says too much). */
muc_err_t service_version(request_t *req)
{
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_VERSION);
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, q, "name", NULL), "mucd");
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, q, "version", NULL),
                    MUCD_VERSION);
    out_send(req->out, res);
    return MUC_OK;
}
