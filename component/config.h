/* config.h - mucd's INI configuration (parsed with libinih). */
#ifndef MUCD_CONFIG_H
#define MUCD_CONFIG_H

#include <stddef.h>

#include "component/log.h"
#include "muc/service.h"

typedef struct config {
    /* [component] */
    char *server;      /* XMPP server host to connect to */
    int port;          /* its XEP-0114 component port */
    char *domain;      /* the component's domain, e.g. chat.example.org */
    char *secret;      /* shared secret */
    int reconnect_max; /* cap of the reconnect backoff, seconds */
    /* [storage] */
    char *storage_path; /* LMDB environment directory */
    int map_size_mb;    /* LMDB map size */
    /* [muc] */
    char *service_name;     /* name in the service's disco#info identity */
    int history_length;     /* default discussion history per room (messages) */
    int max_nick_length;    /* longest nick accepted, in characters */
    char *creators;         /* who may create rooms; NULL: anyone */
    char *admins;           /* service admins: owners of every room */
    int max_occupants;      /* cap of occupants per room */
    int max_history_length; /* cap of a room's history_length */
    int max_disco_items;    /* most rooms in one disco#items reply */
    int max_avatar_bytes;   /* largest room vCard photo (decoded); 0: none */
    bool archive_default;     /* rooms archive unless configured not to */
    int archive_max_messages; /* per room; 0: no limit */
    int archive_max_days;     /* 0: no limit */
    /* [limits] (0 turns a limit off where the key allows it) */
    int max_stanza_size;       /* bytes of an incoming stanza, estimated */
    int max_room_name_length;  /* bytes of a new room's name (localpart) */
    int max_rooms;             /* rooms in all, stored and in memory */
    int max_rooms_per_creator; /* rooms one bare JID has created */
    int message_rate;          /* messages per second per occupant */
    int message_burst;         /* messages an occupant may send at once */
    /* [log] */
    log_level_t log_level;
} config_t;

/* Loads FILE into *cfg (which it initialises). On failure returns -1 and
 * writes "FILE:LINE: [section] key: reason" (or "FILE: ..." where no line
 * applies) into err. The caller owns cfg's strings: release with config_free. */
int config_load(const char *path, config_t *cfg, char *err, size_t errlen);

/* Frees the strings config_load allocated; safe on a zeroed struct. */
void config_free(config_t *cfg);

/* The service options a configuration gives (strings borrowed from cfg;
 * store borrowed, may be NULL). */
service_opts_t config_service_opts(const config_t *cfg, store_t *store);

#endif
