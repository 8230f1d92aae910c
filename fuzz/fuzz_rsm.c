/* fuzz_rsm.c - XEP-0059 result set management: the input is one <set/>
 * element. rsm_parse reads it (its result is checked against what rsm.h
 * promises), then it pages a disco#items request through the core over a
 * store of public rooms merged with rooms in memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/rsm.h"
#include "fuzz/harness.h"

#define GUEST  "guest@localhost/g"
#define NS_MUC "http://jabber.org/protocol/muc"
#define ITEMS_IQ                                                                         \
    "<iq type='get' id='r' from='" GUEST "' to='" FUZZ_DOMAIN "'>"                       \
    "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>"

static service_t *svc;

/* Stored public rooms "r00".."r11" (every other one with a title). */
static void import_rooms(store_t *st)
{
    store_room_t rooms[12];
    char names[12][8];
    for (int i = 0; i < 12; i++) {
        snprintf(names[i], sizeof names[i], "r%02d", i);
        rooms[i] = (store_room_t){.name = names[i],
                                  .title = i % 2 ? "Title" : NULL,
                                  .persistent = true,
                                  .public_list = true,
                                  .history_length = 5};
    }
    if (store_rooms_import(st, rooms, 12) != STORE_OK) abort();
}

/* Temporary rooms in memory, interleaved with the stored ones. */
static void memory_rooms(fuzz_sink_t *sink)
{
    static const char *const names[] = {"a", "r05x", "zz"};
    char xml[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(xml, sizeof xml,
                 "<presence from='" GUEST "' to='%s@" FUZZ_DOMAIN "/g'><x xmlns='" NS_MUC
                 "'/></presence>",
                 names[i]);
        fuzz_feed(svc, sink, xml);
        snprintf(xml, sizeof xml,
                 "<iq type='set' id='c' from='" GUEST "' to='%s@" FUZZ_DOMAIN
                 "'><query xmlns='" NS_MUC "#owner'><x xmlns='jabber:x:data' "
                 "type='submit'/></query></iq>",
                 names[i]);
        fuzz_feed(svc, sink, xml);
    }
}

/* The service is read-only for disco#items: built once per process. */
static void setup(void)
{
    fuzz_sink_t sink;
    fuzz_sink_init(&sink, fuzz_ctx(), false);
    import_rooms(fuzz_store());
    svc = fuzz_service_new(fuzz_store());
    memory_rooms(&sink);
}

/* What rsm.h promises of a request it accepted. */
static void check(const rsm_req_t *r)
{
    if (r->max < -1 || r->index < -1) abort();
    if (strlen(r->after) >= RSM_ID_MAX || strlen(r->before) >= RSM_ID_MAX) abort();
    if (r->has_after && (r->has_before || r->after[0] == '\0')) abort();
    if (!r->present && (r->has_after || r->has_before || r->max != -1)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!svc) setup();
    char *text = strndup((const char *)data, size);
    xmpp_stanza_t *set = text ? xmpp_stanza_new_from_string(fuzz_ctx(), text) : NULL;
    free(text);
    if (!set) return 0;
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(fuzz_ctx(), ITEMS_IQ);
    if (!iq) abort();
    xmpp_stanza_t *query = xmpp_stanza_get_children(iq);
    xmpp_stanza_add_child(query, set);
    xmpp_stanza_release(set);
    rsm_req_t r;
    if (rsm_parse(query, &r) == 0) check(&r);
    fuzz_sink_t sink;
    fuzz_sink_init(&sink, fuzz_ctx(), false);
    service_handle(svc, iq, &sink.sink);
    if (sink.count != 1) abort(); /* every IQ get gets exactly one reply */
    xmpp_stanza_release(iq);
    return 0;
}
