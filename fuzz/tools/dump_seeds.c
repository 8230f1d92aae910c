/* dump_seeds.c - records what the unit tests feed the core, to seed the
 * fuzzers (fuzz/tools/gen_corpus.sh). Linked into the unit tests with
 * -Wl,--wrap=service_handle,--wrap=config_load: every stanza is appended,
 * serialized on one line, to a file in $MUCD_SEED_DIR; a new service
 * starts a new file (one file per test, which builds its own service).
 * Every configuration file loaded is copied there as config-N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "component/config.h"
#include "muc/service.h"

void __real_service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out);
void __wrap_service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out);
int __real_config_load(const char *path, config_t *cfg, char *err, size_t errlen);
int __wrap_config_load(const char *path, config_t *cfg, char *err, size_t errlen);

static const service_t *last_svc;
static FILE *file;
static int seq;

/* The file of the current test: a new one when the service changed. */
static FILE *current_file(const service_t *svc)
{
    const char *dir = getenv("MUCD_SEED_DIR");
    if (!dir) return NULL;
    if (svc != last_svc || !file) {
        char path[512];
        if (file) fclose(file);
        snprintf(path, sizeof path, "%s/%d-%03d", dir, (int)getpid(), seq++);
        file = fopen(path, "w");
        last_svc = svc;
    }
    return file;
}

/* One stanza on one line: newlines become character references. */
static void write_line(FILE *f, const char *xml, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (xml[i] == '\n')
            fputs("&#10;", f);
        else
            fputc(xml[i], f);
    }
    fputc('\n', f);
    fflush(f);
}

void __wrap_service_handle(service_t *svc, xmpp_stanza_t *st, out_sink_t *out)
{
    FILE *f = current_file(svc);
    char *xml = NULL;
    size_t len = 0;
    if (f && xmpp_stanza_to_text(st, &xml, &len) == XMPP_EOK) {
        write_line(f, xml, len);
        xmpp_free(svc->ctx, xml);
    }
    __real_service_handle(svc, st, out);
}

/* Copies the file at path to $MUCD_SEED_DIR/config-PID-N. */
static void copy_config(const char *path)
{
    const char *dir = getenv("MUCD_SEED_DIR");
    FILE *in = dir ? fopen(path, "r") : NULL;
    if (!in) return;
    char out_path[512];
    snprintf(out_path, sizeof out_path, "%s/config-%d-%03d", dir, (int)getpid(), seq++);
    FILE *out = fopen(out_path, "w");
    for (int c; out && (c = fgetc(in)) != EOF;)
        fputc(c, out);
    if (out) fclose(out);
    fclose(in);
}

int __wrap_config_load(const char *path, config_t *cfg, char *err, size_t errlen)
{
    copy_config(path);
    return __real_config_load(path, cfg, err, errlen);
}
