/* codec.c - versioned binary records for the store. A record is a version
 * byte, then fields in a fixed order: strings as u32 length + bytes
 * (0xffffffff for NULL), booleans and small ints as u8/u32. Decoding checks
 * every length against the buffer. */
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"

#define ROOM_RECORD_V1 1 /* v2 = v1 + the creator */
#define ROOM_RECORD_V2 2 /* v3 = v2 + the occupant-id secret */
#define ROOM_RECORD_V3 3 /* v4 = v3 + the archive switch */
#define ROOM_RECORD_V4 4
#define AFF_RECORD_V1  1
#define NULL_LEN       0xffffffffu

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool oom;
} wbuf_t;

static void put(wbuf_t *b, const void *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        unsigned char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_u32(wbuf_t *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static void put_u8(wbuf_t *b, unsigned v)
{
    unsigned char x = (unsigned char)v;
    put(b, &x, 1);
}

static void put_str(wbuf_t *b, const char *s)
{
    if (!s) {
        put_u32(b, NULL_LEN);
        return;
    }
    size_t n = strlen(s);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

typedef struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    bool bad;
} rbuf_t;

static uint32_t get_u32(rbuf_t *b)
{
    if (b->bad || b->pos + 4 > b->len) {
        b->bad = true;
        return 0;
    }
    const unsigned char *x = b->p + b->pos;
    b->pos += 4;
    return ((uint32_t)x[0] << 24) | ((uint32_t)x[1] << 16) | ((uint32_t)x[2] << 8) | x[3];
}

static unsigned get_u8(rbuf_t *b)
{
    if (b->bad || b->pos + 1 > b->len) {
        b->bad = true;
        return 0;
    }
    return b->p[b->pos++];
}

static char *get_str(rbuf_t *b)
{
    uint32_t n = get_u32(b);
    if (b->bad || n == NULL_LEN) return NULL;
    if (n > b->len - b->pos) {
        b->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        b->bad = true;
        return NULL;
    }
    memcpy(s, b->p + b->pos, n);
    s[n] = '\0';
    b->pos += n;
    return s;
}

void *codec_room_encode(const store_room_t *r, size_t *len)
{
    wbuf_t b = {0};
    put_u8(&b, ROOM_RECORD_V4);
    const char *strs[] = {r->name,     r->title,    r->description, r->lang,
                          r->contacts, r->password, r->subject,     r->subject_nick};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        put_str(&b, strs[i]);
    bool flags[] = {r->persistent,    r->public_list,       r->members_only,
                    r->moderated,     r->whois_anyone,      r->change_subject,
                    r->allow_invites, r->password_protected};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        put_u8(&b, flags[i]);
    put_u32(&b, (uint32_t)r->allow_pm);
    put_u32(&b, (uint32_t)r->max_users);
    put_u32(&b, (uint32_t)r->history_length);
    put_str(&b, r->creator);
    put_str(&b, r->secret);
    put_u8(&b, (unsigned)(r->archive > 0 ? 1 : r->archive < 0 ? 2 : 0));
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

int codec_room_decode(const void *data, size_t len, store_room_t *r)
{
    rbuf_t b = {data, len, 0, false};
    memset(r, 0, sizeof *r);
    unsigned version = get_u8(&b);
    if (version < ROOM_RECORD_V1 || version > ROOM_RECORD_V4) return -1;
    char **strs[] = {&r->name,     &r->title,    &r->description, &r->lang,
                     &r->contacts, &r->password, &r->subject,     &r->subject_nick};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        *strs[i] = get_str(&b);
    bool *flags[] = {&r->persistent,    &r->public_list,       &r->members_only,
                     &r->moderated,     &r->whois_anyone,      &r->change_subject,
                     &r->allow_invites, &r->password_protected};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        *flags[i] = get_u8(&b) != 0;
    r->allow_pm = (int)get_u32(&b);
    r->max_users = (int)get_u32(&b);
    r->history_length = (int)get_u32(&b);
    if (version >= ROOM_RECORD_V2) r->creator = get_str(&b);
    if (version >= ROOM_RECORD_V3) r->secret = get_str(&b);
    if (version >= ROOM_RECORD_V4) {
        unsigned a = get_u8(&b);
        if (a > 2) b.bad = true;
        r->archive = a == 1 ? 1 : a == 2 ? -1 : 0;
    }
    if (b.bad || b.pos != b.len || !r->name) {
        store_room_clear(r);
        return -1;
    }
    return 0;
}

void *codec_aff_encode(const store_aff_t *a, size_t *len)
{
    wbuf_t b = {0};
    put_u8(&b, AFF_RECORD_V1);
    put_u8(&b, (unsigned)(a->affiliation + 1));
    put_str(&b, a->reason);
    put_str(&b, a->nick);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

int codec_aff_decode(const void *data, size_t len, store_aff_t *a)
{
    rbuf_t b = {data, len, 0, false};
    memset(a, 0, sizeof *a);
    if (get_u8(&b) != AFF_RECORD_V1) return -1;
    a->affiliation = (int)get_u8(&b) - 1;
    a->reason = get_str(&b);
    a->nick = get_str(&b);
    if (b.bad || b.pos != b.len || a->affiliation < -1 || a->affiliation > 3) {
        free(a->reason);
        free(a->nick);
        return -1;
    }
    return 0;
}

void store_room_clear(store_room_t *r)
{
    char *strs[] = {r->name,     r->title,   r->description,  r->lang,    r->contacts,
                    r->password, r->subject, r->subject_nick, r->creator, r->secret};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
    memset(r, 0, sizeof *r);
}

void store_affs_free(store_aff_t *affs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(affs[i].jid);
        free(affs[i].reason);
        free(affs[i].nick);
    }
    free(affs);
}

void store_listed_free(store_listed_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(l[i].name);
        free(l[i].title);
    }
}
