/* feat_max_users.c - the most occupants a room holds (up to the service's
 * cap); owners and admins may always enter. */
#include "muc/feature.h"
#include "muc/muc.h"
#include "muc/service.h"

static int service_cap(const room_t *room)
{
    return room->svc->max_occupants;
}

static const form_field_t fields[] = {
    {.var = "muc#roomconfig_maxusers",
     .type = "text-single",
     .label = "Maximum number of occupants (0: the service's limit)",
     .kind = FIELD_INT,
     .offset = CFG_OFF(max_users),
     .min = 0,
     .max_fn = service_cap},
};

int muc_room_capacity(const room_t *room)
{
    int cap = room->svc->max_occupants;
    return (room->cfg.max_users > 0 && room->cfg.max_users < cap) ? room->cfg.max_users
                                                                  : cap;
}

static muc_err_t check_join(const room_t *room, const join_info_t *j, const char **text)
{
    if (!j->new_occupant || j->affiliation >= AFF_ADMIN) return MUC_OK;
    if ((int)room_occupant_count(room) < muc_room_capacity(room)) return MUC_OK;
    *text = "This room is full";
    return ERR_SERVICE_UNAVAILABLE;
}

const room_feature_t feat_max_users = {.name = "max-users",
                                       .fields = fields,
                                       .nfields = NFIELDS(fields),
                                       .check_join = check_join};
