/* feat_pm.c - who may send private messages to occupants. */
#include "muc/feature.h"
#include "muc/muc.h"

static const char *const choices[] = {"anyone", "participants", "moderators", "none",
                                      NULL};
static const char *const labels[] = {"Anyone", "Participants and moderators",
                                     "Moderators only", "Nobody", NULL};

static const form_field_t fields[] = {
    {.var = "muc#roomconfig_allowpm",
     .type = "list-single",
     .label = "Who may send private messages",
     .kind = FIELD_CHOICE,
     .offset = CFG_OFF(allow_pm),
     .choices = choices,
     .choice_labels = labels},
};

bool muc_may_send_pm(const room_t *room, const occupant_t *from)
{
    switch (room->cfg.allow_pm) {
    case PM_ANYONE:
        return true;
    case PM_PARTICIPANTS:
        return from->role >= ROLE_PARTICIPANT;
    case PM_MODERATORS:
        return from->role >= ROLE_MODERATOR;
    default:
        return false;
    }
}

const room_feature_t feat_pm = {
    .name = "pm", .fields = fields, .nfields = NFIELDS(fields)};
