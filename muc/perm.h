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

#include "muc/errors.h"

/* The XEP-0045 privilege tables (§5.1, §5.2, §8-§10): whether an actor may
 * give `target` (currently at target_aff) the affiliation new_aff. Returns
 * MUC_OK, ERR_FORBIDDEN (the actor may never assign new_aff) or
 * ERR_NOT_ALLOWED (not to someone of target's standing). The last-owner
 * rule (conflict) is checked by the caller, who sees the whole request. */
muc_err_t perm_affiliation_change(affiliation_t actor, affiliation_t target_aff,
                                  affiliation_t new_aff);

/* Whether an actor (actor_aff, actor_role) may set the role of a target
 * (target_aff, target_role) to new_role: MUC_OK, ERR_FORBIDDEN or
 * ERR_NOT_ALLOWED. */
muc_err_t perm_role_change(affiliation_t actor_aff, role_t actor_role,
                           affiliation_t target_aff, role_t target_role, role_t new_role);
#endif
