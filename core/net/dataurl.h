/* dataurl.h — decode RFC 2397 "data:" URLs, as Ignition configs carry file contents.
 *
 *   data:[<type>/<subtype>][;<attr>=<value>]...[;base64],<data>
 *
 * The grammar accepted is the one Ignition's own parser accepts (checked against
 * ignition-validate): the media type is optional, "base64" must be the last parameter and
 * lower case, parameter values are tokens or quoted strings; the data is made of URI
 * characters (RFC 2396 unreserved and reserved) and, unless base64, %XX escapes; base64 data
 * is standard-alphabet, padded, without white space or escapes. Anything else is refused
 * with the byte offset (within the URL) of the first bad character.
 */
#ifndef KEEL_DATAURL_H
#define KEEL_DATAURL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct kerr;

/* Decode url[0..len) (which starts with "data:") and append the bytes to out. More decoded
 * bytes than out->max is -E2BIG; a malformed URL is -EINVAL with e naming the offset.
 * *base64 (may be NULL) tells whether the data was base64. */
int dataurl_decode(const char *url, size_t len, struct buf *out, bool *base64, struct kerr *e);

/* The decoded size without decoding (for plans and limits); same errors as dataurl_decode. */
int dataurl_size(const char *url, size_t len, size_t *size, struct kerr *e);

#endif
