/* obfuscate.h — keel diag bundle --obfuscate: host names, addresses and user names replaced by
 * stable tokens, the same value by the same token across the whole bundle.
 *
 *   IPv4 a.b.c.d          ip-A-B-C-D  the numbers of its /8, /16, /24 and of the address: one
 *                                   subnet, one prefix (0.0.0.0, 127.x.x.x, 255.255.255.255 kept)
 *   IPv6 (any spelling)   ip6-N    (:: and ::1 are kept; the same address written two ways is
 *                                   one token: the key is its canonical form)
 *   MAC aa:bb:cc:dd:ee:ff mac-N
 *   words                 host-N, user-N, word-N: added with obf_add_word (the host's names,
 *                         its users, the operator's words), found case-insensitively where
 *                         neither neighbour is a letter or digit ("node1.example.com" holds
 *                         "node1"); words shorter than 2 bytes are refused
 * The map (token, tab, the value) is for the operator's eyes only: never written into the bundle.
 * Memory is bounded: at most OBF_VALUES_MAX distinct values; past that every new value of a kind
 * gets that kind's "-x" token (still replaced, no longer told apart).
 */
#ifndef KEEL_DIAG_OBFUSCATE_H
#define KEEL_DIAG_OBFUSCATE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define OBF_VALUES_MAX 65536
#define OBF_WORDS_MAX 256
#define OBF_WORD_MAX 253

struct obf_val {
	char kind;      /* '4' '6' 'm' 'h' 'u' 'w' */
	unsigned n;     /* token number within the kind */
	int next;       /* hash chain */
	char *s;        /* canonical value (lower case) */
};

struct obf {
	struct obf_val *v;
	int n, cap;
	int head[4096];
	int word[OBF_WORDS_MAX], nword; /* indexes into v of the words */
	unsigned count[9]; /* per kind (obfuscate.c's kinds) */
};

void obf_init(struct obf *o);
/* kind 'h' (host name), 'u' (user) or 'w' (operator's word). -EINVAL (shorter than 2 bytes,
 * longer than OBF_WORD_MAX, a blank or control byte), -E2BIG, -ENOMEM. A word added twice keeps its token. */
int obf_add_word(struct obf *o, char kind, const char *w);
/* The host's words: its name (ROOT/etc/hostname, then uname; up to the first dot) and its users
 * (ROOT/etc/passwd, uid 1000 and up but 65534). Files that do not exist are skipped. -ENOMEM. */
int obf_add_host(struct obf *o, int rootfd);
/* in[0..n) with every value replaced, appended to out. -ENOMEM (or out's limit). */
int obf_apply(struct obf *o, const uint8_t *in, size_t n, struct buf *out);
/* The map: "TOKEN\tVALUE\n" for every value seen or added. */
int obf_map(const struct obf *o, struct buf *out);
void obf_free(struct obf *o);

#endif
