/* lockdown.h — stage 1's failure path when Secure Boot is on.
 *
 * With Secure Boot on, the kernel command line is the one signed into the UKI, so nobody at the
 * console chose keel.rescue or caused the failure by editing it; a root console for whoever sits
 * at the keyboard would still undo what Secure Boot protects. So stage 1, on a failure (or
 * keel.rescue) with Secure Boot on — or on a UEFI boot whose Secure Boot state is not known yet
 * — does what the signed initramfs says (initramfs/mkinitramfs.sh --rescue-password-hash):
 *   LOCKDOWN_HASH_FILE absent: reboot, so systemd-boot's boot counting falls back to the previous
 *     release once this one's tries are spent (the default: fail closed);
 *   LOCKDOWN_HASH_FILE present: one SHA-512 crypt hash ("$6$[rounds=N$]SALT$HASH", as
 *     `openssl passwd -6` or mkpasswd -m sha-512 make it): the rescue console starts only after
 *     that password is typed (3 tries; a timeout or 3 wrong ones reboot).
 * Without Secure Boot (or on direct kernel boots) the rescue console opens as before: whoever can
 * edit the command line is root there anyway.
 */
#ifndef KEEL_LOCKDOWN_H
#define KEEL_LOCKDOWN_H

#include <stddef.h>

#define LOCKDOWN_HASH_FILE "/etc/keel/rescue-password"
#define LOCKDOWN_HASH_MAX 256

/* SHA-512 crypt (Drepper's SHA-crypt, glibc/musl "$6$") of pw with the salt and rounds of
 * setting; out gets "$6$[rounds=N$]SALT$<86 characters>". -EINVAL for a setting that is not
 * "$6$…" (salt: up to 16 characters, no '$' or ':'; rounds 1000..999999999). */
int lockdown_crypt6(const char *pw, size_t pwlen, const char *setting, char *out, size_t outlen);

/* 1 when pw matches hash (compared in constant time), 0 when not, -EINVAL for a malformed hash. */
int lockdown_check(const char *hash, const char *pw, size_t pwlen);

#endif
