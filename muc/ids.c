/* ids.c - stanza ids, occupant ids and room secrets. */
#include "muc/ids.h"

#include <stdint.h>
#include <string.h>
#include <strophe.h>
#include <sys/random.h>
#include <time.h>

#define POOL_SIZE  4096
#define SHA1_BLOCK 64

void ids_random(unsigned char *buf, size_t len)
{
    static unsigned char pool[POOL_SIZE];
    static size_t left;
    while (len > 0) {
        if (left == 0) {
            ssize_t got = getrandom(pool, sizeof pool, 0);
            if (got <= 0) { /* never expected; still unique enough per process */
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                memcpy(pool, &ts, sizeof ts);
                got = sizeof ts;
            }
            left = (size_t)got;
        }
        size_t n = len < left ? len : left;
        memcpy(buf, pool + POOL_SIZE - left, n);
        left -= n, buf += n, len -= n;
    }
}

/* base64 of in[0..len) over the 64-letter alphabet abc, unpadded. */
static void base64_with(const char *abc, const unsigned char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < len) out[o++] = abc[(v >> 6) & 63];
        if (i + 2 < len) out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

static void base64url(const unsigned char *in, size_t len, char *out)
{
    base64_with("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", in,
                len, out);
}

/* The base64url letters in ASCII order: text order is byte order. */
static void base64_sorted(const unsigned char *in, size_t len, char *out)
{
    base64_with("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", in,
                len, out);
}

/* HMAC-SHA1 (RFC 2104) over libstrophe's SHA-1. */
static void hmac_sha1(const unsigned char *key, size_t klen, const char *msg,
                      unsigned char out[XMPP_SHA1_DIGEST_SIZE])
{
    unsigned char pad[SHA1_BLOCK + 1024], inner[XMPP_SHA1_DIGEST_SIZE];
    size_t mlen = strlen(msg);
    if (mlen > sizeof pad - SHA1_BLOCK)
        mlen = sizeof pad - SHA1_BLOCK; /* JIDs are shorter */
    unsigned char k[SHA1_BLOCK] = {0};
    memcpy(k, key, klen < SHA1_BLOCK ? klen : SHA1_BLOCK);
    for (int i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    memcpy(pad + SHA1_BLOCK, msg, mlen);
    xmpp_sha1_digest(pad, SHA1_BLOCK + mlen, inner);
    for (int i = 0; i < SHA1_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    memcpy(pad + SHA1_BLOCK, inner, sizeof inner);
    xmpp_sha1_digest(pad, SHA1_BLOCK + sizeof inner, out);
}

void ids_occupant_id(const unsigned char secret[IDS_SECRET_LEN], const char *bare_jid,
                     char out[IDS_OCCUPANT_ID_SIZE])
{
    unsigned char mac[XMPP_SHA1_DIGEST_SIZE];
    hmac_sha1(secret, IDS_SECRET_LEN, bare_jid, mac);
    base64url(mac, sizeof mac, out);
}

void ids_stanza_id(char out[IDS_STANZA_ID_SIZE])
{
    static uint64_t last_ms;
    static uint16_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (ms > last_ms)
        last_ms = ms, counter = 0;
    else if (++counter == 0)
        last_ms++; /* 65536 ids in one millisecond: borrow the next one */
    unsigned char raw[16];
    for (int i = 0; i < 6; i++)
        raw[i] = (unsigned char)(last_ms >> (40 - 8 * i));
    raw[6] = (unsigned char)(counter >> 8);
    raw[7] = (unsigned char)counter;
    ids_random(raw + 8, 8);
    base64_sorted(raw, sizeof raw, out);
}

void ids_secret_to_hex(const unsigned char secret[IDS_SECRET_LEN],
                       char hex[IDS_SECRET_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < IDS_SECRET_LEN; i++) {
        hex[2 * i] = digits[secret[i] >> 4];
        hex[2 * i + 1] = digits[secret[i] & 15];
    }
    hex[IDS_SECRET_HEX_LEN] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool ids_secret_from_hex(const char *hex, unsigned char secret[IDS_SECRET_LEN])
{
    if (!hex || strlen(hex) != IDS_SECRET_HEX_LEN) return false;
    for (int i = 0; i < IDS_SECRET_LEN; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        secret[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}
