/* form.h - XEP-0004 data form helpers. */
#ifndef MUCD_FORM_H
#define MUCD_FORM_H

#include <stdbool.h>
#include <strophe.h>

/* The text of a field's first <value/>, newly allocated (free with
 * form_free_text), or NULL when it has none. */
char *form_field_text(xmpp_stanza_t *field);
void form_free_text(char *text);

/* Parses an XEP-0004 boolean ("1"/"true"/"0"/"false"); 0 or -1. */
int form_parse_bool(const char *text, bool *out);

/* Adds <field var type label> to form and returns it (borrowed). */
xmpp_stanza_t *form_add_field(xmpp_ctx_t *ctx, xmpp_stanza_t *form, const char *var,
                              const char *type, const char *label);
/* Adds <value>text</value> to field. */
void form_add_value(xmpp_ctx_t *ctx, xmpp_stanza_t *field, const char *text);

/* The <field var=var/> of a form, or NULL. */
xmpp_stanza_t *form_get_field(xmpp_stanza_t *form, const char *var);
/* The FORM_TYPE value of a form (newly allocated) or NULL. */
char *form_type(xmpp_stanza_t *form);

#endif
