/* feat_password.c - password-protected rooms (§7.2.6): entering needs the
 * secret; owners are not asked. The secret is only ever shown in the
 * owner's configuration form. */
#include <string.h>

#include "muc/feature.h"

static const form_field_t fields[] = {
    FIELD_BOOL_DEF("muc#roomconfig_passwordprotectedroom", "Password-protect the room",
                   password_protected),
    FIELD_TEXT_DEF("muc#roomconfig_roomsecret", "text-private", "Password", password),
};

static void disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *q)
{
    feature_add(ctx, q, room_password(room) ? "muc_passwordprotected" : "muc_unsecured");
}

static muc_err_t check_join(const room_t *room, const join_info_t *j, const char **text)
{
    const char *secret = room_password(room);
    if (!secret || j->affiliation >= AFF_OWNER) return MUC_OK;
    if (j->password && strcmp(j->password, secret) == 0) return MUC_OK;
    *text = j->password ? "Wrong password" : "This room needs a password";
    return ERR_NOT_AUTHORIZED;
}

static muc_err_t validate(const room_t *room, const config_draft_t *d, const char **why)
{
    (void)room;
    if (!d->cfg.password_protected || (d->cfg.password && *d->cfg.password))
        return MUC_OK;
    *why = "muc#roomconfig_roomsecret: a password-protected room needs a password";
    return ERR_NOT_ACCEPTABLE;
}

const room_feature_t feat_password = {.name = "password",
                                      .validate = validate,
                                      .fields = fields,
                                      .nfields = NFIELDS(fields),
                                      .disco = disco,
                                      .check_join = check_join};
