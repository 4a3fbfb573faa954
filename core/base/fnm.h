/* fnm.h — shell wildcard matching as fnmatch(3) does it in the C locale, for the flags keel uses
 * (0, FNM_PERIOD, FNM_CASEFOLD). musl's fnmatch works on wide characters and pulls in its
 * Unicode class and case tables (16 KiB in keel); keel never sets a locale, so a byte is a
 * character and the classes and case are ASCII's. tests/unit/fnm_test.c compares it with the C
 * library's fnmatch on a large set of generated patterns and names. */
#ifndef KEEL_FNM_H
#define KEEL_FNM_H

#include <fnmatch.h> /* FNM_NOMATCH, FNM_PERIOD, FNM_CASEFOLD */

/* 0 if name matches pattern, FNM_NOMATCH if not; flags: FNM_PERIOD, FNM_CASEFOLD. */
int fnm_match(const char *pattern, const char *name, int flags);

#endif
