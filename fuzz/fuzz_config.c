/* fuzz_config.c - the INI configuration: the input is a whole mucd.conf.
 * config_load only reads a path, so the bytes go to an in-memory file
 * (memfd) opened through /proc/self/fd. A file it accepts then builds a
 * service as mucd does, which splits the creators and admins lists. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "component/config.h"
#include "fuzz/harness.h"

static int fd = -1;

/* Replaces the memfd's content with the input; returns 0 or -1. */
static int write_input(const uint8_t *data, size_t size)
{
    if (fd < 0 && (fd = memfd_create("mucd-fuzz.conf", 0)) < 0) abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) return -1;
    return 0;
}

/* What config.h promises of a file it accepted. */
static void check(const config_t *cfg)
{
    if (!cfg->server || !cfg->domain || !cfg->secret || !cfg->storage_path) abort();
    if (cfg->port < 1 || cfg->port > 65535 || cfg->map_size_mb < 1) abort();
    if (cfg->max_nick_length < 1 || cfg->history_length < 0) abort();
}

/* A service from the configuration, asked who may create rooms. */
static void build_service(const config_t *cfg)
{
    service_opts_t opts = config_service_opts(cfg, NULL);
    service_t *svc = service_new(fuzz_ctx(), &opts);
    if (!svc) abort();
    jid_t j;
    if (jid_parse("someone@localhost/r", &j) == 0) (void)service_may_create(svc, &j);
    (void)service_is_admin(svc, "admin@localhost");
    service_free(svc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (write_input(data, size) != 0) return 0;
    char path[64], err[1024];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    config_t cfg;
    if (config_load(path, &cfg, err, sizeof err) == 0) {
        check(&cfg);
        build_service(&cfg);
        config_free(&cfg);
    } else if (err[0] == '\0') {
        abort(); /* a refusal always says why */
    }
    return 0;
}
