/* fixture.h - a core under test: a libstrophe context whose allocations go
 * through cmocka's leak-checking allocator, a service and a capture sink. */
#ifndef MUCD_TEST_FIXTURE_H
#define MUCD_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "muc/service.h"
#include "tests/support/capture.h"

#define FX_DOMAIN "chat.localhost"
#define FX_USER   "alice@localhost/phone"

typedef struct fixture {
    xmpp_ctx_t *ctx;
    service_t *svc;
    capture_t cap;
} fixture_t;

/* cmocka setup/teardown: *state becomes a fixture_t. */
int fixture_setup(void **state);
int fixture_teardown(void **state);

/* Parses xml into a stanza, hands it to the core and releases it; returns
 * how many stanzas the core sent (they stay in fx->cap). */
size_t fixture_feed(fixture_t *fx, const char *xml);

/* Asserts st is an error stanza with the given error type and condition. */
void assert_stanza_error(xmpp_stanza_t *st, const char *type, const char *condition);

/* Asserts an attribute's value (NULL expects the attribute to be absent). */
void assert_attr(xmpp_stanza_t *st, const char *name, const char *expected);

#endif
