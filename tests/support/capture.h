/* capture.h - a sink that keeps every stanza the core sends, for asserts. */
#ifndef MUCD_TEST_CAPTURE_H
#define MUCD_TEST_CAPTURE_H

#include <stddef.h>
#include <strophe.h>

#include "muc/out.h"

#define CAPTURE_MAX 256

typedef struct capture {
    out_sink_t sink; /* first: pass &cap->sink to the core */
    xmpp_stanza_t *stanzas[CAPTURE_MAX];
    size_t count;
} capture_t;

void capture_init(capture_t *cap);
/* Releases every captured stanza and empties the capture. */
void capture_clear(capture_t *cap);
/* The i-th captured stanza (borrowed), failing the test if absent. */
xmpp_stanza_t *capture_at(capture_t *cap, size_t i);

#endif
