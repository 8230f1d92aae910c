/* tmpdir.c - temporary directories for the tests that keep a store on disk. */
#include "tests/support/tmpdir.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char path[512];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) remove_dir(path); /* DIR/live */
    }
    closedir(d);
    return rmdir(dir);
}
