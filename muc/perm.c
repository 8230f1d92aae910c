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

#define A(x) ((x) + 1) /* affiliation as a table index: outcast 0 ... owner 4 */

/* may_assign[actor][new]: affiliations an actor may give at all (§9, §10:
 * admins manage members and outcasts; owners manage everything). */
static const bool may_assign[5][5] = {
    /*                outcast none  member admin  owner */
    [A(AFF_ADMIN)] = {true, true, true, false, false},
    [A(AFF_OWNER)] = {true, true, true, true, true},
};

/* may_touch[actor][target]: whose affiliation an actor may change (§9.1:
 * an admin cannot ban or demote an admin or owner). */
static const bool may_touch[5][5] = {
    /*                outcast none  member admin  owner */
    [A(AFF_ADMIN)] = {true, true, true, false, false},
    [A(AFF_OWNER)] = {true, true, true, true, true},
};

muc_err_t perm_affiliation_change(affiliation_t actor, affiliation_t target_aff,
                                  affiliation_t new_aff)
{
    if (!may_assign[A(actor)][A(new_aff)]) return ERR_FORBIDDEN;
    if (!may_touch[A(actor)][A(target_aff)]) return ERR_NOT_ALLOWED;
    return MUC_OK;
}

/* The role rules of §5.1 / §8 as an ordered list: the first that matches
 * decides. */
typedef struct role_rule {
    bool (*match)(affiliation_t aa, role_t ar, affiliation_t ta, role_t tr, role_t nr);
    muc_err_t verdict;
} role_rule_t;

/* Only moderators change roles. */
static bool not_moderator(affiliation_t aa, role_t ar, affiliation_t ta, role_t tr,
                          role_t nr)
{
    (void)aa, (void)ta, (void)tr, (void)nr;
    return ar < ROLE_MODERATOR;
}

/* Granting or revoking moderator needs an admin or owner (§9.?/§10.?). */
static bool moderator_change_by_non_admin(affiliation_t aa, role_t ar, affiliation_t ta,
                                          role_t tr, role_t nr)
{
    (void)ar, (void)ta;
    return (nr == ROLE_MODERATOR || tr == ROLE_MODERATOR) && nr != tr && aa < AFF_ADMIN;
}

/* Nobody lowers the role of someone with a higher affiliation (§8.2: a
 * participant moderator cannot kick an admin, an admin cannot kick an owner). */
static bool lowering_a_superior(affiliation_t aa, role_t ar, affiliation_t ta, role_t tr,
                                role_t nr)
{
    (void)ar;
    return nr < tr && ta > aa;
}

/* Kicking someone of a higher affiliation (§8.2: a participant moderator
 * cannot kick an admin, an admin cannot kick an owner): not-allowed, even
 * though the target is a moderator too. */
static bool kicking_a_superior(affiliation_t aa, role_t ar, affiliation_t ta, role_t tr,
                               role_t nr)
{
    (void)ar;
    return nr == ROLE_NONE && nr < tr && ta > aa;
}

/* Admins and owners keep moderation: it is not revoked from them (§9?). */
static bool demoting_admin(affiliation_t aa, role_t ar, affiliation_t ta, role_t tr,
                           role_t nr)
{
    (void)aa, (void)ar, (void)tr;
    return ta >= AFF_ADMIN && nr < ROLE_MODERATOR;
}

static const role_rule_t role_rules[] = {
    {not_moderator, ERR_FORBIDDEN},
    {kicking_a_superior, ERR_NOT_ALLOWED},
    {moderator_change_by_non_admin, ERR_FORBIDDEN},
    {lowering_a_superior, ERR_NOT_ALLOWED},
    {demoting_admin, ERR_NOT_ALLOWED},
};

muc_err_t perm_role_change(affiliation_t actor_aff, role_t actor_role,
                           affiliation_t target_aff, role_t target_role, role_t new_role)
{
    for (size_t i = 0; i < sizeof role_rules / sizeof role_rules[0]; i++)
        if (role_rules[i].match(actor_aff, actor_role, target_aff, target_role, new_role))
            return role_rules[i].verdict;
    return MUC_OK;
}
