/* perm.c - affiliation and role names and ranks. */
#include "muc/perm.h"

#include <string.h>

static const char *const aff_names[] = {"outcast", "none", "member", "admin", "owner"};
static const char *const role_names[] = {"none", "visitor", "participant", "moderator"};

const char *affiliation_name(affiliation_t a)
{
    return aff_names[a + 1];
}
const char *role_name(role_t r)
{
    return role_names[r];
}

int affiliation_parse(const char *name, affiliation_t *out)
{
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, aff_names[i]) == 0) {
            *out = (affiliation_t)(i - 1);
            return 0;
        }
    }
    return -1;
}

int role_parse(const char *name, role_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (role_t)i;
            return 0;
        }
    }
    return -1;
}

role_t perm_default_role(affiliation_t aff, bool moderated)
{
    if (aff >= AFF_ADMIN) return ROLE_MODERATOR;
    if (aff == AFF_OUTCAST) return ROLE_NONE;
    if (moderated && aff == AFF_NONE) return ROLE_VISITOR;
    return ROLE_PARTICIPANT;
}
