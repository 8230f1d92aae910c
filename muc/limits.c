/* limits.c - the service's abuse limits ([limits] in the config): how many
 * rooms exist and who created them, and how fast an occupant may talk.
 * Each check leaves a <text/> in req->err_text for the error it returns. */
#include "muc/limits.h"

#include <stdio.h>
#include <string.h>

#include "component/log.h"
#include "muc/service.h"
#include "storage/storage.h"

/* Rooms in memory that the store does not count (temporary ones): all of
 * them, and those `creator` created. */
static void count_temporary(const service_t *svc, const char *creator, size_t *all,
                            size_t *mine)
{
    *all = *mine = 0;
    for (hash_iter_t it = hash_iter(svc->rooms); hash_next(&it);) {
        const room_t *room = it.value;
        if (room->cfg.persistent && svc->store) continue; /* stored: counted there */
        (*all)++;
        if (room->creator && strcmp(room->creator, creator) == 0) (*mine)++;
    }
}

/* Stored rooms: all of them and those `creator` created (0 without a store). */
static void count_stored(service_t *svc, const char *creator, size_t *all, size_t *mine)
{
    *all = *mine = 0;
    if (!svc->store) return;
    if (store_room_count(svc->store, all) != STORE_OK ||
        store_rooms_by_creator(svc->store, creator, mine) != STORE_OK)
        LOG_E("storage", "counting rooms: %s", store_last_error(svc->store));
}

muc_err_t limits_may_create(request_t *req, const char *name, const char *creator)
{
    const service_limits_t *l = &req->svc->limits;
    size_t max_name = (size_t)l->max_room_name_length;
    if (max_name && strlen(name) > max_name) {
        snprintf(req->err_text, sizeof req->err_text,
                 "room name too long: at most %zu bytes", max_name);
        return ERR_NOT_ACCEPTABLE;
    }
    if (service_is_admin(req->svc, creator) ||
        (!l->max_rooms && !l->max_rooms_per_creator))
        return MUC_OK;
    size_t temp_all, temp_mine, stored_all, stored_mine;
    count_temporary(req->svc, creator, &temp_all, &temp_mine);
    count_stored(req->svc, creator, &stored_all, &stored_mine);
    if (l->max_rooms && temp_all + stored_all >= (size_t)l->max_rooms) {
        LOG_W("muc", "room limit reached (%d rooms): %s may not create %s", l->max_rooms,
              creator, name);
        snprintf(req->err_text, sizeof req->err_text,
                 "this service holds its maximum of %d rooms", l->max_rooms);
        return ERR_RESOURCE_CONSTRAINT;
    }
    if (l->max_rooms_per_creator &&
        temp_mine + stored_mine >= (size_t)l->max_rooms_per_creator) {
        snprintf(req->err_text, sizeof req->err_text,
                 "you have created the maximum of %d rooms", l->max_rooms_per_creator);
        return ERR_POLICY_VIOLATION;
    }
    return MUC_OK;
}

muc_err_t limits_may_send(request_t *req, occupant_t *occ)
{
    const service_limits_t *l = &req->svc->limits;
    if (!l->message_rate) return MUC_OK;
    double burst = l->message_burst > 0 ? l->message_burst : l->message_rate;
    long long now = req->svc->now_ms();
    double tokens = occ->msg_at_ms ? occ->msg_tokens : burst; /* a new bucket is full */
    if (occ->msg_at_ms)
        tokens += (double)(now - occ->msg_at_ms) * l->message_rate / 1000.0;
    if (tokens > burst) tokens = burst;
    occ->msg_at_ms = now ? now : 1;
    if (tokens < 1.0) {
        occ->msg_tokens = (float)tokens;
        snprintf(req->err_text, sizeof req->err_text,
                 "too many messages: at most %d per second (bursts of %.0f)",
                 l->message_rate, burst);
        return ERR_RESOURCE_CONSTRAINT;
    }
    occ->msg_tokens = (float)(tokens - 1.0);
    return MUC_OK;
}
