/* oci_doc.c — fuzz the OCI index/manifest/descriptor parser. The first byte picks index (odd)
 * or manifest (even); whatever parses has well-formed descriptors. */
#include "base/err.h"
#include "trust/oci.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_doc d;
	struct kerr e = {0};
	if (!size)
		return 0;
	if (oci_doc_parse(&d, data + 1, size - 1, data[0] & 1, &e))
		return 0;
	for (size_t i = 0; i < d.n; i++) {
		const struct oci_desc *x = &d.descs[i];
		size_t hl = hash_size(x->alg);
		if (!hl || !x->media_type || !x->media_type[0] || strlen(x->digest_str) != 7 + 2 * hl ||
			strchr(x->digest_str, '/') || (int64_t)x->size < 0)
			abort();
		(void)oci_desc_annotation(x, "org.opencontainers.image.ref.name");
	}
	oci_doc_free(&d);
	return 0;
}
