/* scan.h — cursor scanning of short text fields (kernel versions, /proc lines), in place of
 * sscanf: musl's vfscanf pulls in its floating-point scanner (11 KiB in keel) for nothing.
 * Each function reads at p and returns the position after what it read, or NULL when the text
 * there does not match (NULL in is NULL out, so calls chain). Nothing skips blanks unless it
 * says so; no signs or "0x" prefixes unless said. */
#ifndef KEEL_SCAN_H
#define KEEL_SCAN_H

#include <stddef.h>

const char *scan_blanks(const char *p);                   /* zero or more isspace() characters */
const char *scan_uint(const char *p, unsigned base, unsigned *out); /* 1+ digits (base 10 or 16), <= UINT_MAX */
const char *scan_int(const char *p, int *out);            /* optional '-', 1+ decimal digits, in int */
const char *scan_char(const char *p, char *out);          /* any one character but NUL */
const char *scan_lit(const char *p, char c);              /* the character c (not NUL) */
/* 1+ characters of accept (NULL: any but blanks and NUL), at most n - 1 of them, copied to out
 * with a NUL (as sscanf's %N[…] / %Ns: a longer run is cut and the rest is left unread). */
const char *scan_span(const char *p, const char *accept, char *out, size_t n);

#endif
