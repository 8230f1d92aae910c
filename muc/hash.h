/* hash.h - a string-keyed hash map (chained, power-of-two buckets, grows at
 * load 1). Keys are copied; values are borrowed pointers the caller owns. */
#ifndef MUCD_HASH_H
#define MUCD_HASH_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hash hash_t;

/* Returns a new empty map, or NULL on allocation failure. */
hash_t *hash_new(void);
/* Frees the map and its key copies (not the values). NULL is fine. */
void hash_free(hash_t *h);

/* Looks key up; returns its value or NULL. */
void *hash_get(const hash_t *h, const char *key);
/* Sets key to value (replacing any previous value). Returns 0, or -1 when
 * out of memory. */
int hash_put(hash_t *h, const char *key, void *value);
/* Removes key; returns its value or NULL when absent. */
void *hash_remove(hash_t *h, const char *key);
size_t hash_count(const hash_t *h);

/* Iteration: for (hash_iter_t it = hash_iter(h); hash_next(&it);) use
 * it.key / it.value. Do not modify the map while iterating. */
typedef struct hash_iter {
    const hash_t *h;
    size_t bucket;
    void *entry;
    const char *key;
    void *value;
} hash_iter_t;
hash_iter_t hash_iter(const hash_t *h);
bool hash_next(hash_iter_t *it);

#endif
