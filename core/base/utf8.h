/* utf8.h — UTF-8 as RFC 3629 has it: no overlong forms, no surrogates, nothing above U+10FFFF. */
#ifndef KEEL_UTF8_H
#define KEEL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The sequence at p (p < end): *ok = 1 and its length when it is well formed; else *ok = 0 and
 * the length of its maximal ill-formed prefix (at least 1): the bytes to skip or replace. */
size_t utf8_seq(const unsigned char *p, const unsigned char *end, int *ok);
/* cp (at most 0x10FFFF) encoded into out; returns its length, 1 to 4. */
size_t utf8_put(unsigned char out[4], uint32_t cp);

#endif
