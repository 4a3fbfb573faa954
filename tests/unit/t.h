/* t.h — keel's unit-test harness: table-driven cases, one line per failure.
 *
 *   T_TEST(json_numbers) {
 *       static const struct { const char *in; int ok; } cases[] = { {"1", 1}, {"01", 0} };
 *       for (size_t i = 0; i < T_LEN(cases); i++)
 *           t_check(parse(cases[i].in) == cases[i].ok, "case %zu: %s", i, cases[i].in);
 *   }
 *
 * Every t_check counts as one test. The binary prints "FAIL: file:line: message" for each failed
 * check, "PASS: test" for each test function whose checks all held, and ends with the line
 * "RESULT: <passed> <failed>" that tests/run.sh adds up. `unit NAME…` runs only those tests.
 */
#ifndef KEEL_T_H
#define KEEL_T_H

#include <stddef.h>

#define T_LEN(a) (sizeof(a) / sizeof((a)[0]))

void t_register(const char *name, void (*fn)(void));
void t_report(int ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A fresh empty directory for this test (removed at exit); returns its path. */
const char *t_tmpdir(void);
/* Write a file below t_tmpdir(); returns its full path (static storage, valid until next call). */
const char *t_write(const char *name, const void *data, size_t len);

/* Allocation failures (tests/unit/alloc.c): from now on the nth call to malloc, calloc, realloc,
 * strdup or strndup returns NULL (0: none); t_alloc_failed() ends that and returns whether it
 * happened. */
void t_alloc_fail(long n);
int t_alloc_failed(void);
/* From now on (on != 0) every close() closes and then fails with EIO; 0 ends that. */
void t_close_fail(int on);

#define t_check(cond, ...) t_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define T_TEST(name)                                                                  \
	static void name(void);                                                           \
	__attribute__((constructor)) static void name##_register(void) { t_register(#name, name); } \
	static void name(void)

#endif
