/* socket.c — libFuzzer harness for the [Socket] settings (core/init/socket_parse.c).
 *
 * Input: lines "Key=Value". Each goes to socket_set(); a refusal always gives a reason; a key that
 * is not a [Socket] setting is -ENOENT and changes nothing. After socket_check() there is at least
 * one address, Accept=yes has only stream or sequential-packet ones and no Service=, Accept=no
 * names a .service to start; every address formats into a bounded string.
 */
#include "init/socket_parse.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "socket fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unit_socket s;
	char line[4200], out[SOCK_PATH_MAX + 8];
	const char *why;
	size_t i = 0;
	socket_init(&s);
	while (i < size) {
		size_t n = 0;
		while (i < size && data[i] != '\n' && n < sizeof(line) - 1)
			line[n++] = (char)data[i++];
		i++;
		line[n] = 0;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		size_t before = s.n, opts = s.nopts;
		why = NULL;
		int ret = socket_set(&s, line, eq + 1, &why);
		check(!ret || (why && *why), "refused without a reason");
		check(ret != -ENOENT || (s.n == before && s.nopts == opts), "an unknown key changed the socket");
		check(s.n <= SOCK_LISTEN_MAX && s.nopts <= SOCK_OPTS_MAX, "over a cap");
	}
	if (!socket_check(&s, "fuzz.socket", &why)) {
		check(s.n > 0, "no address");
		check(s.accept ? !s.service[0] : !strcmp(unit_name_suffix(s.service) ?: "", ".service"), "bad service");
		for (size_t k = 0; k < s.n; k++) {
			check(!s.accept || s.v[k].type == SOCKL_STREAM || s.v[k].type == SOCKL_SEQPACKET, "accepting a datagram");
			socket_listen_format(&s.v[k], out, sizeof(out));
			check(strlen(out) < sizeof(out) && out[0], "address not shown");
			check(strlen(s.v[k].path) < SOCK_PATH_MAX, "path too long");
		}
	}
	socket_free(&s);
	return 0;
}
