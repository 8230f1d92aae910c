/* test_codec.c - the store's versioned binary records (storage/codec.c):
 * room and affiliation records round trip field for field (UTF-8, empty
 * strings, NULLs, every flag, ints), and every malformed record (truncated
 * at any length, a wrong version, trailing bytes, a string length beyond
 * the buffer) is refused with -1 without reading out of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/storage.h"

#define UTF8_TITLE "Caf\xc3\xa9 \xe2\x98\x95 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"

/* ---- helpers ---------------------------------------------------------- */

/* Compares two strings that may be NULL (NULL only equals NULL). */
static void assert_str_or_null(const char *got, const char *want)
{
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void assert_rooms_equal(const store_room_t *got, const store_room_t *want)
{
    assert_str_or_null(got->name, want->name);
    assert_str_or_null(got->title, want->title);
    assert_str_or_null(got->description, want->description);
    assert_str_or_null(got->lang, want->lang);
    assert_str_or_null(got->contacts, want->contacts);
    assert_str_or_null(got->password, want->password);
    assert_str_or_null(got->subject, want->subject);
    assert_str_or_null(got->subject_nick, want->subject_nick);
    assert_int_equal(got->persistent, want->persistent);
    assert_int_equal(got->public_list, want->public_list);
    assert_int_equal(got->members_only, want->members_only);
    assert_int_equal(got->moderated, want->moderated);
    assert_int_equal(got->whois_anyone, want->whois_anyone);
    assert_int_equal(got->change_subject, want->change_subject);
    assert_int_equal(got->allow_invites, want->allow_invites);
    assert_int_equal(got->password_protected, want->password_protected);
    assert_int_equal(got->allow_pm, want->allow_pm);
    assert_int_equal(got->max_users, want->max_users);
    assert_int_equal(got->history_length, want->history_length);
    assert_str_or_null(got->creator, want->creator);
    assert_str_or_null(got->secret, want->secret);
    assert_int_equal(got->archive, want->archive);
}

/* A room with every field set: UTF-8, an empty string, all flags on. */
static store_room_t full_room(void)
{
    return (store_room_t){
        .name = "caf\xc3\xa9-room",
        .title = UTF8_TITLE,
        .description = "", /* empty, not NULL */
        .lang = "fr",
        .contacts = "alice@localhost bob@localhost",
        .password = "s\xc3\xa9same",
        .subject = "Today: \xe2\x82\xac and \xf0\x9f\x98\x80",
        .subject_nick = "Alice",
        .persistent = true,
        .public_list = true,
        .members_only = true,
        .moderated = true,
        .whois_anyone = true,
        .change_subject = true,
        .allow_invites = true,
        .password_protected = true,
        .allow_pm = 3,
        .max_users = 500,
        .history_length = 100,
        .creator = "alice@localhost",
        .secret = "00112233445566778899aabbccddeeff",
        .archive = -1,
    };
}

/* Copies data into a buffer of exactly len bytes, so that ASan sees any
 * read past the end. */
static void *exact_copy(const void *data, size_t len)
{
    void *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, data, len);
    return p;
}

static int room_decode_exact(const void *data, size_t len, store_room_t *out)
{
    void *copy = exact_copy(data, len);
    int rc = codec_room_decode(copy, len, out);
    free(copy);
    return rc;
}

static int aff_decode_exact(const void *data, size_t len, store_aff_t *out)
{
    void *copy = exact_copy(data, len);
    int rc = codec_aff_decode(copy, len, out);
    free(copy);
    return rc;
}

static void assert_room_zeroed(const store_room_t *r)
{
    store_room_t zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(r, &zero, sizeof zero);
}

/* ---- room records ----------------------------------------------------- */

static void test_room_round_trip_every_field(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    size_t len = 0;
    void *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    assert_true(len > 1);
    assert_int_equal(room_decode_exact(buf, len, &out), 0);
    assert_rooms_equal(&out, &in);
    assert_int_equal(strlen(out.description), 0); /* "" stays "" */
    store_room_clear(&out);
    free(buf);
}

static void test_room_round_trip_nulls_and_false(void **state)
{
    (void)state;
    store_room_t in = {.name = "r"}, out;
    size_t len = 0;
    void *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    assert_int_equal(room_decode_exact(buf, len, &out), 0);
    assert_rooms_equal(&out, &in); /* every string NULL, every flag false, ints 0 */
    store_room_clear(&out);
    free(buf);
}

static void test_room_round_trip_empty_strings(void **state)
{
    (void)state;
    store_room_t in = {.name = "r",
                       .title = "",
                       .description = "",
                       .lang = "",
                       .contacts = "",
                       .password = "",
                       .subject = "",
                       .subject_nick = ""},
                 out;
    size_t len = 0;
    void *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    assert_int_equal(room_decode_exact(buf, len, &out), 0);
    assert_rooms_equal(&out, &in); /* "" and NULL are told apart */
    store_room_clear(&out);
    free(buf);
}

static void test_room_round_trip_each_flag_alone(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        store_room_t in = {.name = "r"}, out;
        bool *flags[] = {&in.persistent,    &in.public_list,       &in.members_only,
                         &in.moderated,     &in.whois_anyone,      &in.change_subject,
                         &in.allow_invites, &in.password_protected};
        *flags[i] = true;
        size_t len = 0;
        void *buf = codec_room_encode(&in, &len);
        assert_non_null(buf);
        assert_int_equal(room_decode_exact(buf, len, &out), 0);
        assert_rooms_equal(&out, &in);
        store_room_clear(&out);
        free(buf);
    }
}

static void test_room_round_trip_int_extremes(void **state)
{
    (void)state;
    const int values[] = {0, 1, 255, 256, 65536, INT_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        store_room_t in = {.name = "r",
                           .allow_pm = values[i] % 4,
                           .max_users = values[i],
                           .history_length = values[i]},
                     out;
        size_t len = 0;
        void *buf = codec_room_encode(&in, &len);
        assert_non_null(buf);
        assert_int_equal(room_decode_exact(buf, len, &out), 0);
        assert_rooms_equal(&out, &in);
        store_room_clear(&out);
        free(buf);
    }
}

static void test_room_without_name_refused(void **state)
{
    (void)state;
    store_room_t in = {.name = NULL, .title = "t"}, out;
    size_t len = 0;
    void *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    assert_int_equal(room_decode_exact(buf, len, &out), -1);
    assert_room_zeroed(&out);
    free(buf);
}

static void test_room_truncated_at_every_length(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    size_t len = 0;
    unsigned char *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    for (size_t n = 0; n < len; n++) {
        memset(&out, 0x5a, sizeof out);
        if (room_decode_exact(buf, n, &out) != -1)
            fail_msg("a room record truncated to %zu of %zu bytes decoded", n, len);
        assert_room_zeroed(&out); /* nothing half-decoded is left behind */
    }
    free(buf);
}

static void test_room_wrong_version(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    size_t len = 0;
    unsigned char *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    assert_int_equal(buf[0], 4);
    const unsigned char bad[] = {0, 5, 0x7f, 0xff};
    for (size_t i = 0; i < sizeof bad; i++) {
        buf[0] = bad[i];
        assert_int_equal(room_decode_exact(buf, len, &out), -1);
        assert_room_zeroed(&out);
    }
    free(buf);
}

/* Records of versions 1 (before the creator), 2 (before the secret) and 3
 * (before the archive switch) still decode: the same fields without the
 * trailing ones (the archive switch then says "the service's default"). */
static void test_room_older_versions(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    in.creator = NULL;
    in.secret = NULL;
    in.archive = 0;
    size_t len = 0;
    unsigned char *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    buf[0] = 1;
    assert_int_equal(room_decode_exact(buf, len - 9, &out), 0); /* without the NULLs */
    assert_rooms_equal(&out, &in);
    store_room_clear(&out);
    assert_int_equal(room_decode_exact(buf, len, &out), -1); /* v1 has no more fields */
    buf[0] = 2;
    assert_int_equal(room_decode_exact(buf, len - 5, &out), 0);
    assert_rooms_equal(&out, &in);
    store_room_clear(&out);
    assert_int_equal(room_decode_exact(buf, len, &out), -1);
    buf[0] = 3;
    assert_int_equal(room_decode_exact(buf, len - 1, &out), 0);
    assert_rooms_equal(&out, &in);
    store_room_clear(&out);
    assert_int_equal(room_decode_exact(buf, len, &out), -1);
    free(buf);
}

/* Version 4: the archive switch round-trips (on, off, default); other
 * values of its byte do not decode. */
static void test_room_archive_switch(void **state)
{
    (void)state;
    const int values[] = {1, -1, 0};
    for (size_t i = 0; i < 3; i++) {
        store_room_t in = full_room(), out;
        in.archive = values[i];
        size_t len = 0;
        unsigned char *buf = codec_room_encode(&in, &len);
        assert_non_null(buf);
        assert_int_equal(room_decode_exact(buf, len, &out), 0);
        assert_rooms_equal(&out, &in);
        store_room_clear(&out);
        buf[len - 1] = 3;
        assert_int_equal(room_decode_exact(buf, len, &out), -1);
        assert_room_zeroed(&out);
        free(buf);
    }
}

static void test_room_trailing_bytes(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    size_t len = 0;
    unsigned char *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    for (size_t extra = 1; extra <= 5; extra++) {
        unsigned char *longer = calloc(len + extra, 1);
        assert_non_null(longer);
        memcpy(longer, buf, len);
        assert_int_equal(room_decode_exact(longer, len + extra, &out), -1);
        assert_room_zeroed(&out);
        free(longer);
    }
    free(buf);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void test_room_string_length_beyond_buffer(void **state)
{
    (void)state;
    store_room_t in = full_room(), out;
    size_t len = 0;
    unsigned char *buf = codec_room_encode(&in, &len);
    assert_non_null(buf);
    /* the name is the first field: its u32 length follows the version */
    const uint32_t lengths[] = {(uint32_t)(len - 5 + 1), (uint32_t)len, 0x7fffffffu,
                                0xfffffffeu};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        put_be32(buf + 1, lengths[i]);
        assert_int_equal(room_decode_exact(buf, len, &out), -1);
        assert_room_zeroed(&out);
    }
    free(buf);

    /* the same for the last string (subject_nick), at the end of the record */
    store_room_t small = {.name = "r", .subject_nick = "n"};
    buf = codec_room_encode(&small, &len);
    assert_non_null(buf);
    /* after: 8 flags + 3 u32 = 20 bytes, then the NULL creator and secret
     * (u32 each) and the archive byte; subject_nick = u32 + 1 byte */
    size_t at = len - 1 - 8 - 20 - 1 - 4;
    assert_int_equal(buf[at + 4], 'n');
    put_be32(buf + at, 2);
    assert_int_equal(room_decode_exact(buf, len, &out), -1);
    put_be32(buf + at, 0xfffffffeu);
    assert_int_equal(room_decode_exact(buf, len, &out), -1);
    assert_room_zeroed(&out);
    free(buf);
}

/* ---- affiliation records --------------------------------------------- */

static void test_aff_round_trip_all_affiliations(void **state)
{
    (void)state;
    const char *reasons[] = {NULL, "", "spam \xe2\x9c\x8b"};
    const char *nicks[] = {NULL, "", "R\xc3\xa9mi"};
    for (int aff = -1; aff <= 3; aff++) {
        for (size_t r = 0; r < 3; r++) {
            for (size_t k = 0; k < 3; k++) {
                store_aff_t in = {.jid = "bob@localhost",
                                  .affiliation = aff,
                                  .reason = (char *)reasons[r],
                                  .nick = (char *)nicks[k]},
                            out;
                size_t len = 0;
                void *buf = codec_aff_encode(&in, &len);
                assert_non_null(buf);
                assert_int_equal(aff_decode_exact(buf, len, &out), 0);
                assert_int_equal(out.affiliation, aff);
                assert_str_or_null(out.reason, reasons[r]);
                assert_str_or_null(out.nick, nicks[k]);
                assert_null(out.jid); /* the JID is the key, not in the record */
                free(out.reason);
                free(out.nick);
                free(buf);
            }
        }
    }
}

static void test_aff_truncated_at_every_length(void **state)
{
    (void)state;
    store_aff_t in = {.jid = "j", .affiliation = 2, .reason = "a reason", .nick = "nick"},
                out;
    size_t len = 0;
    unsigned char *buf = codec_aff_encode(&in, &len);
    assert_non_null(buf);
    for (size_t n = 0; n < len; n++)
        if (aff_decode_exact(buf, n, &out) != -1)
            fail_msg("an affiliation record truncated to %zu of %zu bytes decoded", n,
                     len);
    free(buf);
}

static void test_aff_wrong_version_trailing_and_range(void **state)
{
    (void)state;
    store_aff_t in = {.jid = "j", .affiliation = 1, .reason = "r", .nick = NULL}, out;
    size_t len = 0;
    unsigned char *buf = codec_aff_encode(&in, &len);
    assert_non_null(buf);

    buf[0] = 2; /* version */
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    buf[0] = 0;
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    buf[0] = 1;
    assert_int_equal(aff_decode_exact(buf, len, &out), 0);
    free(out.reason);
    free(out.nick);

    /* affiliation byte out of range (stored +1: 0..4 are valid) */
    unsigned char saved = buf[1];
    buf[1] = 5;
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    buf[1] = 0xff;
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    buf[1] = saved;

    unsigned char *longer = calloc(len + 1, 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    assert_int_equal(aff_decode_exact(longer, len + 1, &out), -1);
    free(longer);

    /* reason length beyond the buffer */
    put_be32(buf + 2, (uint32_t)len);
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    put_be32(buf + 2, 0xfffffffeu);
    assert_int_equal(aff_decode_exact(buf, len, &out), -1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_room_round_trip_every_field),
        cmocka_unit_test(test_room_round_trip_nulls_and_false),
        cmocka_unit_test(test_room_round_trip_empty_strings),
        cmocka_unit_test(test_room_round_trip_each_flag_alone),
        cmocka_unit_test(test_room_round_trip_int_extremes),
        cmocka_unit_test(test_room_without_name_refused),
        cmocka_unit_test(test_room_truncated_at_every_length),
        cmocka_unit_test(test_room_wrong_version),
        cmocka_unit_test(test_room_older_versions),
        cmocka_unit_test(test_room_archive_switch),
        cmocka_unit_test(test_room_trailing_bytes),
        cmocka_unit_test(test_room_string_length_beyond_buffer),
        cmocka_unit_test(test_aff_round_trip_all_affiliations),
        cmocka_unit_test(test_aff_truncated_at_every_length),
        cmocka_unit_test(test_aff_wrong_version_trailing_and_range),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
