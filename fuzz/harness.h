/* harness.h - what the libFuzzer targets share: one libstrophe context and
 * one LMDB store per process (in a temporary directory, removed at exit),
 * a sink that checks and drops every outgoing stanza, a fixed clock, and a
 * service built the way mucd builds it. */
#ifndef MUCD_FUZZ_HARNESS_H
#define MUCD_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "muc/out.h"
#include "muc/service.h"
#include "storage/storage.h"

#define FUZZ_DOMAIN "chat.localhost"

/* A sink that serializes every stanza the core sends (so a malformed one
 * is noticed), checks raw output parses back, and releases it. */
typedef struct fuzz_sink {
    out_sink_t sink; /* first: pass &s->sink to the core */
    xmpp_ctx_t *ctx;
    size_t count;
} fuzz_sink_t;

/* The process-wide context (created on first use, quiet logging). */
xmpp_ctx_t *fuzz_ctx(void);

/* The process-wide store (created on first use with a small map). */
store_t *fuzz_store(void);

/* Deletes every stored room so each input starts from an empty store. */
void fuzz_store_wipe(store_t *st);

/* A sink; raw selects the serialized fast path (send_raw). */
void fuzz_sink_init(fuzz_sink_t *s, xmpp_ctx_t *ctx, bool raw);

/* A service over the shared context and `store` (may be NULL), with small
 * caps so inputs reach the limits, and the fixed clock. */
service_t *fuzz_service_new(store_t *store);

/* Advances the fixed clock by `seconds`. */
void fuzz_clock_advance(long seconds);

/* Resets the fixed clock (each input starts at the same time). */
void fuzz_clock_reset(void);

/* Parses one stanza from xml and hands it to the core; returns whether it
 * parsed. */
bool fuzz_feed(service_t *svc, fuzz_sink_t *s, const char *xml);

#endif
