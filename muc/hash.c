/* hash.c - string-keyed chained hash map. */
#include "muc/hash.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    struct entry *next;
    uint32_t hash;
    void *value;
    char key[]; /* the key copy lives in the entry */
} entry_t;

struct hash {
    entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

hash_t *hash_new(void)
{
    hash_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->nbuckets = 8;
    h->buckets = calloc(h->nbuckets, sizeof *h->buckets);
    if (!h->buckets) {
        free(h);
        return NULL;
    }
    return h;
}

void hash_free(hash_t *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->nbuckets; i++) {
        for (entry_t *e = h->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(h->buckets);
    free(h);
}

static entry_t **find_slot(const hash_t *h, const char *key, uint32_t hv)
{
    entry_t **slot = &h->buckets[hv & (h->nbuckets - 1)];
    while (*slot && ((*slot)->hash != hv || strcmp((*slot)->key, key) != 0))
        slot = &(*slot)->next;
    return slot;
}

void *hash_get(const hash_t *h, const char *key)
{
    entry_t *e = *find_slot(h, key, fnv1a(key));
    return e ? e->value : NULL;
}

static void grow(hash_t *h)
{
    size_t n = h->nbuckets * 2;
    entry_t **nb = calloc(n, sizeof *nb);
    if (!nb) return; /* stay at the current size: still correct, only slower */
    for (size_t i = 0; i < h->nbuckets; i++) {
        for (entry_t *e = h->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    }
    free(h->buckets);
    h->buckets = nb;
    h->nbuckets = n;
}

int hash_put(hash_t *h, const char *key, void *value)
{
    uint32_t hv = fnv1a(key);
    entry_t **slot = find_slot(h, key, hv);
    if (*slot) {
        (*slot)->value = value;
        return 0;
    }
    size_t klen = strlen(key);
    entry_t *e = malloc(sizeof *e + klen + 1);
    if (!e) return -1;
    memcpy(e->key, key, klen + 1);
    e->hash = hv;
    e->value = value;
    e->next = NULL;
    *slot = e;
    if (++h->count > h->nbuckets) grow(h);
    return 0;
}

void *hash_remove(hash_t *h, const char *key)
{
    entry_t **slot = find_slot(h, key, fnv1a(key));
    entry_t *e = *slot;
    if (!e) return NULL;
    *slot = e->next;
    void *v = e->value;
    free(e);
    h->count--;
    return v;
}

size_t hash_count(const hash_t *h)
{
    return h->count;
}

hash_iter_t hash_iter(const hash_t *h)
{
    hash_iter_t it = {.h = h};
    return it;
}

bool hash_next(hash_iter_t *it)
{
    entry_t *e = it->entry ? ((entry_t *)it->entry)->next : NULL;
    while (!e && it->bucket < it->h->nbuckets)
        e = it->h->buckets[it->bucket++];
    it->entry = e;
    if (!e) return false;
    it->key = e->key;
    it->value = e->value;
    return true;
}
