/*
 * log.c - xld's log (see log.h).
 *
 * The log is process-wide state, set once in main: a daemon has one
 * log, and passing it to every function would only add noise.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "log.h"

enum sink {
    SINK_STDERR,
    SINK_JOURNAL,
    SINK_SYSLOG,
};

static enum sink sink = SINK_STDERR;
static enum xld_log_level max_level = XLD_LOG_INFO;

/* Our levels are syslog's, in the same order. */
static const int priorities[] = {
    [XLD_LOG_ERR] = LOG_ERR,
    [XLD_LOG_WARNING] = LOG_WARNING,
    [XLD_LOG_NOTICE] = LOG_NOTICE,
    [XLD_LOG_INFO] = LOG_INFO,
    [XLD_LOG_DEBUG] = LOG_DEBUG,
};

static const char *const names[] = {
    [XLD_LOG_ERR] = "error",
    [XLD_LOG_WARNING] = "warning",
    [XLD_LOG_NOTICE] = "notice",
    [XLD_LOG_INFO] = "info",
    [XLD_LOG_DEBUG] = "debug",
};

void xld_log_open(bool foreground, enum xld_log_level level)
{
    max_level = level;
    if (foreground) {
        sink = SINK_STDERR;
    } else if (getenv("JOURNAL_STREAM")) {
        /* systemd connected stderr to the journal: talk to the journal
         * directly, which keeps the priority of every message. */
        sink = SINK_JOURNAL;
    } else {
        sink = SINK_SYSLOG;
        openlog("xld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    }
}

void xld_log_close(void)
{
    if (sink == SINK_SYSLOG)
        closelog();
    sink = SINK_STDERR;
}

bool xld_log_enabled(enum xld_log_level level)
{
    return level <= max_level;
}

void xld_log(enum xld_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (!xld_log_enabled(level))
        return;
    va_start(ap, fmt);
    switch (sink) {
    case SINK_STDERR: {
        struct timespec ts;
        struct tm tm;
        char when[32] = "";

        /* Local time to the millisecond: the foreground is for people
         * watching a terminal, and for test logs. */
        clock_gettime(CLOCK_REALTIME, &ts);
        if (localtime_r(&ts.tv_sec, &tm))
            strftime(when, sizeof(when), "%H:%M:%S", &tm);
        flockfile(stderr);
        fprintf(stderr, "%s.%03ld xld: %s: ", when, ts.tv_nsec / 1000000,
                names[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        funlockfile(stderr);
        break;
    }
    case SINK_JOURNAL:
        sd_journal_printv(priorities[level], fmt, ap);
        break;
    case SINK_SYSLOG:
        vsyslog(priorities[level], fmt, ap);
        break;
    }
    va_end(ap);
}
