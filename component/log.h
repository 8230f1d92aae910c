/* log.h - leveled, timestamped logging to stderr. */
#ifndef MUCD_LOG_H
#define MUCD_LOG_H

#include <stdarg.h>

typedef enum {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE, /* libstrophe's own wire-level debug output */
} log_level_t;

/* Sets the most verbose level that is printed (default LOG_INFO). */
void log_set_level(log_level_t level);
log_level_t log_get_level(void);

/* Parses "error|warn|info|debug|trace"; returns 0 and sets *out, or -1. */
int log_level_parse(const char *name, log_level_t *out);

/* Prints "2026-11-23T09:10:11.123Z LEVEL module: message" to stderr. */
void log_msg(log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(log_level_t level, const char *module, const char *fmt, va_list ap);

#define log_enabled(level) ((level) <= log_get_level())
#define LOG_E(mod, ...)    log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define LOG_W(mod, ...)    log_msg(LOG_WARN, mod, __VA_ARGS__)
#define LOG_I(mod, ...)    log_msg(LOG_INFO, mod, __VA_ARGS__)
#define LOG_D(mod, ...)                                                                  \
    do {                                                                                 \
        if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, mod, __VA_ARGS__);                \
    } while (0)

#endif
