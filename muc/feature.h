/* feature.h - room features as data. Each feature file (muc/feat_*.c)
 * exports one room_feature_t: its owner-form fields, its disco#info
 * features, its veto on entering and its reaction to a configuration
 * change. The registry (feature.c) lists them in check order, so adding a
 * feature is one file plus one line there. */
#ifndef MUCD_FEATURE_H
#define MUCD_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "muc/errors.h"
#include "muc/form.h"
#include "muc/out.h"
#include "muc/room.h"

/* The kinds of form field the generic code renders and parses. */
typedef enum {
    FIELD_BOOL,   /* bool member */
    FIELD_TEXT,   /* char * member; text-single / text-private */
    FIELD_INT,    /* int member within [min, max] (max 0: the service cap) */
    FIELD_CHOICE, /* int/enum member, one of `choices` */
    FIELD_CUSTOM, /* render/parse functions */
} field_kind_t;

/* A draft of a configuration while a submitted form is checked: applied
 * only when every field parsed. */
typedef struct config_draft {
    room_config_t cfg;
    char **owners; /* NULL-terminated new owner list, or NULL: unchanged */
    char **admins;
} config_draft_t;

typedef struct form_field {
    const char *var;   /* e.g. "muc#roomconfig_roomname" */
    const char *type;  /* XEP-0004 field type */
    const char *label; /* human-readable */
    field_kind_t kind;
    size_t offset; /* into room_config_t */
    int min, max;
    int (*max_fn)(const room_t *room); /* FIELD_INT: a cap from the service */
    const char *const *choices;        /* FIELD_CHOICE: NULL-terminated values */
    const char *const *choice_labels;
    void (*render)(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *field);
    /* parses a submitted field into the draft; on error sets *why (a text
     * naming the field) */
    muc_err_t (*parse)(const room_t *room, config_draft_t *d, xmpp_stanza_t *field,
                       const char **why);
} form_field_t;

#define CFG_OFF(member) offsetof(room_config_t, member)
#define FIELD_BOOL_DEF(v, l, member)                                                     \
    {                                                                                    \
        .var = v, .type = "boolean", .label = l, .kind = FIELD_BOOL,                     \
        .offset = CFG_OFF(member)                                                        \
    }
#define FIELD_TEXT_DEF(v, t, l, member)                                                  \
    {                                                                                    \
        .var = v, .type = t, .label = l, .kind = FIELD_TEXT, .offset = CFG_OFF(member)   \
    }
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* What a join presents to the checks. */
typedef struct join_info {
    const char *bare_jid;
    affiliation_t affiliation;
    const char *password; /* from <x xmlns=muc><password/>, or NULL */
    bool new_occupant;    /* false: another session of someone present */
} join_info_t;

typedef struct room_feature {
    const char *name;
    const form_field_t *fields;
    size_t nfields;
    /* adds this feature's disco#info <feature/>s */
    void (*disco)(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query);
    /* adds this feature's fields to the disco#info muc#roominfo form */
    void (*roominfo)(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *form);
    /* checks a whole parsed draft (fields that only make sense together) */
    muc_err_t (*validate)(const room_t *room, const config_draft_t *d, const char **why);
    /* vetoes entering: returns an error (with *text) or MUC_OK */
    muc_err_t (*check_join)(const room_t *room, const join_info_t *j, const char **text);
    /* after a configuration change: adds status codes to announce (to
     * codes, a 0-terminated array with room for 8) and acts on occupants */
    void (*changed)(room_t *room, const room_config_t *old, int *codes, out_sink_t *out);
} room_feature_t;

/* The registry, in the order joins are checked. */
extern const room_feature_t *const room_features[];

/* Adds a <feature var=.../> to a disco#info query. */
void feature_add(xmpp_ctx_t *ctx, xmpp_stanza_t *query, const char *var);

/* Runs every feature's join check; the first veto wins. */
muc_err_t feature_check_join(const room_t *room, const join_info_t *j, const char **text);

/* Adds every feature's disco#info features. */
void feature_disco(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *query);

/* Adds every feature's muc#roominfo fields to the form x. */
void feature_roominfo(const room_t *room, xmpp_ctx_t *ctx, xmpp_stanza_t *x);

/* Appends status code c to a 0-terminated list of at most 8. */
void feature_add_code(int *codes, int c);

#endif
