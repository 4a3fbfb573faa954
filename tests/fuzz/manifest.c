/* manifest.c — fuzz core/manifest: the input is the 64 KiB manifest area (framing + text); the
 * text is also parsed on its own so the parser sees every input even without a valid frame.
 *
 * The text format has one spelling for each manifest (fixed lines and order, numbers without
 * leading zeros, nothing after root-hash), except the case of hex digits: a text that parses,
 * printed from what was parsed, is that text up to case and parses to the same manifest.
 */
#include "trust/manifest.h"

#include "base/applet.h"
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* core/base/log.c and core/base/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "manifest fuzz: %s\n", what);
		abort();
	}
}

static size_t print(const struct manifest *m, char *out, size_t cap)
{
	char salt[2 * sizeof(m->salt) + 1] = "-", root[2 * HASH_MAX_SIZE + 1];
	if (m->salt_len)
		hex_encode(salt, m->salt, m->salt_len);
	hex_encode(root, m->root_hash, hash_size(m->hash));
	int n = snprintf(out, cap, "keel-slot-manifest 1\nversion %s\nfs %s\nhash %s\ndata-block-size %u\n"
		"hash-block-size %u\ndata-blocks %llu\nhash-offset %llu\nsalt %s\nroot-hash %s\n", m->version, m->fs,
		hash_name(m->hash), m->data_block_size, m->hash_block_size, (unsigned long long)m->data_blocks,
		(unsigned long long)m->hash_offset, salt, root);
	check(n > 0 && (size_t)n < cap, "printed manifest too long");
	return (size_t)n;
}

static void text(const uint8_t *t, size_t len)
{
	static char out[MANIFEST_TEXT_MAX + 1024];
	struct manifest m, again;
	char table[1024], table2[1024];
	if (manifest_parse(t, len, &m, NULL))
		return;
	size_t n = print(&m, out, sizeof(out));
	check(n == len && !strncasecmp(out, (const char *)t, n), "the text is not the one printed from it");
	check(!manifest_parse((const uint8_t *)out, n, &again, NULL), "printed manifest does not parse");
	check(!memcmp(&m, &again, sizeof(m)), "printed manifest parses differently");
	check(!manifest_verity_table(&m, "/dev/vda2", table, sizeof(table)) &&
			!manifest_verity_table(&again, "/dev/vda2", table2, sizeof(table2)) && !strcmp(table, table2),
		"verity table");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *t, *s;
	size_t tl, sl;
	if (!manifest_split(data, size, &t, &tl, &s, &sl, NULL)) {
		check(t == data + 16 && tl && sl && 16 + tl + sl <= size, "split outside the area");
		text(t, tl);
	}
	text(data, size);
	return 0;
}
