/* tmpdir.h - temporary directories for the tests that keep a store on disk. */
#ifndef MUCD_TEST_TMPDIR_H
#define MUCD_TEST_TMPDIR_H

/* Removes a store directory (an LMDB environment: data.mdb, lock.mdb, and
 * the live/ one inside it) and what is in it; returns rmdir's result, -1 if it cannot be opened. */
int remove_dir(const char *dir);

#endif
