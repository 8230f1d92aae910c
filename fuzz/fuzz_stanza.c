/* fuzz_stanza.c - the core's entry point, statefully: the input is a
 * session, one stanza per line, all fed to ONE service with a store, so a
 * single input can create a room, configure it, join, talk and administer
 * it. Lines starting with '!' are events instead of stanzas:
 *   !raw       the sink takes serialized broadcasts from now on (send_raw)
 *   !tick      one minute passes;  !day  one day passes
 *   !restart   mucd restarts on the same store (rooms reload lazily)
 *   !shutdown  a clean stop (status 332, history saved), then a restart
 *   !lost      the link to the server drops (occupants cleared silently)
 * Each input starts from an empty store and a fresh service, so inputs are
 * independent and memory stays bounded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/harness.h"
#include "muc/persist.h"

#define MAX_LINES 64 /* stanzas or events per input */

typedef struct fuzz_session {
    service_t *svc;
    store_t *store;
    fuzz_sink_t sink;
} fuzz_session_t;

/* Stops the service as mucd does at exit, then starts a new one. */
static void restart(fuzz_session_t *s, bool clean)
{
    if (clean) {
        service_shutdown(s->svc, &s->sink.sink);
        persist_save_all_history(s->svc);
    }
    service_free(s->svc);
    s->svc = fuzz_service_new(s->store);
}

/* Runs one '!' event; unknown ones are ignored. */
static void event(fuzz_session_t *s, const char *line)
{
    if (strcmp(line, "!raw") == 0)
        fuzz_sink_init(&s->sink, fuzz_ctx(), true);
    else if (strcmp(line, "!tick") == 0)
        fuzz_clock_advance(60);
    else if (strcmp(line, "!day") == 0)
        fuzz_clock_advance(86400);
    else if (strcmp(line, "!restart") == 0)
        restart(s, false);
    else if (strcmp(line, "!shutdown") == 0)
        restart(s, true);
    else if (strcmp(line, "!lost") == 0)
        service_link_lost(s->svc);
}

/* Feeds every line of text (NUL-terminated, modified in place). */
static void run_lines(fuzz_session_t *s, char *text)
{
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(text, "\n", &save); line && n < MAX_LINES;
         line = strtok_r(NULL, "\n", &save), n++) {
        if (line[0] == '!')
            event(s, line);
        else
            fuzz_feed(s->svc, &s->sink, line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fuzz_session_t s = {.store = fuzz_store()};
    fuzz_store_wipe(s.store);
    fuzz_clock_reset();
    fuzz_sink_init(&s.sink, fuzz_ctx(), false);
    s.svc = fuzz_service_new(s.store);
    run_lines(&s, text);
    service_free(s.svc);
    free(text);
    return 0;
}
