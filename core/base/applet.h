/* applet.h — what core knows of the applet that is running: its name (for messages) and its
 * help text (for --help). The table itself is generated at build time from applets/\*.c. */
#ifndef KEEL_APPLET_H
#define KEEL_APPLET_H

/* Exit codes, the same for every applet (documented in README.md). */
enum {
	EXIT_OK = 0,      /* success */
	EXIT_NO = 1,      /* a negative answer: verification failed, policy violated, unhealthy */
	EXIT_USAGE = 2,   /* usage error */
	EXIT_FAIL = 3,    /* runtime failure: I/O, missing device, corrupt state */
};

struct applet {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary; /* one line */
	/* The usage block from the applet's header (kept compressed; --help only), NULL if none. */
	const char *(*help)(const struct applet *a);
	unsigned help_off; /* where help() finds it */
};

/* The applet being run; set once by main() before the applet starts. */
extern const struct applet *keel_applet;

#endif
