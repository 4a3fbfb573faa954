/* release.c — fuzz core/update: the first byte picks the parser. Even: the rest is a target's
 * "custom" JSON for release_parse (target length from the next 8 bytes' low 40 bits). A release
 * that parses has chunks whose offsets follow each other from 0, whose lengths add up to the
 * target length and whose sizes add up to the image size, each within the caps. Odd: the rest
 * is an update state file for state_parse; one that parses formats back to the same bytes. */
#include "update/release.h"
#include "update/state.h"

#include "base/applet.h"
#include "base/buf.h"
#include "base/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((weak)) const struct applet *keel_applet;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "release fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size || size > 1 << 20)
		return 0;
	if (data[0] & 1) {
		struct ustate s;
		if (!state_parse((const char *)data + 1, size - 1, &s, NULL)) {
			struct buf b = BUF_INIT(STATE_MAX);
			check(!state_format(&s, &b), "a parsed state formats");
			check(b.len == size - 1 && !memcmp(b.p, data + 1, b.len), "a parsed state formats to the same bytes");
			buf_free(&b);
		}
		return 0;
	}
	if (size < 9)
		return 0;
	uint64_t len = 0;
	for (int i = 0; i < 8; i++)
		len |= (uint64_t)data[1 + i] << (8 * i);
	len &= ((uint64_t)1 << 40) - 1;
	struct json_doc d = {0};
	struct release r;
	if (!json_parse(&d, data + 9, size - 9, NULL, NULL) && !release_parse(d.root, len, &r, NULL)) {
		uint64_t off = 0, img = 0;
		check(r.nchunks >= 1 && r.nchunks <= RELEASE_MAX_CHUNKS, "chunk count");
		for (size_t i = 0; i < r.nchunks; i++) {
			struct release_chunk c;
			release_chunk(&r, i, &c);
			check(c.offset == off, "offsets follow each other");
			check(c.length >= 1 && c.length <= RELEASE_CHUNK_MAX + RELEASE_FRAME_SLACK && c.length <= r.clen_max, "length cap");
			check(c.size >= 1 && c.size <= RELEASE_CHUNK_MAX, "size cap");
			off += c.length;
			img += c.size;
		}
		check(off == len && off == r.compressed, "lengths add up to the target");
		check(img == r.image_size && r.image_size % 4096 == 0, "sizes add up to the image");
		check(r.verity_len == 32 || r.verity_len == 64, "root hash size");
	}
	json_free(&d);
	return 0;
}
