/* test_perm.c - the XEP-0045 privilege tables (muc/perm.c) walked in full:
 * every actor affiliation x actor role x target affiliation x target role x
 * new role for perm_role_change(), every actor x target x new affiliation
 * for perm_affiliation_change(), each compared with an expectation written
 * here independently from XEP-0045 §5.1, §5.2, §8, §9 and §10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <cmocka.h>

#include "muc/perm.h"

static const affiliation_t all_affs[] = {AFF_OUTCAST, AFF_NONE, AFF_MEMBER, AFF_ADMIN,
                                         AFF_OWNER};
static const role_t all_roles[] = {ROLE_NONE, ROLE_VISITOR, ROLE_PARTICIPANT,
                                   ROLE_MODERATOR};
#define N_AFFS  (sizeof all_affs / sizeof all_affs[0])
#define N_ROLES (sizeof all_roles / sizeof all_roles[0])

static bool is_admin_or_owner(affiliation_t a)
{
    return a == AFF_ADMIN || a == AFF_OWNER;
}

/* §8.2 names one case outright: a moderator who kicks (role none) an
 * occupant of higher affiliation - a participant moderator kicking an
 * admin or owner - gets <not-allowed/>. Such a target (admin, owner, or a
 * member promoted to moderator) holds the moderator role, so the
 * "revoking moderator needs an admin" rule matches it as well; the XEP
 * text for kicking decides. */
static bool kicks_superior_moderator(affiliation_t aa, role_t ar, affiliation_t ta,
                                     role_t tr, role_t nr)
{
    return ar == ROLE_MODERATOR && nr == ROLE_NONE && tr == ROLE_MODERATOR && ta > aa &&
           !is_admin_or_owner(aa);
}

/* The expected verdict of a role change, rule by rule. */
static muc_err_t expected_role_change(affiliation_t aa, role_t ar, affiliation_t ta,
                                      role_t tr, role_t nr)
{
    /* §5.1: only moderators may kick, grant or revoke voice */
    if (ar != ROLE_MODERATOR) return ERR_FORBIDDEN;
    /* §8.2: kicking someone of higher affiliation */
    if (nr == ROLE_NONE && tr > nr && ta > aa) return ERR_NOT_ALLOWED;
    /* §9.6/§9.7 (§5.2 table): granting or revoking moderator is for admins and
     * owners only */
    bool grant_mod = nr == ROLE_MODERATOR && tr != ROLE_MODERATOR;
    bool revoke_mod = tr == ROLE_MODERATOR && nr != ROLE_MODERATOR;
    if ((grant_mod || revoke_mod) && !is_admin_or_owner(aa)) return ERR_FORBIDDEN;
    /* §8.4: a moderator cannot lower someone of higher affiliation (an admin
     * cannot kick or silence an owner) */
    if (nr < tr && ta > aa) return ERR_NOT_ALLOWED;
    /* §8.4/§9.7: the moderator role of admins and owners is never taken */
    if (is_admin_or_owner(ta) && nr != ROLE_MODERATOR) return ERR_NOT_ALLOWED;
    return MUC_OK;
}

/* The expected verdict of an affiliation change. */
static muc_err_t expected_affiliation_change(affiliation_t actor, affiliation_t target,
                                             affiliation_t new_aff)
{
    /* §10: owners manage every list, including owners and admins */
    if (actor == AFF_OWNER) return MUC_OK;
    /* §5.2: below admin, nobody edits any affiliation */
    if (actor != AFF_ADMIN) return ERR_FORBIDDEN;
    /* §10.6/§10.3: only owners grant admin or owner (the actor may never
     * assign it: forbidden, whatever the target; perm.h) */
    if (new_aff == AFF_ADMIN || new_aff == AFF_OWNER) return ERR_FORBIDDEN;
    /* §9.1: an admin cannot ban or demote an admin or owner */
    if (target == AFF_ADMIN || target == AFF_OWNER) return ERR_NOT_ALLOWED;
    /* §9.1-§9.5: admins ban, grant and revoke membership */
    return MUC_OK;
}

/* ---- the whole role table ---------------------------------------------- */

static void test_role_table_whole(void **state)
{
    (void)state;
    size_t checked = 0, ok = 0, forbidden = 0, not_allowed = 0, kick_cases = 0;
    for (size_t a = 0; a < N_AFFS; a++)
        for (size_t r = 0; r < N_ROLES; r++)
            for (size_t t = 0; t < N_AFFS; t++)
                for (size_t tr = 0; tr < N_ROLES; tr++)
                    for (size_t n = 0; n < N_ROLES; n++) {
                        affiliation_t aa = all_affs[a], ta = all_affs[t];
                        role_t ar = all_roles[r], trole = all_roles[tr],
                               nr = all_roles[n];
                        muc_err_t got = perm_role_change(aa, ar, ta, trole, nr);
                        muc_err_t want = expected_role_change(aa, ar, ta, trole, nr);
                        checked++;
                        if (kicks_superior_moderator(aa, ar, ta, trole, nr)) {
                            /* refused either way here; the exact condition is
                             * test_regression_kick_superior_moderator_not_allowed */
                            kick_cases++;
                            if (got != ERR_FORBIDDEN && got != ERR_NOT_ALLOWED)
                                fail_msg("kick %s/%s -> %s/%s: got %d, want a refusal",
                                         affiliation_name(aa), role_name(ar),
                                         affiliation_name(ta), role_name(trole), got);
                            continue;
                        }
                        if (got != want)
                            fail_msg("role change by %s/%s of %s/%s to %s: got %d, "
                                     "expected %d",
                                     affiliation_name(aa), role_name(ar),
                                     affiliation_name(ta), role_name(trole),
                                     role_name(nr), got, want);
                        if (want == MUC_OK) ok++;
                        if (want == ERR_FORBIDDEN) forbidden++;
                        if (want == ERR_NOT_ALLOWED) not_allowed++;
                    }
    assert_int_equal(checked, 5 * 4 * 5 * 4 * 4);
    assert_int_equal(checked, ok + forbidden + not_allowed + kick_cases);
    /* non-admin moderators (outcast, none, member) x higher target */
    assert_int_equal(kick_cases, 4 + 3 + 2);
    /* every non-moderator actor is refused: 5 affs x 3 roles x 80 */
    assert_true(forbidden >= 5 * 3 * 80);
    assert_true(ok > 0);
    assert_true(not_allowed > 0);
}

/* The 9 cases above, by the XEP: <not-allowed/>. CORE BUG: perm.c checks
 * "granting or revoking moderator needs an admin" (forbidden) before
 * "lowering someone of higher affiliation" (not-allowed), and an admin or
 * owner always holds the moderator role, so a participant moderator who
 * kicks an admin gets <forbidden/> instead of <not-allowed/>: the §8.2 case
 * the comment of lowering_a_superior() itself cites cannot be reached. */
static void test_regression_kick_superior_moderator_not_allowed(void **state)
{
    (void)state;
    size_t n = 0, wrong = 0;
    for (size_t a = 0; a < N_AFFS; a++)
        for (size_t t = 0; t < N_AFFS; t++) {
            affiliation_t aa = all_affs[a], ta = all_affs[t];
            if (!kicks_superior_moderator(aa, ROLE_MODERATOR, ta, ROLE_MODERATOR,
                                          ROLE_NONE))
                continue;
            n++;
            muc_err_t got =
                perm_role_change(aa, ROLE_MODERATOR, ta, ROLE_MODERATOR, ROLE_NONE);
            if (got != ERR_NOT_ALLOWED) {
                print_error("kick by %s moderator of %s moderator: got %d, want "
                            "not-allowed (%d)\n",
                            affiliation_name(aa), affiliation_name(ta), got,
                            ERR_NOT_ALLOWED);
                wrong++;
            }
        }
    assert_int_equal(n, 9);
    assert_int_equal(wrong, 0);
}

/* ---- the whole affiliation table --------------------------------------- */

static void test_affiliation_table_whole(void **state)
{
    (void)state;
    size_t checked = 0, ok = 0;
    for (size_t a = 0; a < N_AFFS; a++)
        for (size_t t = 0; t < N_AFFS; t++)
            for (size_t n = 0; n < N_AFFS; n++) {
                affiliation_t actor = all_affs[a], target = all_affs[t],
                              new_aff = all_affs[n];
                muc_err_t got = perm_affiliation_change(actor, target, new_aff);
                muc_err_t want = expected_affiliation_change(actor, target, new_aff);
                if (got != want)
                    fail_msg("affiliation change by %s of %s to %s: got %d, expected %d",
                             affiliation_name(actor), affiliation_name(target),
                             affiliation_name(new_aff), got, want);
                if (got == MUC_OK) ok++;
                checked++;
            }
    assert_int_equal(checked, 5 * 5 * 5);
    /* owners: 25; admins: 3 targets x 3 new affiliations */
    assert_int_equal(ok, 25 + 9);
}

/* ---- named XEP-0045 cases ---------------------------------------------- */

static void test_named_role_cases(void **state)
{
    (void)state;
    /* §8.2: an admin cannot kick an owner */
    assert_int_equal(
        perm_role_change(AFF_ADMIN, ROLE_MODERATOR, AFF_OWNER, ROLE_MODERATOR, ROLE_NONE),
        ERR_NOT_ALLOWED);
    /* §5.1: a member who is no moderator kicks nobody */
    for (size_t t = 0; t < N_AFFS; t++)
        for (size_t r = 0; r < N_ROLES; r++)
            assert_int_equal(perm_role_change(AFF_MEMBER, ROLE_PARTICIPANT, all_affs[t],
                                              all_roles[r], ROLE_NONE),
                             ERR_FORBIDDEN);
    /* §8.2: a participant moderator kicks a participant */
    assert_int_equal(
        perm_role_change(AFF_NONE, ROLE_MODERATOR, AFF_NONE, ROLE_PARTICIPANT, ROLE_NONE),
        MUC_OK);
    /* §8.3/§8.4: a moderator grants and revokes voice */
    assert_int_equal(perm_role_change(AFF_NONE, ROLE_MODERATOR, AFF_NONE, ROLE_VISITOR,
                                      ROLE_PARTICIPANT),
                     MUC_OK);
    assert_int_equal(perm_role_change(AFF_MEMBER, ROLE_MODERATOR, AFF_NONE,
                                      ROLE_PARTICIPANT, ROLE_VISITOR),
                     MUC_OK);
    /* §8.4: not from a member when the moderator is unaffiliated */
    assert_int_equal(perm_role_change(AFF_NONE, ROLE_MODERATOR, AFF_MEMBER,
                                      ROLE_PARTICIPANT, ROLE_VISITOR),
                     ERR_NOT_ALLOWED);
    /* §9.6: granting moderator needs an admin */
    assert_int_equal(perm_role_change(AFF_MEMBER, ROLE_MODERATOR, AFF_NONE,
                                      ROLE_PARTICIPANT, ROLE_MODERATOR),
                     ERR_FORBIDDEN);
    assert_int_equal(perm_role_change(AFF_ADMIN, ROLE_MODERATOR, AFF_NONE,
                                      ROLE_PARTICIPANT, ROLE_MODERATOR),
                     MUC_OK);
    /* §9.7: revoking it too, and never from an admin */
    assert_int_equal(perm_role_change(AFF_OWNER, ROLE_MODERATOR, AFF_MEMBER,
                                      ROLE_MODERATOR, ROLE_PARTICIPANT),
                     MUC_OK);
    assert_int_equal(perm_role_change(AFF_OWNER, ROLE_MODERATOR, AFF_ADMIN,
                                      ROLE_MODERATOR, ROLE_PARTICIPANT),
                     ERR_NOT_ALLOWED);
    assert_int_equal(
        perm_role_change(AFF_OWNER, ROLE_MODERATOR, AFF_ADMIN, ROLE_MODERATOR, ROLE_NONE),
        ERR_NOT_ALLOWED);
}

/* §8.2 again, through the case the perm.c comment cites. Fails with the bug
 * above: got forbidden. */
static void test_regression_participant_moderator_kicks_admin_not_allowed(void **state)
{
    (void)state;
    assert_int_equal(
        perm_role_change(AFF_NONE, ROLE_MODERATOR, AFF_ADMIN, ROLE_MODERATOR, ROLE_NONE),
        ERR_NOT_ALLOWED);
}

static void test_named_affiliation_cases(void **state)
{
    (void)state;
    /* §9.1: an admin cannot ban an admin, nor an owner */
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_ADMIN, AFF_OUTCAST),
                     ERR_NOT_ALLOWED);
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_OWNER, AFF_OUTCAST),
                     ERR_NOT_ALLOWED);
    /* §10.6: an admin cannot grant admin */
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_NONE, AFF_ADMIN),
                     ERR_FORBIDDEN);
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_MEMBER, AFF_OWNER),
                     ERR_FORBIDDEN);
    /* §10.3: an owner grants owner */
    assert_int_equal(perm_affiliation_change(AFF_OWNER, AFF_NONE, AFF_OWNER), MUC_OK);
    assert_int_equal(perm_affiliation_change(AFF_OWNER, AFF_OWNER, AFF_NONE), MUC_OK);
    /* §9.1/§9.3: an admin bans and grants membership */
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_MEMBER, AFF_OUTCAST), MUC_OK);
    assert_int_equal(perm_affiliation_change(AFF_ADMIN, AFF_NONE, AFF_MEMBER), MUC_OK);
    /* members and below edit no list */
    assert_int_equal(perm_affiliation_change(AFF_MEMBER, AFF_NONE, AFF_MEMBER),
                     ERR_FORBIDDEN);
    assert_int_equal(perm_affiliation_change(AFF_NONE, AFF_NONE, AFF_OUTCAST),
                     ERR_FORBIDDEN);
}

/* ---- names and default roles ------------------------------------------- */

static void test_names_round_trip(void **state)
{
    (void)state;
    static const char *const affs[] = {"outcast", "none", "member", "admin", "owner"};
    static const char *const roles[] = {"none", "visitor", "participant", "moderator"};
    for (size_t i = 0; i < N_AFFS; i++) {
        affiliation_t a;
        assert_string_equal(affiliation_name(all_affs[i]), affs[i]);
        assert_int_equal(affiliation_parse(affs[i], &a), 0);
        assert_int_equal(a, all_affs[i]);
    }
    for (size_t i = 0; i < N_ROLES; i++) {
        role_t r;
        assert_string_equal(role_name(all_roles[i]), roles[i]);
        assert_int_equal(role_parse(roles[i], &r), 0);
        assert_int_equal(r, all_roles[i]);
    }
    affiliation_t a = AFF_MEMBER;
    role_t r = ROLE_VISITOR;
    assert_int_equal(affiliation_parse("Owner", &a), -1);
    assert_int_equal(affiliation_parse("", &a), -1);
    assert_int_equal(a, AFF_MEMBER);
    assert_int_equal(role_parse("moderators", &r), -1);
    assert_int_equal(r, ROLE_VISITOR);
}

static void test_default_roles(void **state)
{
    (void)state;
    for (int moderated = 0; moderated < 2; moderated++) {
        assert_int_equal(perm_default_role(AFF_OWNER, moderated), ROLE_MODERATOR);
        assert_int_equal(perm_default_role(AFF_ADMIN, moderated), ROLE_MODERATOR);
        assert_int_equal(perm_default_role(AFF_MEMBER, moderated), ROLE_PARTICIPANT);
        assert_int_equal(perm_default_role(AFF_OUTCAST, moderated), ROLE_NONE);
    }
    assert_int_equal(perm_default_role(AFF_NONE, false), ROLE_PARTICIPANT);
    assert_int_equal(perm_default_role(AFF_NONE, true), ROLE_VISITOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_table_whole),
        cmocka_unit_test(test_affiliation_table_whole),
        cmocka_unit_test(test_named_role_cases),
        cmocka_unit_test(test_named_affiliation_cases),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_default_roles),
        /* known core bugs (fail until fixed) */
        cmocka_unit_test(test_regression_kick_superior_moderator_not_allowed),
        cmocka_unit_test(test_regression_participant_moderator_kicks_admin_not_allowed),
    };
    return cmocka_run_group_tests_name("perm", tests, NULL, NULL);
}
