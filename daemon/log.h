/*
 * log.h - xld's log: to stderr when it runs in the foreground (-f), to
 * the journal when systemd started it, to syslog otherwise.
 *
 * Every message has a level; those below the level chosen at start (by
 * -v) are dropped before they are formatted.
 */
#ifndef XLD_LOG_H
#define XLD_LOG_H

#include <stdbool.h>

/* The syslog levels xld uses, most severe first. */
enum xld_log_level {
    XLD_LOG_ERR,       /* something failed and needs an admin */
    XLD_LOG_WARNING,   /* something failed and xld went on */
    XLD_LOG_NOTICE,    /* a guest or xld did something an admin cares about */
    XLD_LOG_INFO,      /* the default level: every operation */
    XLD_LOG_DEBUG,     /* -v: every request */
};

/*
 * Start logging.  foreground: to stderr; otherwise to the journal (when
 * stderr is the journal's stream, as systemd sets JOURNAL_STREAM) or to
 * syslog.  level: the least severe level printed.
 */
void xld_log_open(bool foreground, enum xld_log_level level);
void xld_log_close(void);

/* Whether a message of this level would be printed: callers that must
 * compute something only to log it ask first. */
bool xld_log_enabled(enum xld_log_level level);

void xld_log(enum xld_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define xld_err(...) xld_log(XLD_LOG_ERR, __VA_ARGS__)
#define xld_warn(...) xld_log(XLD_LOG_WARNING, __VA_ARGS__)
#define xld_notice(...) xld_log(XLD_LOG_NOTICE, __VA_ARGS__)
#define xld_info(...) xld_log(XLD_LOG_INFO, __VA_ARGS__)
#define xld_debug(...) xld_log(XLD_LOG_DEBUG, __VA_ARGS__)

#endif /* XLD_LOG_H */
