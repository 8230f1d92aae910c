/* log.c - leveled, timestamped logging to stderr. */
#include "component/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static log_level_t current_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static const char *const level_tags[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void log_set_level(log_level_t level)
{
    current_level = level;
}
log_level_t log_get_level(void)
{
    return current_level;
}

int log_level_parse(const char *name, log_level_t *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

void log_vmsg(log_level_t level, const char *module, const char *fmt, va_list ap)
{
    if (level > current_level) return;
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "%s.%03ldZ %s %s: ", stamp, ts.tv_nsec / 1000000L,
                     level_tags[level], module);
    if (n < 0) return;
    if ((size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    fprintf(stderr, "%s\n", line);
}

void log_msg(log_level_t level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, module, fmt, ap);
    va_end(ap);
}
