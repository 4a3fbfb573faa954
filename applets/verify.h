/* verify.h — the subcommands of `keel verify` (applets/verify*.c); each returns an exit code. */
#ifndef KEEL_APPLET_VERIFY_H
#define KEEL_APPLET_VERIFY_H

int verify_verity(int argc, char **argv);
int verify_sig(int argc, char **argv);
int verify_key_id(int argc, char **argv);
int verify_sign(int argc, char **argv);
int verify_oci(int argc, char **argv);

#endif
