/* form.c - XEP-0004 data form helpers. */
#include "muc/form.h"

#include <stdlib.h>
#include <string.h>

#include "muc/stanza.h"

char *form_field_text(xmpp_stanza_t *field)
{
    xmpp_stanza_t *v = field ? xmpp_stanza_get_child_by_name(field, "value") : NULL;
    if (!v) return NULL;
    char *text = xmpp_stanza_get_text(v);
    if (!text) return strdup("");
    char *copy = strdup(text);
    xmpp_free(xmpp_stanza_get_context(v), text);
    return copy;
}

void form_free_text(char *text)
{
    free(text);
}

int form_parse_bool(const char *text, bool *out)
{
    if (!text) return -1;
    if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

xmpp_stanza_t *form_add_field(xmpp_ctx_t *ctx, xmpp_stanza_t *form, const char *var,
                              const char *type, const char *label)
{
    xmpp_stanza_t *f = stanza_add_child(ctx, form, "field", NULL);
    xmpp_stanza_set_attribute(f, "var", var);
    if (type) xmpp_stanza_set_attribute(f, "type", type);
    if (label) xmpp_stanza_set_attribute(f, "label", label);
    return f;
}

void form_add_value(xmpp_ctx_t *ctx, xmpp_stanza_t *field, const char *text)
{
    xmpp_stanza_t *v = stanza_add_child(ctx, field, "value", NULL);
    if (text && *text) stanza_add_text(ctx, v, text);
}

xmpp_stanza_t *form_get_field(xmpp_stanza_t *form, const char *var)
{
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(form); c;
         c = xmpp_stanza_get_next(c)) {
        if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "field") != 0)
            continue;
        const char *v = xmpp_stanza_get_attribute(c, "var");
        if (v && strcmp(v, var) == 0) return c;
    }
    return NULL;
}

char *form_type(xmpp_stanza_t *form)
{
    return form_field_text(form_get_field(form, "FORM_TYPE"));
}
