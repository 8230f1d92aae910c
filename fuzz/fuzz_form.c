/* fuzz_form.c - data forms (XEP-0004): the input is one <x/> element. It
 * goes through the helpers of muc/form.c, then through the core as the
 * owner's room configuration (muc#owner submit) of a new room, and again
 * of the unlocked room; what follows reads the result back (the owner
 * form, disco#info, a second user entering and talking, the room unloaded
 * from the store and loaded again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/harness.h"
#include "muc/form.h"

#define ROOM   "room@" FUZZ_DOMAIN
#define OWNER  "owner@localhost/o"
#define GUEST  "guest@localhost/g"
#define NS_MUC "http://jabber.org/protocol/muc"
#define CONFIG_IQ                                                                        \
    "<iq type='set' id='cfg' from='" OWNER "' to='" ROOM "'>"                            \
    "<query xmlns='" NS_MUC "#owner'/></iq>"

/* What happens around the submitted form, in order (NULL: the form). */
static const char *const script[] = {
    "<presence from='" OWNER "' to='" ROOM "/owner'><x xmlns='" NS_MUC "'/></presence>",
    NULL,
    NULL,
    "<iq type='get' id='g' from='" OWNER "' to='" ROOM "'><query xmlns='" NS_MUC
    "#owner'/></iq>",
    "<presence from='" GUEST "' to='" ROOM "/guest'><x xmlns='" NS_MUC "'>"
    "<password>secret</password></x></presence>",
    "<message type='groupchat' from='" GUEST "' to='" ROOM "'><body>hi</body></message>",
    "<message type='groupchat' from='" OWNER "' to='" ROOM
    "'><subject>topic</subject></message>",
    "<presence type='unavailable' from='" GUEST "' to='" ROOM "/guest'/>",
    "<presence type='unavailable' from='" OWNER "' to='" ROOM "/owner'/>",
    "<iq type='get' id='i' from='" GUEST "' to='" ROOM "'><query "
    "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    "<iq type='get' id='s' from='" GUEST "' to='" FUZZ_DOMAIN "'><query "
    "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
    "<presence from='" GUEST "' to='" ROOM "/guest'><x xmlns='" NS_MUC "'/></presence>",
};

/* The helpers of muc/form.c on every field of the form. */
static void form_helpers(xmpp_stanza_t *x)
{
    form_free_text(form_type(x));
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c)) continue;
        const char *var = xmpp_stanza_get_attribute(c, "var");
        bool field = strcmp(xmpp_stanza_get_name(c), "field") == 0;
        if (field && var && !form_get_field(x, var)) abort(); /* it is there */
        char *text = form_field_text(c);
        bool b;
        (void)form_parse_bool(text, &b);
        form_free_text(text);
    }
}

/* Sends the owner's configuration IQ carrying form x. */
static void submit(service_t *svc, fuzz_sink_t *sink, xmpp_stanza_t *x)
{
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(svc->ctx, CONFIG_IQ);
    if (!iq) abort();
    xmpp_stanza_t *copy = xmpp_stanza_copy(x);
    xmpp_stanza_add_child(xmpp_stanza_get_children(iq), copy);
    xmpp_stanza_release(copy);
    service_handle(svc, iq, &sink->sink);
    xmpp_stanza_release(iq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = strndup((const char *)data, size);
    xmpp_stanza_t *x = text ? xmpp_stanza_new_from_string(fuzz_ctx(), text) : NULL;
    free(text);
    if (!x) return 0;
    form_helpers(x);
    store_t *st = fuzz_store();
    fuzz_store_wipe(st);
    fuzz_clock_reset();
    fuzz_sink_t sink;
    fuzz_sink_init(&sink, fuzz_ctx(), size % 2 == 0);
    service_t *svc = fuzz_service_new(st);
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        if (script[i])
            fuzz_feed(svc, &sink, script[i]);
        else
            submit(svc, &sink, x);
    }
    service_free(svc);
    xmpp_stanza_release(x);
    return 0;
}
