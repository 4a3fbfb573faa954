/* obfuscate_test.c — diag bundle --obfuscate's token mapper (core/diag/obfuscate.c): what is an
 * address, a MAC or a word and what is not, the same value the same token, and the map. */
#include "base/buf.h"
#include "diag/obfuscate.h"
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

T_TEST(obfuscate_table)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"peer 192.0.2.7 and 192.0.2.7:8080 and 192.0.2.8/24", "peer ip-1-1-1-1 and ip-1-1-1-1:8080 and ip-1-1-1-2/24"},
		{"end of a sentence 192.0.2.7.", "end of a sentence ip-1-1-1-1."},
		/* subnets kept: one /24 one prefix, one /16 a shorter one; 192.0.3.1 is not in 192.0.2's /24 */
		{"10.1.2.3 10.1.9.4 10.7.0.1 192.0.2.99 192.0.3.1 11.1.2.3", "ip-2-2-2-3 ip-2-2-3-4 ip-2-3-4-5 ip-1-1-1-6 ip-1-1-5-7 ip-3-4-6-8"},
		{"kept: 127.0.0.1 0.0.0.0 255.255.255.255 ::1 ::", "kept: 127.0.0.1 0.0.0.0 255.255.255.255 ::1 ::"},
		{"not addresses: 1.2.3.4.5 999.1.1.1 6.1.0 v1.2.3.4 1.2.3.4a 12:34:56 a:b:c", "not addresses: 1.2.3.4.5 999.1.1.1 6.1.0 v1.2.3.4 1.2.3.4a 12:34:56 a:b:c"},
		{"v6 2001:DB8::7 2001:db8:0:0:0:0:0:7 [2001:db8::7]:53 fe80::1%eth0", "v6 ip6-1 ip6-1 [ip6-1]:53 ip6-2%eth0"},
		{"mapped ::ffff:192.0.2.7", "mapped ip6-3"},
		{"mac 52:54:00:AB:cd:EF 52:54:00:ab:cd:ef 52:54:00:ab:cd", "mac mac-1 mac-1 52:54:00:ab:cd"},
		{"host Node-A.example.com NODE-A node-ab xnode-a node-a_x", "host host-1.example.com host-1 node-ab xnode-a host-1_x"},
		{"user=alice home=/home/alice alice2", "user=user-1 home=/home/user-1 alice2"},
		{"", ""},
	};
	struct obf o;
	obf_init(&o);
	t_check(!obf_add_word(&o, 'h', "node-a") && !obf_add_word(&o, 'u', "alice"), "words added");
	t_check(obf_add_word(&o, 'w', "x") == -EINVAL && obf_add_word(&o, 'w', "a b") == -EINVAL, "a 1-byte word, a blank: refused");
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct buf b = BUF_INIT(1 << 20);
		t_check(!obf_apply(&o, (const uint8_t *)cases[i].in, strlen(cases[i].in), &b) && !buf_putc(&b, 0) &&
		        !strcmp((char *)b.p, cases[i].out), "case %zu: %s -> %s (want %s)", i, cases[i].in, b.p ? (char *)b.p : "", cases[i].out);
		buf_free(&b);
	}
	struct buf m = BUF_INIT(1 << 20);
	t_check(!obf_map(&o, &m) && !buf_putc(&m, 0), "map");
	t_check(m.p && strstr((char *)m.p, "host-1\tnode-a\n") && strstr((char *)m.p, "ip6-1\t2001:db8::7\n") &&
	        strstr((char *)m.p, "mac-1\t52:54:00:ab:cd:ef\n") && strstr((char *)m.p, "ip-1-1-1-2\t192.0.2.8\n") && strstr((char *)m.p, "ip-3-4-6-8\t11.1.2.3\n") &&
	        !strstr((char *)m.p, "\t10.1\n") &&
	        !strstr((char *)m.p, "127.0.0.1"), "the map: canonical values, kept ones absent: %s", m.p ? (char *)m.p : "");
	buf_free(&m);
	obf_free(&o);
}

/* The host's words: ROOT/etc/hostname (up to its first dot) and users with uid >= 1000 but 65534. */
T_TEST(obfuscate_host_words)
{
	static const char pw[] = "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n"
	                         "nobody:x:65534:65534::/:/bin/false\ndaemon:x:1:1::/:/bin/false\nbroken line\n";
	char root[600];
	snprintf(root, sizeof(root), "%s/obf-root", t_tmpdir());
	mkdir(root, 0755);
	snprintf(root + strlen(root), sizeof(root) - strlen(root), "/etc");
	mkdir(root, 0755);
	t_write("obf-root/etc/hostname", "web-7.example.com\n", 18);
	t_write("obf-root/etc/passwd", pw, sizeof(pw) - 1);
	root[strlen(root) - 4] = 0;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct obf o;
	obf_init(&o);
	t_check(!obf_add_host(&o, fd), "read");
	struct buf b = BUF_INIT(1 << 20);
	const char in[] = "web-7 bob root nobody daemon";
	t_check(!obf_apply(&o, (const uint8_t *)in, sizeof(in) - 1, &b) && !buf_putc(&b, 0) &&
	        !strcmp((char *)b.p, "host-1 user-1 root nobody daemon"), "host and user replaced, system users kept: %s", b.p ? (char *)b.p : "");
	buf_free(&b);
	obf_free(&o);
	close(fd);
}
