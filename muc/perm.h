/* perm.h - XEP-0045 affiliations and roles as ordered ranks (§5). */
#ifndef MUCD_PERM_H
#define MUCD_PERM_H

#include <stdbool.h>

typedef enum {
    AFF_OUTCAST = -1,
    AFF_NONE = 0,
    AFF_MEMBER,
    AFF_ADMIN,
    AFF_OWNER
} affiliation_t;
typedef enum { ROLE_NONE = 0, ROLE_VISITOR, ROLE_PARTICIPANT, ROLE_MODERATOR } role_t;

const char *affiliation_name(affiliation_t a);
const char *role_name(role_t r);
/* Parse a name; return 0 and set *out, or -1 when unknown. */
int affiliation_parse(const char *name, affiliation_t *out);
int role_parse(const char *name, role_t *out);

/* The role a user of affiliation `aff` gets on entering (§5.1): owners and
 * admins moderate; in a moderated room only members and up get voice. */
role_t perm_default_role(affiliation_t aff, bool moderated);

#endif
