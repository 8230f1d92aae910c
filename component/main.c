/* main.c - mucd: arguments, signals, and wiring of config, store, core and link. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "component/config.h"
#include "component/link.h"
#include "component/log.h"
#include "muc/persist.h"
#include "muc/service.h"
#include "storage/storage.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mucd -c FILE [--check-config]\n"
               "       mucd --version | --help\n\n"
               "A Multi-User Chat service (XEP-0045) run as an XMPP external component\n"
               "(XEP-0114).\n\n"
               "  -c, --config FILE   configuration file (INI; see muc.conf.example)\n"
               "  -t, --check-config  validate the configuration and exit\n"
               "  -V, --version       print the version and exit\n"
               "  -h, --help          print this help and exit\n");
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: wake the event loop */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a file-size limit (ulimit -f) makes a store write fail with EFBIG,
     * which the store reports like any write error, instead of killing us */
    signal(SIGXFSZ, SIG_IGN);
}

/* Forwards libstrophe's log lines into ours; its debug output is wire-level
 * and goes to "trace". */
static void strophe_log(void *ud, xmpp_log_level_t level, const char *area,
                        const char *msg)
{
    (void)ud;
    static const log_level_t map[] = {LOG_TRACE, LOG_DEBUG, LOG_WARN, LOG_ERROR};
    log_msg(map[level], "strophe", "%s: %s", area, msg);
}

static int serve(const config_t *cfg)
{
    char err[512];
    store_t *store = NULL;
    if (store_open(cfg->storage_path, (size_t)cfg->map_size_mb << 20, false, &store, err,
                   sizeof err) != STORE_OK) {
        LOG_E("storage", "%s", err);
        return EXIT_STORAGE;
    }
    xmpp_initialize();
    /* libstrophe formats every message before the handler sees it (a whole
     * stanza per RECV/SENT line): below "trace", its built-in filtering
     * logger drops debug output before formatting. */
    xmpp_log_t logger = {strophe_log, NULL};
    xmpp_log_t *strophe_logger =
        log_get_level() >= LOG_TRACE ? &logger : xmpp_get_default_logger(XMPP_LEVEL_WARN);
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, strophe_logger);
    service_opts_t opts = config_service_opts(cfg, store);
    service_t *svc = ctx ? service_new(ctx, &opts) : NULL;
    int code = EXIT_USAGE;
    if (svc) {
        LOG_I("mucd", "mucd %s serving %s (store %s)", MUCD_VERSION, cfg->domain,
              cfg->storage_path);
        code = link_run(cfg, svc, ctx, &stop_requested);
        persist_save_all_history(svc);
        LOG_I("mucd", "stopped (exit code %d)", code);
    } else {
        LOG_E("mucd", "out of memory at start-up");
    }
    service_free(svc);
    if (ctx) xmpp_ctx_free(ctx);
    xmpp_shutdown();
    store_close(store);
    return code;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"check-config", no_argument, NULL, 't'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int check_only = 0, opt;
    while ((opt = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 't':
            check_only = 1;
            break;
        case 'V':
            printf("mucd %s\n", MUCD_VERSION);
            return EXIT_OK;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    config_t cfg;
    char err[512];
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        LOG_E("config", "%s", err);
        return EXIT_USAGE;
    }
    log_set_level(cfg.log_level);
    int code = EXIT_OK;
    if (check_only)
        printf("%s: configuration OK\n", path);
    else {
        install_signals();
        code = serve(&cfg);
    }
    config_free(&cfg);
    return code;
}
