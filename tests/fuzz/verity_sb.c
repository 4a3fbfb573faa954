/* verity_sb.c — fuzz the dm-verity superblock parser: whatever it accepts lays out and
 * re-encodes to the same bytes (pads aside), and building a table line never fails. */
#include "base/err.h"
#include "trust/verity.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verity_params p;
	struct verity_layout l;
	struct kerr e = {0};
	verity_params_default(&p);
	if (verity_sb_decode(&p, data, size, &e))
		return 0;
	if (verity_layout(&p, &l, &e))
		abort(); /* decode promised a valid layout */
	uint8_t sb[VERITY_SB_SIZE], root[HASH_MAX_SIZE] = {0};
	verity_sb_encode(&p, sb);
	/* the fields survive a round trip (not the reserved pads, nor bytes after the algorithm's
	 * NUL or after the salt) */
	if (memcmp(sb, data, 32) || memcmp(sb + 64, data + 64, 82 - 64) || memcmp(sb + 88, data + 88, p.salt_size) ||
		strcmp((const char *)sb + 32, hash_name(p.alg)))
		abort();
	char line[1024];
	if (verity_dm_table(&p, "/dev/a", "/dev/b", root, line, sizeof(line)))
		abort();
	return 0;
}
