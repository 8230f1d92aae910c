/* null_component.c - the ceiling for any MUC component behind a server.
 *
 * A XEP-0114 component that does no MUC work: every available presence to
 * ROOM@DOMAIN/NICK is remembered as a member and answered with a bare self
 * presence (status 110), an owner IQ gets an empty result, and every
 * groupchat message is copied to every member as
 *   <message type='groupchat' id=.. from='ROOM@DOMAIN/NICK' to=..><body/>..
 * the shape mucd relays, with the occupant-id and stanza-id every MUC must
 * add today (XEP-0421, XEP-0359). No roles, no history, no checks, no
 * storage: what the server spends on its traffic is the least any
 * component can cost it.
 * bench/e2e.sh runs the same client workload against it, against mucd and
 * against the server's own MUC.
 *
 *   null-component HOST PORT DOMAIN SECRET
 * Runs until SIGTERM/SIGINT. Benchmark tool only: not part of mucd. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#define MAX_MEMBERS 100000

typedef struct member {
    char *jid;  /* the member's full JID (owned) */
    char *from; /* ROOM@DOMAIN/NICK it speaks as (owned) */
} member_t;

static member_t members[MAX_MEMBERS];
static size_t nmembers;
static volatile sig_atomic_t stop;
static int live;  /* the real connection attempt has started */
static char *out; /* one turn's outgoing bytes */
static size_t out_len, out_cap;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void put(const char *s, size_t n)
{
    if (out_len + n > out_cap) {
        out_cap = (out_len + n) * 2;
        if (!(out = realloc(out, out_cap))) abort();
    }
    memcpy(out + out_len, s, n);
    out_len += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

static const char *from_of(const char *jid)
{
    for (size_t i = 0; i < nmembers; i++)
        if (strcmp(members[i].jid, jid) == 0) return members[i].from;
    return NULL;
}

static void on_presence(xmpp_stanza_t *st)
{
    const char *from = xmpp_stanza_get_from(st), *to = xmpp_stanza_get_to(st);
    if (!from || !to || xmpp_stanza_get_type(st) || nmembers == MAX_MEMBERS) return;
    if (!from_of(from)) {
        members[nmembers].jid = strdup(from);
        members[nmembers].from = strdup(to);
        nmembers++;
    }
    char buf[1024];
    snprintf(buf, sizeof buf,
             "<presence from='%s' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'>"
             "<item affiliation='member' role='participant'/><status code='110'/></x>"
             "</presence>",
             to, from);
    puts_(buf);
}

static void on_iq(xmpp_stanza_t *st)
{
    const char *from = xmpp_stanza_get_from(st), *to = xmpp_stanza_get_to(st);
    const char *id = xmpp_stanza_get_id(st), *type = xmpp_stanza_get_type(st);
    if (!from || !to || !id || !type || strcmp(type, "set") != 0) return;
    char buf[1024];
    snprintf(buf, sizeof buf, "<iq type='result' id='%s' from='%s' to='%s'/>", id, to,
             from);
    puts_(buf);
}

static void on_message(xmpp_stanza_t *st)
{
    const char *speaker =
        from_of(xmpp_stanza_get_from(st) ? xmpp_stanza_get_from(st) : "");
    const char *id = xmpp_stanza_get_id(st);
    xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(st, "body");
    char *text = NULL;
    size_t len = 0;
    if (!speaker || !id || !body || xmpp_stanza_to_text(body, &text, &len) != 0) return;
    /* the ids a MUC must add today (XEP-0421, XEP-0359), same sizes as mucd's */
    char ids[512], room[256];
    snprintf(room, sizeof room, "%.*s", (int)strcspn(speaker, "/"), speaker);
    snprintf(
        ids, sizeof ids,
        "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='AAAAAAAAAAAAAAAAAAAAAAAAAAA'/>"
        "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='BBBBBBBBBBBBBBBBBBBBBB'/>",
        room);
    for (size_t i = 0; i < nmembers; i++) {
        char head[1024];
        snprintf(head, sizeof head,
                 "<message type='groupchat' id='%s' from='%s' to='%s'>", id, speaker,
                 members[i].jid);
        puts_(head);
        put(text, len);
        puts_(ids);
        puts_("</message>");
    }
    xmpp_free(xmpp_stanza_get_context(st), text);
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)ud;
    const char *name = xmpp_stanza_get_name(st);
    if (strcmp(name, "presence") == 0)
        on_presence(st);
    else if (strcmp(name, "iq") == 0)
        on_iq(st);
    else if (strcmp(name, "message") == 0)
        on_message(st);
    if (out_len) xmpp_send_raw(conn, out, out_len);
    out_len = 0;
    return 1;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int err,
                    xmpp_stream_error_t *se, void *ud)
{
    (void)conn, (void)err, (void)se, (void)ud;
    if (live && (ev == XMPP_CONN_DISCONNECT || ev == XMPP_CONN_FAIL)) stop = 1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: null-component HOST PORT DOMAIN SECRET\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    xmpp_initialize();
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    xmpp_conn_set_jid(conn, argv[3]);
    xmpp_conn_set_pass(conn, argv[4]);
    /* libstrophe 0.12 needs its stream-management state allocated by a
     * client connect first (see component/link.c). */
    xmpp_connect_client(conn, "", 0, on_conn, NULL);
    xmpp_handler_add(conn, on_stanza, NULL, NULL, NULL, NULL);
    live = 1;
    if (xmpp_connect_component(conn, argv[1], (unsigned short)atoi(argv[2]), on_conn,
                               NULL) != XMPP_EOK) {
        fprintf(stderr, "null-component: cannot connect\n");
        return 1;
    }
    while (!stop)
        xmpp_run_once(ctx, 100);
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    for (size_t i = 0; i < nmembers; i++)
        free(members[i].jid), free(members[i].from);
    free(out);
    return 0;
}
