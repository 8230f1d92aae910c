/* config.c - the INI configuration: one table of keys, parsed with libinih. */
#include "component/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* K_LIST: free text of names; empty and absent both mean "no list". */
typedef enum { K_STRING, K_INT, K_LEVEL, K_DOMAIN, K_LIST, K_BOOL } key_kind_t;

typedef struct key_spec {
    const char *section;
    const char *name;
    key_kind_t kind;
    size_t offset;
    bool required;
    const char *fallback; /* default value as text, or NULL */
    long min, max;        /* K_INT bounds */
} key_spec_t;

#define OFF(f) offsetof(config_t, f)

/* Every key mucd knows; muc.conf.example documents each of them. */
static const key_spec_t keys[] = {
    {"component", "server", K_STRING, OFF(server), true, NULL, 0, 0},
    {"component", "port", K_INT, OFF(port), false, "5347", 1, 65535},
    {"component", "domain", K_DOMAIN, OFF(domain), true, NULL, 0, 0},
    {"component", "secret", K_STRING, OFF(secret), true, NULL, 0, 0},
    {"component", "reconnect_max", K_INT, OFF(reconnect_max), false, "30", 1, 3600},
    {"storage", "path", K_STRING, OFF(storage_path), true, NULL, 0, 0},
    {"storage", "map_size_mb", K_INT, OFF(map_size_mb), false, "1024", 1, 1048576},
    {"muc", "name", K_STRING, OFF(service_name), false, "Chatrooms", 0, 0},
    {"muc", "history_length", K_INT, OFF(history_length), false, "20", 0, 1000},
    {"muc", "max_nick_length", K_INT, OFF(max_nick_length), false, "64", 1, 1023},
    {"muc", "creators", K_LIST, OFF(creators), false, NULL, 0, 0},
    {"muc", "admins", K_LIST, OFF(admins), false, NULL, 0, 0},
    {"muc", "max_occupants", K_INT, OFF(max_occupants), false, "1000", 1, 1000000},
    {"muc", "max_history_length", K_INT, OFF(max_history_length), false, "100", 0, 1000},
    {"muc", "max_disco_items", K_INT, OFF(max_disco_items), false, "100", 1, 10000},
    {"muc", "max_avatar_bytes", K_INT, OFF(max_avatar_bytes), false, "65536", 0, 8388608},
    {"muc", "archive_default", K_BOOL, OFF(archive_default), false, "on", 0, 0},
    {"muc", "archive_max_messages", K_INT, OFF(archive_max_messages), false, "0", 0,
     2000000000},
    {"muc", "archive_max_days", K_INT, OFF(archive_max_days), false, "0", 0, 36500},
    {"limits", "max_stanza_size", K_INT, OFF(max_stanza_size), false, "65536", 1024,
     16777216},
    {"limits", "max_room_name_length", K_INT, OFF(max_room_name_length), false, "128", 1,
     400},
    {"limits", "max_rooms", K_INT, OFF(max_rooms), false, "1000000", 0, 100000000},
    {"limits", "max_rooms_per_creator", K_INT, OFF(max_rooms_per_creator), false, "100",
     0, 100000000},
    {"limits", "message_rate", K_INT, OFF(message_rate), false, "10", 0, 1000000},
    {"limits", "message_burst", K_INT, OFF(message_burst), false, "30", 1, 1000000},
    {"log", "level", K_LEVEL, OFF(log_level), false, "info", 0, 0},
};
#define NKEYS (sizeof keys / sizeof keys[0])

typedef struct parse_state {
    config_t *cfg;
    bool seen[NKEYS];
    char reason[256]; /* first error: "[section] key: why" */
} parse_state_t;

static const key_spec_t *key_find(const char *section, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static bool domain_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.') return false;
    for (const char *p = s; *p; p++)
        if (!(*p == '.' || *p == '-' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

/* Stores value into the field k describes; returns NULL or why it is invalid. */
static const char *key_apply(config_t *cfg, const key_spec_t *k, const char *value)
{
    void *field = (char *)cfg + k->offset;
    switch (k->kind) {
    case K_DOMAIN:
        if (!domain_valid(value)) return "not a valid domain name";
        /* fall through */
    case K_STRING:
    case K_LIST: {
        if (value[0] == '\0' && k->kind != K_LIST) return "must not be empty";
        char *copy = strdup(value);
        if (!copy) return "out of memory";
        free(*(char **)field);
        *(char **)field = copy;
        return NULL;
    }
    case K_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0') return "not an integer";
        if (v < k->min || v > k->max) return "out of range";
        *(int *)field = (int)v;
        return NULL;
    }
    case K_BOOL:
        if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0) {
            *(bool *)field = true;
        } else if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0) {
            *(bool *)field = false;
        } else {
            return "must be on or off";
        }
        return NULL;
    case K_LEVEL:
        if (log_level_parse(value, (log_level_t *)field) != 0)
            return "must be one of error, warn, info, debug, trace";
        return NULL;
    }
    return "unknown key type";
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    parse_state_t *st = user;
    const key_spec_t *k = key_find(section, name);
    const char *why = k ? key_apply(st->cfg, k, value) : "unknown key";
    if (why) {
        if (st->reason[0] == '\0')
            snprintf(st->reason, sizeof st->reason, "[%s] %s: %s", section, name, why);
        return 0; /* libinih reports this line as the error line */
    }
    st->seen[k - keys] = true;
    return 1;
}

static int apply_defaults(parse_state_t *st, const char *path, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (st->seen[i]) continue;
        if (keys[i].required) {
            snprintf(err, errlen, "%s: [%s] %s: missing required key", path,
                     keys[i].section, keys[i].name);
            return -1;
        }
        if (!keys[i].fallback) continue;
        const char *why = key_apply(st->cfg, &keys[i], keys[i].fallback);
        if (why) {
            snprintf(err, errlen, "%s: [%s] %s: bad default: %s", path, keys[i].section,
                     keys[i].name, why);
            return -1;
        }
    }
    return 0;
}

int config_load(const char *path, config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    parse_state_t st = {.cfg = cfg};
    int rc = ini_parse(path, on_key, &st);
    if (rc == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    } else if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory while parsing", path);
    } else if (rc > 0) {
        if (st.reason[0])
            snprintf(err, errlen, "%s:%d: %s", path, rc, st.reason);
        else
            snprintf(err, errlen,
                     "%s:%d: syntax error (expected [section] or key = value)", path, rc);
    } else if (apply_defaults(&st, path, err, errlen) == 0) {
        return 0;
    }
    config_free(cfg);
    return -1;
}

void config_free(config_t *cfg)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].kind != K_STRING && keys[i].kind != K_DOMAIN &&
            keys[i].kind != K_LIST)
            continue;
        char **field = (char **)((char *)cfg + keys[i].offset);
        free(*field);
        *field = NULL;
    }
}

service_opts_t config_service_opts(const config_t *cfg, store_t *store)
{
    return (service_opts_t){
        .domain = cfg->domain,
        .name = cfg->service_name,
        .store = store,
        .history_length = cfg->history_length,
        .max_nick_length = cfg->max_nick_length,
        .creators = cfg->creators,
        .admins = cfg->admins,
        .max_occupants = cfg->max_occupants,
        .max_history_length = cfg->max_history_length,
        .max_disco_items = cfg->max_disco_items,
        .max_avatar_bytes = cfg->max_avatar_bytes ? cfg->max_avatar_bytes : -1,
        .archive_off = !cfg->archive_default,
        .archive_max_messages = cfg->archive_max_messages,
        .archive_max_days = cfg->archive_max_days,
        .limits = {.max_stanza_size = cfg->max_stanza_size,
                   .max_room_name_length = cfg->max_room_name_length,
                   .max_rooms = cfg->max_rooms,
                   .max_rooms_per_creator = cfg->max_rooms_per_creator,
                   .message_rate = cfg->message_rate,
                   .message_burst = cfg->message_burst}};
}
