/* persist.h - persistent rooms: the glue between rooms and storage/.
 * A persistent room is written in one short transaction whenever its
 * configuration, affiliations or subject change, BEFORE the change is
 * applied and acknowledged; rooms are loaded lazily when a stanza names
 * them and unloaded again when they are empty. */
#ifndef MUCD_PERSIST_H
#define MUCD_PERSIST_H

#include <stdbool.h>

#include "muc/errors.h"
#include "muc/room.h"
#include "storage/storage.h"

/* The state a change would leave the room in. */
typedef struct persist_state {
    const room_config_t *cfg; /* NULL: the room's current configuration */
    const char *subject;      /* used when set_subject */
    const char *subject_nick;
    bool set_subject;
    const store_aff_t *changes; /* affiliation changes (0 = none) */
    size_t nchanges;
} persist_state_t;

/* Writes the room as `s` describes (all its affiliations too when it is
 * becoming persistent); deletes it from the store when it stops being
 * persistent; does nothing for temporary rooms or without a store.
 * Returns MUC_OK, ERR_RESOURCE_CONSTRAINT (store full) or
 * ERR_INTERNAL_SERVER_ERROR; on error nothing was written. */
muc_err_t persist_room(room_t *room, const persist_state_t *s);

/* Stores the room's vCard `xml` (NULL: removes it) with the hash of its
 * photo ("" without one) when the room is persistent; nothing otherwise.
 * Returns as persist_room; on error nothing was written. */
muc_err_t persist_avatar(room_t *room, const char *xml, const char *hash);

/* Deletes the room from the store (if it is there). */
muc_err_t persist_delete(room_t *room);

/* Loads a stored room into the service (NULL: not stored or unreadable). */
room_t *persist_load(service_t *svc, const char *name);

/* Drops an empty persistent room from memory, saving its history first. */
void persist_unload(room_t *room);

/* Puts a temporary room in the store's live listing when it is public and
 * unlocked, takes it out otherwise (persistent rooms are in the public
 * index). Call after the room's configuration or lock changed. */
void persist_list_live(room_t *room);

/* Saves the history of every loaded persistent room (at shutdown). */
void persist_save_all_history(service_t *svc);
/* An archiving room's history again from its archive (a lost batch of
 * appends: service_commit); nothing for other rooms. */
void persist_reload_history(room_t *room);
/* An archiving room's history is read from its archive when it is first
 * needed (someone enters, a message is added or retracted), not when the
 * room is loaded: a room loaded for a disco or MAM query by someone outside
 * reads none of it. */
void persist_history_ensure(room_t *room);

#endif
