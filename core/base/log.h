/* log.h — messages to stderr, or to /dev/kmsg when keel runs as PID 1.
 *
 * Every line is "keel APPLET: message". Never pass secrets (keys, passwords, config contents).
 */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

enum { KLOG_ERR = 3, KLOG_WARN = 4, KLOG_NOTICE = 5, KLOG_INFO = 6, KLOG_DEBUG = 7 };

/* Send messages to the kernel log (PID 1) instead of stderr. Returns 0 or -errno. */
int log_to_kmsg(void);
/* While logging to /dev/kmsg, also write messages of level min..max to stderr (PID 1's console:
 * what the kernel's console log level would hide). Default: none. */
void log_echo_stderr(int min, int max);
/* Messages above this level are dropped (default KLOG_NOTICE; KEEL_LOG=debug|info|... overrides). */
void log_set_level(int level);
int log_level(void);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) log_msg(KLOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(KLOG_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(KLOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(KLOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(KLOG_DEBUG, __VA_ARGS__)

/* Log an error line and return exitcode: return kfail(EXIT_FAIL, "open %s: %s", …). */
int kfail(int exitcode, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
