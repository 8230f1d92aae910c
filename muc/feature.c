/* feature.c - the registry of room features and what runs them all. */
#include "muc/feature.h"

#include "muc/stanza.h"

extern const room_feature_t feat_name, feat_persistent, feat_public, feat_members_only,
    feat_password, feat_moderated, feat_anonymity, feat_max_users, feat_history,
    feat_subject, feat_invites, feat_pm, feat_contact, feat_affiliation_lists,
    feat_avatar, feat_archive, feat_moderation;

/* Join checks run in this order (as Prosody: membership, then password,
 * then capacity); the form lists fields in this order too. */
const room_feature_t *const room_features[] = {
    &feat_name,         &feat_persistent,        &feat_public,
    &feat_members_only, &feat_password,          &feat_moderated,
    &feat_anonymity,    &feat_max_users,         &feat_history,
    &feat_subject,      &feat_invites,           &feat_pm,
    &feat_contact,      &feat_affiliation_lists, &feat_avatar,
    &feat_archive,      &feat_moderation,        NULL,
};

void feature_add(xmpp_ctx_t *ctx, xmpp_stanza_t *query, const char *var)
{
    xmpp_stanza_set_attribute(stanza_add_child(ctx, query, "feature", NULL), "var", var);
}

muc_err_t feature_check_join(const room_t *room, const join_info_t *j, const char **text)
{
    for (const room_feature_t *const *f = room_features; *f; f++) {
        if (!(*f)->check_join) continue;
        muc_err_t err = (*f)->check_join(room, j, text);
        if (err != MUC_OK) return err;
    }
    return MUC_OK;
}

void feature_disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query)
{
    for (const room_feature_t *const *f = room_features; *f; f++)
        if ((*f)->disco) (*f)->disco(room, ctx, query);
}

void feature_roominfo(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *x)
{
    for (const room_feature_t *const *f = room_features; *f; f++)
        if ((*f)->roominfo) (*f)->roominfo(room, ctx, x);
}

void feature_add_code(int *codes, int c)
{
    int i = 0;
    while (codes[i] && codes[i] != c && i < 7)
        i++;
    if (i < 7 && !codes[i]) codes[i] = c;
}
