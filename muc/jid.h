/* jid.h - JID parsing and comparison (RFC 7622, ASCII case folding only). */
#ifndef MUCD_JID_H
#define MUCD_JID_H

#include <stdbool.h>
#include <stddef.h>

#define JID_PART_MAX 1023

typedef struct jid {
    char buf[3 * (JID_PART_MAX + 1)];
    const char *local;    /* into buf, or NULL when absent */
    const char *domain;   /* into buf, never NULL after a successful parse */
    const char *resource; /* into buf, or NULL when absent */
} jid_t;

/* Splits s into parts (copied into j->buf; local and domain lower-cased).
 * Returns 0, or -1 when s is not a valid JID: empty domain, empty local or
 * resource after '@' / '/', a part over 1023 bytes, forbidden localpart
 * characters, or control characters anywhere. */
int jid_parse(const char *s, jid_t *j);

/* Frees a NULL-terminated array of strings (lists of JIDs); NULL is fine. */
void jid_list_free(char **list);

/* ASCII case-insensitive domain comparison. */
bool jid_domain_eq(const char *a, const char *b);

#endif
