/* owner.c - muc#owner: the room configuration form (XEP-0045 §10.1-§10.2,
 * XEP-0004), instant rooms, cancelling a new room, and destroying a room
 * (§10.9). The fields come from the feature files (feature.c registry). */
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

#define NS_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"

static void *member(room_config_t *cfg, const form_field_t *f)
{
    return (char *)cfg + f->offset;
}

static int field_max(const room_t *room, const form_field_t *f)
{
    return f->max_fn ? f->max_fn(room) : f->max;
}

/* Renders one field with its current value (and options). */
static void render_field(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *form,
                         const form_field_t *f)
{
    xmpp_stanza_t *field = form_add_field(ctx, form, f->var, f->type, f->label);
    room_config_t *cfg = (room_config_t *)&room->cfg;
    char num[16];
    switch (f->kind) {
    case FIELD_BOOL:
        form_add_value(ctx, field, *(bool *)member(cfg, f) ? "1" : "0");
        break;
    case FIELD_TEXT: {
        const char *text = *(char **)member(cfg, f);
        char *copy = text ? strdup(text) : NULL, *save = NULL;
        if (strcmp(f->type, "jid-multi") == 0 && copy) {
            for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
                form_add_value(ctx, field, t);
        } else {
            form_add_value(ctx, field, text);
        }
        free(copy);
        break;
    }
    case FIELD_INT:
        snprintf(num, sizeof num, "%d", *(int *)member(cfg, f));
        form_add_value(ctx, field, num);
        break;
    case FIELD_CHOICE:
        for (int i = 0; f->choices[i]; i++) {
            xmpp_stanza_t *o = stanza_add_child(ctx, field, "option", NULL);
            xmpp_stanza_set_attribute(o, "label", f->choice_labels[i]);
            form_add_value(ctx, o, f->choices[i]);
        }
        form_add_value(ctx, field, f->choices[*(int *)member(cfg, f)]);
        break;
    case FIELD_CUSTOM:
        f->render(room, ctx, field);
        break;
    }
}

/* The addressed room, if the sender owns it. */
static muc_err_t owned_room(request_t *req, room_t **room)
{
    char bare[JID_MAX_LEN];
    *room = service_room(req->svc, req->to.local);
    if (!*room) return ERR_ITEM_NOT_FOUND;
    if (room_affiliation(*room, muc_bare_jid(&req->from, bare)) != AFF_OWNER)
        return ERR_FORBIDDEN;
    return MUC_OK;
}

muc_err_t owner_get(request_t *req)
{
    room_t *room;
    muc_err_t err = owned_room(req, &room);
    if (err) return err;
    if (stanza_element_count(req->payload) != 0) return ERR_BAD_REQUEST;
    xmpp_stanza_t *res = request_iq_result(req);
    if (!res) return ERR_INTERNAL_SERVER_ERROR;
    xmpp_stanza_t *q = stanza_add_child(req->ctx, res, "query", NS_MUC_OWNER);
    xmpp_stanza_t *x = stanza_add_child(req->ctx, q, "x", NS_DATA);
    xmpp_stanza_set_type(x, "form");
    char title[JID_MAX_LEN + 32];
    snprintf(title, sizeof title, "Configuration for %s", room->jid);
    stanza_add_text(req->ctx, stanza_add_child(req->ctx, x, "title", NULL), title);
    form_add_value(req->ctx, form_add_field(req->ctx, x, "FORM_TYPE", "hidden", NULL),
                   NS_ROOMCONFIG);
    for (const room_feature_t *const *ft = room_features; *ft; ft++)
        for (size_t i = 0; i < (*ft)->nfields; i++)
            render_field(room, req->ctx, x, &(*ft)->fields[i]);
    out_send(req->out, res);
    return MUC_OK;
}

/* Joins every <value/> of a multi field with spaces (+1, free()). */
static char *join_values(xmpp_stanza_t *field)
{
    size_t len = 1;
    char *out = calloc(1, 1);
    for (xmpp_stanza_t *v = xmpp_stanza_get_children(field); v && out;
         v = xmpp_stanza_get_next(v)) {
        if (!xmpp_stanza_is_tag(v) || strcmp(xmpp_stanza_get_name(v), "value") != 0)
            continue;
        char *t = xmpp_stanza_get_text(v);
        if (!t) continue;
        size_t add = strlen(t) + 1;
        char *grown = realloc(out, len + add);
        if (grown) {
            if (len > 1) strcat(grown, " ");
            strcat(grown, t);
            len += add;
        } else {
            free(out);
        }
        out = grown;
        xmpp_free(xmpp_stanza_get_context(v), t);
    }
    return out;
}

static muc_err_t parse_text(const form_field_t *f, config_draft_t *d,
                            xmpp_stanza_t *field, const char **why)
{
    bool multi = strcmp(f->type, "jid-multi") == 0;
    char *text = multi ? join_values(field) : form_field_text(field);
    if (multi && text) {
        char *copy = strdup(text), *save = NULL;
        for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t;
             t = strtok_r(NULL, " ", &save)) {
            jid_t j;
            if (jid_parse(t, &j) != 0) {
                *why = f->var;
                free(copy);
                free(text);
                return ERR_JID_MALFORMED;
            }
        }
        free(copy);
    }
    char **slot = member(&d->cfg, f);
    free(*slot);
    *slot = (text && *text) ? text : NULL;
    if (!*slot) free(text);
    return MUC_OK;
}

/* Parses one submitted field into the draft (generic kinds). */
static muc_err_t parse_field(const room_t *room, const form_field_t *f, config_draft_t *d,
                             xmpp_stanza_t *field, const char **why)
{
    if (f->kind == FIELD_CUSTOM) return f->parse(room, d, field, why);
    if (f->kind == FIELD_TEXT) return parse_text(f, d, field, why);
    char *text = form_field_text(field);
    muc_err_t err = MUC_OK;
    *why = f->var;
    if (f->kind == FIELD_BOOL) {
        if (form_parse_bool(text, (bool *)member(&d->cfg, f)) != 0) err = ERR_BAD_REQUEST;
    } else if (f->kind == FIELD_INT) {
        char *end = NULL;
        long v = text ? strtol(text, &end, 10) : 0;
        if (!text || end == text || *end)
            err = ERR_BAD_REQUEST;
        else if (v < f->min || v > field_max(room, f))
            err = ERR_NOT_ACCEPTABLE;
        else
            *(int *)member(&d->cfg, f) = (int)v;
    } else {
        err = ERR_BAD_REQUEST;
        for (int i = 0; text && f->choices[i]; i++) {
            if (strcmp(text, f->choices[i]) == 0) {
                *(int *)member(&d->cfg, f) = i;
                err = MUC_OK;
            }
        }
    }
    form_free_text(text);
    return err;
}

static const form_field_t *find_field(const char *var)
{
    for (const room_feature_t *const *ft = room_features; *ft; ft++)
        for (size_t i = 0; i < (*ft)->nfields; i++)
            if (strcmp((*ft)->fields[i].var, var) == 0) return &(*ft)->fields[i];
    return NULL;
}

/* Parses the whole submitted form into a draft; unknown fields are ignored
 * (XEP-0004), invalid ones refuse the form with a text naming the field. */
static muc_err_t parse_form(const room_t *room, xmpp_stanza_t *x, config_draft_t *d,
                            const char **why)
{
    char *type = form_type(x);
    bool wrong = type && strcmp(type, NS_ROOMCONFIG) != 0;
    form_free_text(type);
    if (wrong) {
        *why = "FORM_TYPE must be " NS_ROOMCONFIG;
        return ERR_BAD_REQUEST;
    }
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "field") != 0)
            continue;
        const char *var = xmpp_stanza_get_attribute(c, "var");
        const form_field_t *f = var ? find_field(var) : NULL;
        if (!f) continue;
        muc_err_t err = parse_field(room, f, d, c, why);
        if (err) return err;
    }
    return MUC_OK;
}

static bool in_list(char **list, const char *jid)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], jid) == 0) return true;
    return false;
}

/* The affiliation a JID ends with once the submitted full lists of owners
 * and admins (NULL: not submitted) replace the current ones. */
static affiliation_t final_affiliation(char **owners, char **admins, const char *jid,
                                       affiliation_t now)
{
    if (in_list(owners, jid)) return AFF_OWNER;
    if (in_list(admins, jid)) return AFF_ADMIN;
    if ((now == AFF_OWNER && owners) || (now == AFF_ADMIN && admins)) return AFF_NONE;
    return now;
}

static int add_change(store_aff_t **out, size_t *n, size_t *cap, const char *jid,
                      affiliation_t aff)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*out)[i].jid, jid) == 0) return 0; /* already decided */
    if (*n == *cap) {
        store_aff_t *grown = realloc(*out, (*cap = *cap * 2 + 16) * sizeof **out);
        if (!grown) return -1;
        *out = grown;
    }
    char *copy = strdup(jid);
    if (!copy) return -1;
    (*out)[(*n)++] = (store_aff_t){copy, aff, NULL, NULL};
    return 0;
}

/* One change per JID whose affiliation the submitted owner/admin lists
 * change, computed against the current affiliations as a whole (so an
 * admin moved to the owner list becomes owner directly). */
static int list_changes(room_t *room, char **owners, char **admins, store_aff_t **out,
                        size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!owners && !admins) return 0;
    for (hash_iter_t it = hash_iter(room->affiliations); hash_next(&it);) {
        affiliation_t now = room_affiliation(room, it.key);
        affiliation_t fin = final_affiliation(owners, admins, it.key, now);
        if (fin != now && add_change(out, n, &cap, it.key, fin) != 0) return -1;
    }
    char **lists[] = {owners, admins};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && lists[l][i]; i++) {
            const char *jid = lists[l][i];
            affiliation_t now = room_affiliation(room, jid);
            affiliation_t fin = final_affiliation(owners, admins, jid, now);
            if (fin != now && add_change(out, n, &cap, jid, fin) != 0) return -1;
        }
    return 0;
}

static void changes_free(store_aff_t *changes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(changes[i].jid);
    free(changes);
}

/* Tells the occupants the configuration changed (104 and others). */
static void announce(room_t *room, const int *codes, out_sink_t *out)
{
    xmpp_ctx_t *ctx = room->svc->ctx;
    xmpp_stanza_t *m = xmpp_message_new(ctx, "groupchat", NULL, NULL);
    if (!m) return;
    xmpp_stanza_set_from(m, room->jid);
    xmpp_stanza_t *x = stanza_add_child(ctx, m, "x", NS_MUC_USER);
    for (int i = 0; codes[i]; i++) {
        char buf[8];
        snprintf(buf, sizeof buf, "%d", codes[i]);
        xmpp_stanza_set_attribute(stanza_add_child(ctx, x, "status", NULL), "code", buf);
    }
    muc_broadcast(room, m, out);
    xmpp_stanza_release(m);
}

static void draft_free(config_draft_t *d)
{
    room_config_clear(&d->cfg);
    jid_list_free(d->owners);
    jid_list_free(d->admins);
}

/* Parses the form, stores the result, then applies it: nothing changes
 * unless every field is valid and the store took it. */
static muc_err_t submit(request_t *req, room_t *room, xmpp_stanza_t *x)
{
    config_draft_t d = {0};
    const char *why = NULL;
    store_aff_t *changes = NULL;
    size_t n = 0;
    if (room_config_copy(&d.cfg, &room->cfg) != 0) return ERR_RESOURCE_CONSTRAINT;
    muc_err_t err = parse_form(room, x, &d, &why);
    for (const room_feature_t *const *ft = room_features; *ft && !err; ft++)
        if ((*ft)->validate) err = (*ft)->validate(room, &d, &why);
    if (!err && list_changes(room, d.owners, d.admins, &changes, &n) != 0)
        err = ERR_RESOURCE_CONSTRAINT;
    if (!err) {
        persist_state_t ps = {.cfg = &d.cfg, .changes = changes, .nchanges = n};
        err = persist_room(room, &ps);
    }
    if (err) {
        changes_free(changes, n);
        draft_free(&d);
        out_send(req->out, muc_err_reply(req->ctx, req->st, err, why));
        return MUC_OK;
    }
    room_config_t old = room->cfg;
    room->cfg = d.cfg;
    d.cfg = (room_config_t){0};
    for (size_t i = 0; i < n; i++)
        muc_apply_affiliation(room, changes[i].jid, (affiliation_t)changes[i].affiliation,
                              NULL, NULL, req->out);
    changes_free(changes, n);
    draft_free(&d);
    int codes[8] = {STATUS_CONFIG_CHANGED, 0};
    for (const room_feature_t *const *ft = room_features; *ft; ft++)
        if ((*ft)->changed) (*ft)->changed(room, &old, codes, req->out);
    room_config_clear(&old);
    bool was_locked = room->locked;
    room->locked = false;
    persist_list_live(room); /* shown (or not) in every process's disco#items */
    out_send(req->out, request_iq_result(req));
    if (!was_locked) announce(room, codes, req->out);
    muc_room_drop_if_empty(room);
    return MUC_OK;
}

/* Removes every occupant with an unavailable presence carrying `extra`
 * (a <destroy/>, or NULL), then the room itself. */
static void destroy_room(request_t *req, room_t *room, xmpp_stanza_t *extra)
{
    muc_change_t c = {.extra = extra, .forget_aff = true};
    while (room->first)
        muc_presence_remove_quiet(room, room->first, &c, req->out);
    LOG_I("muc", "room %s destroyed", room->jid);
    service_room_destroy(req->svc, room);
}

/* §10.9: <destroy jid=alternate><reason/></destroy>. */
static muc_err_t destroy(request_t *req, room_t *room, xmpp_stanza_t *d)
{
    xmpp_stanza_t *notice = xmpp_stanza_new(req->ctx);
    if (!notice) return ERR_RESOURCE_CONSTRAINT;
    xmpp_stanza_set_name(notice, "destroy");
    const char *alt = xmpp_stanza_get_attribute(d, "jid");
    jid_t j;
    if (alt && jid_parse(alt, &j) != 0) {
        xmpp_stanza_release(notice);
        return ERR_JID_MALFORMED;
    }
    if (alt) xmpp_stanza_set_attribute(notice, "jid", alt);
    muc_err_t err = persist_delete(room);
    if (err) {
        xmpp_stanza_release(notice);
        return err;
    }
    /* a fresh <reason/>: the request's one is in the muc#owner namespace */
    xmpp_stanza_t *reason = xmpp_stanza_get_child_by_name(d, "reason");
    char *text = reason ? xmpp_stanza_get_text(reason) : NULL;
    if (reason) {
        xmpp_stanza_t *r = stanza_add_child(req->ctx, notice, "reason", NULL);
        if (text) stanza_add_text(req->ctx, r, text);
    }
    if (text) xmpp_free(req->ctx, text);
    destroy_room(req, room, notice);
    xmpp_stanza_release(notice);
    out_send(req->out, request_iq_result(req));
    return MUC_OK;
}

muc_err_t owner_set(request_t *req)
{
    room_t *room;
    muc_err_t err = owned_room(req, &room);
    if (err) return err;
    xmpp_stanza_t *d = xmpp_stanza_get_child_by_name(req->payload, "destroy");
    if (d) return destroy(req, room, d);
    xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(req->payload, "x", NS_DATA);
    const char *type = x ? xmpp_stanza_get_type(x) : NULL;
    if (!type) return ERR_BAD_REQUEST;
    if (strcmp(type, "submit") == 0) return submit(req, room, x);
    if (strcmp(type, "cancel") != 0) return ERR_BAD_REQUEST;
    out_send(req->out, request_iq_result(req));
    if (room->locked) destroy_room(req, room, NULL); /* §10.1.3: cancelling creation */
    return MUC_OK;
}
