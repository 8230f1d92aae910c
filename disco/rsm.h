/* rsm.h - XEP-0059 Result Set Management: the <set/> of a request and of
 * a reply. */
#ifndef MUCD_RSM_H
#define MUCD_RSM_H

#include <stdbool.h>
#include <strophe.h>

#define RSM_ID_MAX 1024

typedef struct rsm_req {
    bool present; /* the request had a <set/> */
    long max;     /* -1: not given */
    bool has_after, has_before;
    char after[RSM_ID_MAX];
    char before[RSM_ID_MAX]; /* "" with has_before: the last page */
    long index;              /* -1: not given */
} rsm_req_t;

/* Reads <set xmlns=rsm/> from parent (absent: present=false). Returns 0, or
 * -1 when it is malformed (a non-numeric or negative max/index, an over-long
 * id, after together with before). */
int rsm_parse(xmpp_stanza_t *parent, rsm_req_t *out);

/* Appends <set><first index>..</first><last/><count/></set> to parent.
 * first/last may be NULL (an empty page); first_index < 0 omits the index,
 * count < 0 the count. */
void rsm_add_reply(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *first,
                   long first_index, const char *last, long count);

#endif
