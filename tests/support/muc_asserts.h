/* muc_asserts.h - what the MUC unit tests share: the JIDs of room@ and its
 * users, stanza builders for that room, lookups in the capture and asserts
 * on muc#user presences, IQ results and data forms. */
#ifndef MUCD_TEST_MUC_ASSERTS_H
#define MUCD_TEST_MUC_ASSERTS_H

#include <stddef.h>
#include <strophe.h>

#include "muc/ns.h"
#include "tests/support/fixture.h"

#define ROOM  "room@" FX_DOMAIN
#define ALICE "alice@localhost/a"
#define BOB   "bob@localhost/b"
#define CAROL "carol@localhost/c"

#define NS_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"

/* ---- stanzas to room@ ------------------------------------------------- */

#define JOIN(from, nick)                                                                 \
    "<presence from='" from "' to='" ROOM "/" nick "'><x xmlns='" NS_MUC "'/></"         \
    "presence>"
#define LEAVE(from, nick)                                                                \
    "<presence type='unavailable' from='" from "' to='" ROOM "/" nick "'/>"
#define CONFIG(from, id, fields)                                                         \
    "<iq type='set' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA "' type='submit'>"            \
    "<field var='FORM_TYPE'><value>" NS_ROOMCONFIG "</value></field>" fields             \
    "</x></query></iq>"
#define FIELD(var, value)                                                                \
    "<field var='muc#roomconfig_" var "'><value>" value "</value></field>"
#define ADMIN_SET(from, id, items)                                                       \
    "<iq type='set' id='" id "' from='" from "' to='" ROOM                               \
    "'><query xmlns='" NS_MUC_ADMIN "'>" items "</query></iq>"
#define AFF_ITEM(jid, aff) "<item jid='" jid "' affiliation='" aff "'/>"
#define DISCO(id, to, ns)                                                                \
    "<iq type='get' id='" id "' from='" BOB "' to='" to "'><query xmlns='" ns "'/></iq>"

/* ---- reading stanzas -------------------------------------------------- */

/* The <x xmlns='muc#user'/> of a stanza, or NULL. */
xmpp_stanza_t *muc_x(xmpp_stanza_t *st);

/* The <item/> of a muc#user presence, failing the test if absent. */
xmpp_stanza_t *muc_item(xmpp_stanza_t *st);

/* Whether the muc#user <x/> carries <status code='code'/>. */
int has_status(xmpp_stanza_t *st, int code);

/* How many child elements named `name` st has (0 for NULL). */
int child_count(xmpp_stanza_t *st, const char *name);

/* Whether a disco#info <query/> lists the feature `var`. */
int has_feature(xmpp_stanza_t *query, const char *var);

/* The field `var` of a data form, failing if absent. */
xmpp_stanza_t *form_field(xmpp_stanza_t *x, const char *var);

/* Whether st is addressed to `to`. */
int is_to(xmpp_stanza_t *st, const char *to);

/* ---- asserts on stanzas ----------------------------------------------- */

/* Asserts el's text (expected NULL: el has no text); fails if el is NULL. */
void assert_text(xmpp_stanza_t *el, const char *expected);

/* Asserts the text of child `name` (expected NULL: no text); fails if the
 * child is absent. */
void assert_child_text(xmpp_stanza_t *st, const char *name, const char *expected);

/* Asserts a presence's kind, sender and muc#user item. jid NULL: absent. */
void assert_presence(xmpp_stanza_t *st, const char *type, const char *from,
                     const char *to, const char *aff, const char *role, const char *jid);

/* Asserts st is the result of IQ `id` sent by `to` to ROOM. */
void assert_result(xmpp_stanza_t *st, const char *id, const char *to);

/* ---- the capture ------------------------------------------------------ */

/* How many captured stanzas are addressed to `to`. */
size_t count_to(fixture_t *fx, const char *to);

/* The n-th (0-based) captured stanza addressed to `to`; fails if absent. */
xmpp_stanza_t *nth_to(fixture_t *fx, const char *to, size_t n);

/* How many captured stanzas are named `name` (presence, message, iq). */
size_t count_named(fixture_t *fx, const char *name);

/* The presence from `from` addressed to `to`; fails if absent. */
xmpp_stanza_t *presence_from_to(fixture_t *fx, const char *from, const char *to);

/* Whether any captured stanza carries an <error/>. */
int any_error(fixture_t *fx);

/* ---- the core --------------------------------------------------------- */

/* room@ (fx's service), failing the test if it does not exist. */
room_t *the_room(fixture_t *fx);

/* Feeds xml to svc (not fx's own service); returns how many stanzas it sent
 * into fx->cap. */
size_t feed_svc(fixture_t *fx, service_t *svc, const char *xml);

#endif
