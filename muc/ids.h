/* ids.h - the ids a room hands out (XEP-0359 stanza ids, XEP-0421 occupant
 * ids) and the room secret behind occupant ids. */
#ifndef MUCD_IDS_H
#define MUCD_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define IDS_SECRET_LEN       16 /* bytes of a room's secret */
#define IDS_SECRET_HEX_LEN   (2 * IDS_SECRET_LEN)
#define IDS_OCCUPANT_ID_SIZE 28 /* base64url of an HMAC-SHA1 (27) + NUL */
#define IDS_STANZA_ID_SIZE   23 /* base64url of 16 random bytes (22) + NUL */

/* Fills buf with len random bytes (getrandom, buffered). */
void ids_random(unsigned char *buf, size_t len);

/* The occupant id of bare_jid in a room with this secret: an HMAC-SHA1 of
 * the bare JID keyed with the room's secret, base64url; stable for the room
 * (across nick changes, sessions and restarts), the same for nobody else,
 * and saying nothing of the JID. */
void ids_occupant_id(const unsigned char secret[IDS_SECRET_LEN], const char *bare_jid,
                     char out[IDS_OCCUPANT_ID_SIZE]);

/* A new unique stanza id: 48 bits of Unix time in ms, a 16-bit counter
 * and 64 random bits, in base64url letters taken in ASCII order, so the
 * ids of a process sort (strcmp) in the order they were made. In order,
 * the archive's id index (storage.h) grows at its end like the archive
 * itself: a batch of appends dirties a few pages, not one per message. */
void ids_stanza_id(char out[IDS_STANZA_ID_SIZE]);

/* Hex text of a secret and back; ids_secret_from_hex returns false when
 * hex is not IDS_SECRET_HEX_LEN hex digits. */
void ids_secret_to_hex(const unsigned char secret[IDS_SECRET_LEN],
                       char hex[IDS_SECRET_HEX_LEN + 1]);
bool ids_secret_from_hex(const char *hex, unsigned char secret[IDS_SECRET_LEN]);

#endif
