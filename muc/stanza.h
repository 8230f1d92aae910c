/* stanza.h - small helpers over libstrophe stanzas.
 * Ownership: functions returning xmpp_stanza_t * return +1 unless noted. */
#ifndef MUCD_STANZA_H
#define MUCD_STANZA_H

#include <stdbool.h>
#include <strophe.h>

/* A reply skeleton to `orig`: same name, id and type; to = orig's from and
 * from = orig's to (a component must set from itself). No children. */
xmpp_stanza_t *stanza_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *orig);

/* Creates <name xmlns=ns/> (ns may be NULL), appends it to parent and returns
 * it BORROWED: the parent holds the only reference. */
xmpp_stanza_t *stanza_add_child(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name,
                                const char *ns);

/* Appends a text node to parent. */
void stanza_add_text(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *text);

/* libstrophe's parser names xml:lang "lang": gives it back its prefix. */
void stanza_fix_lang(xmpp_stanza_t *st);

/* Drops the stream's default namespace (jabber:component:accept or
 * jabber:client) from the descendants of the stanza st that are in it: they
 * are in that namespace anyway, and every relayed copy would repeat the
 * declaration for the server to parse. Elements of other namespaces keep
 * theirs, and so does everything below them. st's own xmlns is left alone:
 * libstrophe still holds it while it runs handlers for st (drop it on a
 * copy, see stanza_strip_own_ns). */
void stanza_strip_stream_ns_below(xmpp_stanza_t *st);

/* Drops st's own xmlns when it is the stream's namespace (st: a copy). */
void stanza_strip_own_ns(xmpp_stanza_t *st);

/* The stanza's serialized size, estimated without serializing it (names,
 * attributes, text and markup); the walk stops once it passes `cap`. */
size_t stanza_size_estimate(xmpp_stanza_t *st, size_t cap);

/* A deep copy of st (+1) with only the children `keep` accepts (ud is
 * passed through); NULL when out of memory. */
xmpp_stanza_t *stanza_copy_filtered(xmpp_stanza_t *st,
                                    bool (*keep)(xmpp_stanza_t *child, void *ud),
                                    void *ud);

/* Counts the element (non-text) children of st. */
int stanza_element_count(xmpp_stanza_t *st);

/* First element child of st (borrowed), or NULL. */
xmpp_stanza_t *stanza_first_element(xmpp_stanza_t *st);

/* True when the stanza's type attribute equals `type` (NULL matches absent). */
bool stanza_type_is(xmpp_stanza_t *st, const char *type);

#endif
