/* jid.c - JID parsing and comparison. */
#include "muc/jid.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool local_char_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && !strchr("\"&'/:<>@", c);
}

static bool domain_char_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && !strchr("\"&'/:<>@\\", c);
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Copies [s, s+n) into *dst lower-cased if fold; checks chars with ok(). */
static int part_copy(char **dst, const char *s, size_t n, bool (*ok)(unsigned char),
                     bool fold)
{
    if (n == 0 || n > JID_PART_MAX) return -1;
    char *d = *dst;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ok && !ok(c)) return -1;
        if (!ok && (c < 0x20 || c == 0x7f)) return -1;
        d[i] = fold ? ascii_lower((char)c) : (char)c;
    }
    d[n] = '\0';
    *dst = d + n + 1;
    return 0;
}

int jid_parse(const char *s, jid_t *j)
{
    j->local = j->domain = j->resource = NULL;
    if (!s) return -1;
    const char *slash = strchr(s, '/');
    const char *end_bare = slash ? slash : s + strlen(s);
    const char *at = memchr(s, '@', (size_t)(end_bare - s));
    char *w = j->buf;
    if (at) {
        j->local = w;
        if (part_copy(&w, s, (size_t)(at - s), local_char_ok, true)) return -1;
    }
    const char *dom = at ? at + 1 : s;
    size_t dlen = (size_t)(end_bare - dom);
    if (dlen && dom[dlen - 1] == '.') dlen--; /* a trailing dot is not significant */
    j->domain = w;
    if (part_copy(&w, dom, dlen, domain_char_ok, true)) return -1;
    if (slash) {
        j->resource = w;
        if (part_copy(&w, slash + 1, strlen(slash + 1), NULL, false)) return -1;
    }
    return 0;
}

bool jid_domain_eq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

void jid_list_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}
