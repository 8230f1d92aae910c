/* feat_history.c - how many messages of discussion history the room keeps
 * (up to the service's max_history_length). */
#include "muc/feature.h"
#include "muc/service.h"

static int service_cap(const room_t *room)
{
    return room->svc->max_history_length;
}

static const form_field_t fields[] = {
    {.var = "muc#roomconfig_historylength",
     .type = "text-single",
     .label = "Number of history messages kept and sent on entering",
     .kind = FIELD_INT,
     .offset = CFG_OFF(history_length),
     .min = 0,
     .max_fn = service_cap},
};

static void changed(room_t *room, const room_config_t *old, int *codes, out_sink_t *out)
{
    (void)codes;
    (void)out;
    if (old->history_length != room->cfg.history_length)
        room_history_resize(room, room->cfg.history_length);
}

const room_feature_t feat_history = {
    .name = "history", .fields = fields, .nfields = NFIELDS(fields), .changed = changed};
