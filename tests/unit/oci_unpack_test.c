/* oci_unpack_test.c — config.json from an image's config (oci_unpack_config): HOME. */
#include "t.h"
#include "archive/oci_unpack.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* HOME comes from the user's passwd entry unless Env sets it; a home keel cannot hold (not
 * absolute, or 256 bytes and longer) is "/", never an empty HOME= (the fuzz harness oci_image
 * found a 277-byte home turned into "HOME="). */
T_TEST(oci_unpack_config_home)
{
	char longhome[300] = "/", pw[600], dir[512];
	memset(longhome + 1, 'h', 276);
	static const struct { const char *home, *cfg, *want; } cases[] = {
		{"/home/app", "{\"config\":{\"User\":\"app\"}}", "\"HOME=/home/app\"]"},
		{"relative", "{\"config\":{\"User\":\"app\"}}", "\"HOME=/\"]"},
		{NULL, "{\"config\":{\"User\":\"app\"}}", "\"HOME=/\"]"},
		{NULL, "{\"config\":{\"User\":\"app\",\"Env\":[\"HOME=/x\"]}}", "\"env\":[\"HOME=/x\"]"},
		{"/home/app", "{\"config\":{\"User\":\"1000\"}}", "\"HOME=/home/app\"]"}, /* by uid too, as umoci */
	};
	snprintf(dir, sizeof(dir), "%s/ociu", t_tmpdir());
	mkdir(dir, 0755);
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	mkdirat(d, "etc", 0755);
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc doc = {0};
		struct buf b = BUF_INIT(1 << 20);
		struct kerr e = {0};
		int fd = openat(d, "etc/passwd", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int n = snprintf(pw, sizeof(pw), "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::%s:/bin/sh\n", cases[i].home ? cases[i].home : longhome);
		t_check(fd >= 0 && write(fd, pw, (size_t)n) == n && !close(fd), "case %zu: passwd", i);
		unlinkat(d, "config.json", 0);
		int ret = json_parse(&doc, cases[i].cfg, strlen(cases[i].cfg), NULL, &e);
		ret = ret ? ret : oci_unpack_config(d, d, doc.root, NULL, &e);
		ret = ret ? ret : fs_read_path(d, "config.json", b.max, &b, &e);
		t_check(!ret && !buf_putc(&b, 0) && strstr((char *)b.p, cases[i].want), "case %zu: %s in %.300s", i, cases[i].want,
			b.p ? (char *)b.p : e.msg);
		json_free(&doc);
		buf_free(&b);
	}
	/* an image's passwd keel cannot read: refused, naming the file (the message was empty) */
	struct json_doc doc = {0};
	struct kerr e = {0};
	int fd = openat(d, "etc/passwd", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t_check(fd >= 0 && write(fd, "app:x:1000:1000::/:/bin/sh\n\0\n", 29) == 29 && !close(fd), "passwd with a NUL");
	const char *cfg = "{\"config\":{\"User\":\"1000\"}}";
	t_check(!json_parse(&doc, cfg, strlen(cfg), NULL, &e) &&
		oci_unpack_config(d, d, doc.root, NULL, &e) < 0 && strstr(e.msg, "config: User: the image's /etc/passwd: "),
		"a passwd with a NUL byte: %s", e.msg);
	json_free(&doc);
	close(d);
}
