/* lockdown_test.c — the rescue credential of a Secure Boot host (core/boot/lockdown.c): SHA-512
 * crypt against glibc's test vectors and what openssl passwd -6 / Python's crypt make, a forged
 * hash or password next to each good one. */
#include "t.h"
#include "boot/lockdown.h"

#include <errno.h>
#include <string.h>

T_TEST(lockdown_sha512_crypt)
{
	static const struct { const char *pw, *hash; } good[] = {
		{"Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"", "$6$rounds=1000$a$q/ZSdy9IBSzcpbaIjdRTOu569QiYiP4n7Ab08Oq1Ir6J.GD1xR3BAwRIYHnavtE1Wzodknd9BxknlHhFBP/az1"},
		{"snakeoil", "$6$abc$8yQv1pVcZzWueV1jZY58/V1mRmJRTfNOLUHDbMb2EFef80D2eZk9a9ET2TYKP7g1ib3rZJ.y7LGmBkJh7xOxm1"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			"$6$0123456789abcdef$RBjxx9VcHjdfmVLoRNP7x08zbAVFOXyFy3mlyE0sWhfPSO/dqE70ouCpiWlbXYaHeO2LT4lgRz1jtlKJM0gSv/"},
	};
	for (size_t i = 0; i < T_LEN(good); i++) {
		t_check(lockdown_check(good[i].hash, good[i].pw, strlen(good[i].pw)) == 1, "vector %zu matches", i);
		/* forged: the password one byte off, or cut by one */
		char pw[256];
		size_t l = strlen(good[i].pw);
		memcpy(pw, good[i].pw, l);
		if (l) {
			pw[l - 1] ^= 1;
			t_check(lockdown_check(good[i].hash, pw, l) == 0, "vector %zu: a changed password is refused", i);
			t_check(lockdown_check(good[i].hash, good[i].pw, l - 1) == 0, "vector %zu: a shorter password is refused", i);
		} else {
			t_check(lockdown_check(good[i].hash, "x", 1) == 0, "vector %zu: a non-empty password is refused", i);
		}
	}
	static const char *const bad[] = {
		"",                                          /* no hash at all: never "matches" */
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF9P8vCB1", /* SHA-256 crypt: not accepted */
		"$1$abc$xyz", "abc", "$6$",
		"$6$rounds=999$a$q/ZSdy9IBSzcpbaIjdRTOu569QiYiP4n7Ab08Oq1Ir6J.GD1xR3BAwRIYHnavtE1Wzodknd9BxknlHhFBP/az1",
		"$6$rounds=x$a$q/ZSdy9IBSzcpbaIjdRTOu569QiYiP4n7Ab08Oq1Ir6J.GD1xR3BAwRIYHnavtE1Wzodknd9BxknlHhFBP/az1",
		"$6$abc$8yQv1pVcZzWueV1jZY58/V1mRmJRTfNOLUHDbMb2EFef80D2eZk9a9ET2TYKP7g1ib3rZJ.y7LGmBkJh7xOxm", /* cut */
		"$6$abc$8yQv1pVcZzWueV1jZY58/V1mRmJRTfNOLUHDbMb2EFef80D2eZk9a9ET2TYKP7g1ib3rZJ.y7LGmBkJh7xOxm1x", /* longer */
		"$6$abc", /* no hash part */
	};
	for (size_t i = 0; i < T_LEN(bad); i++)
		t_check(lockdown_check(bad[i], "snakeoil", 8) == -EINVAL, "malformed %zu (%s) refused", i, bad[i]);
	t_check(lockdown_check("$6$abc$8yQv1pVcZzWueV1jZY58/V1mRmJRTfNOLUHDbMb2EFef80D2eZk9a9ET2TYKP7g1ib3rZJ.y7LGmBkJh7xOxm2", "snakeoil", 8) == 0,
		"one character of the hash changed: no match");
}
