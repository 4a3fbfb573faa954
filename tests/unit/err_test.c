/* err_test.c — struct kerr messages stay one clean line whatever is formatted into them. */
#include "t.h"
#include "err.h"

#include <errno.h>
#include <string.h>

T_TEST(kerr_one_clean_line)
{
	static const struct { const char *in, *want; } cases[] = {
		{"plain", "file: plain"},
		{"a\nb\r\nc", "file: a b  c"},
		{"tab\there", "file: tab here"},
		{"\x1b[2J\x1b]0;title\x07", "file: ?[2J?]0;title?"},
		{"del\x7f", "file: del?"},
		{"caf\xc3\xa9", "file: caf\xc3\xa9"}, /* UTF-8 is kept */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct kerr e = {0};
		t_check(kerr_set(&e, -EINVAL, "file: %s", cases[i].in) == -EINVAL && !strcmp(e.msg, cases[i].want),
			"case %zu: \"%s\"", i, e.msg);
		struct kerr w = {0};
		kerr_set(&w, -EIO, "%s", cases[i].in);
		kerr_wrap(&w, -EIO, "file");
		t_check(!strcmp(w.msg, cases[i].want), "wrapped %zu: \"%s\"", i, w.msg);
	}
}
