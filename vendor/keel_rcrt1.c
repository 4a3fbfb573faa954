/* vendor/keel_rcrt1.c — keel's static-pie entry point, used instead of musl's rcrt1.o.
 *
 * musl 1.2.3 (Debian 12) relocates a static-pie from DT_RELA only: 24 bytes per pointer in
 * initialised data, 1,760 of them in keel (41 KiB of the stripped binary). keel links with
 * -z pack-relative-relocs (DT_RELR, 8 bytes per run of 63 pointers: 416 bytes), so its start
 * code must apply RELR as well; musl 1.2.4 learnt the same (ldso/dlstart.c). This file does what
 * musl's crt/rcrt1.c + ldso/dlstart.c do for a static-pie on x86-64 and nothing else:
 *   find the load base from the program headers (AT_PHDR, PT_DYNAMIC), apply DT_RELR and the
 *   R_X86_64_RELATIVE entries of DT_RELA, then __libc_start_main(main, argc, argv, _init, _fini).
 * Any other relocation (a symbol reference, DT_REL, a TEXTREL) cannot occur in a static-pie
 * linked with -z text; if one does, the program stops at once (ud2) rather than run half
 * relocated. tests/hardening.sh checks the same from the ELF.
 *
 * Built by build.sh without the stack protector (the canary lives in TLS, which does not exist
 * until __libc_start_main) and freestanding (no call to anything before relocation).
 * Derived from musl (MIT licence, see vendor/licences). */
typedef unsigned long size_t;

#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_BASE 7
#define PT_DYNAMIC 2
#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELAENT 9
#define DT_REL 17
#define DT_RELSZ 18
#define DT_TEXTREL 22
#define DT_RELRSZ 35
#define DT_RELR 36
#define R_X86_64_RELATIVE 8

#define HIDDEN __attribute__((visibility("hidden")))

/* The kernel enters here: %rsp points at argc, argv[], 0, envp[], 0, auxv[]. */
__asm__(".text\n"
	".global _start\n"
	".type _start,@function\n"
	"_start:\n"
	"	xor %rbp,%rbp\n"
	"	mov %rsp,%rdi\n"
	".weak _DYNAMIC\n"
	".hidden _DYNAMIC\n"
	"	lea _DYNAMIC(%rip),%rsi\n"
	"	andq $-16,%rsp\n"
	"	call _start_c\n"
	"	hlt\n");

int main();
HIDDEN int __libc_start_main(int (*)(), int, char **, void (*)(void), void (*)(void), void (*)(void));
__attribute__((weak)) HIDDEN void _init(void);
__attribute__((weak)) HIDDEN void _fini(void);

/* Stage 2 runs relocated: reached through an address computed in asm, so no load of a
 * relocated pointer can be scheduled before the relocation loop. */
HIDDEN __attribute__((noinline, used)) void keel_start_stage2(size_t *sp)
{
	__libc_start_main(main, (int)sp[0], (char **)(sp + 1), _init, _fini, 0);
	__builtin_trap();
}

HIDDEN __attribute__((used)) void _start_c(size_t *sp, size_t *dynv)
{
	size_t argc = sp[0], *auxv = sp + 1 + argc + 1, base = 0, phdr = 0, phent = 0, phnum = 0;
	size_t rela = 0, relasz = 0, relr = 0, relrsz = 0, i;

	while (*auxv) /* skip envp */
		auxv++;
	for (auxv++; auxv[0]; auxv += 2) {
		if (auxv[0] == AT_PHDR) phdr = auxv[1];
		else if (auxv[0] == AT_PHENT) phent = auxv[1];
		else if (auxv[0] == AT_PHNUM) phnum = auxv[1];
		else if (auxv[0] == AT_BASE) base = auxv[1];
	}
	if (!base) { /* no interpreter: the base is where PT_DYNAMIC landed minus its address */
		for (i = 0; i < phnum; i++) {
			const unsigned *ph = (const unsigned *)(phdr + i * phent);
			if (ph[0] == PT_DYNAMIC) {
				base = (size_t)dynv - ((const size_t *)ph)[2]; /* p_vaddr */
				break;
			}
		}
		if (i == phnum)
			__builtin_trap();
	}
	for (; dynv[0] != DT_NULL; dynv += 2) {
		switch (dynv[0]) {
		case DT_RELA: rela = dynv[1]; break;
		case DT_RELASZ: relasz = dynv[1]; break;
		case DT_RELAENT: if (dynv[1] != 24) __builtin_trap(); break;
		case DT_RELR: relr = dynv[1]; break;
		case DT_RELRSZ: relrsz = dynv[1]; break;
		case DT_REL: case DT_RELSZ: case DT_TEXTREL: __builtin_trap();
		}
	}
	/* RELR: an even word is the offset of a pointer to relocate; an odd word is a bitmap of the
	 * 63 words after the last one relocated. */
	size_t *where = 0;
	for (const size_t *r = (const size_t *)(base + relr); relrsz >= sizeof *r; r++, relrsz -= sizeof *r) {
		size_t w = *r;
		if (!(w & 1)) {
			where = (size_t *)(base + w);
			*where++ += base;
		} else {
			if (!where)
				__builtin_trap();
			for (i = 0; (w >>= 1); i++)
				if (w & 1)
					where[i] += base;
			where += 63;
		}
	}
	/* RELA: only R_X86_64_RELATIVE (offset, info, addend). */
	for (const size_t *r = (const size_t *)(base + rela); relasz >= 24; r += 3, relasz -= 24) {
		if ((r[1] & 0xffffffff) != R_X86_64_RELATIVE)
			__builtin_trap();
		*(size_t *)(base + r[0]) = base + r[2];
	}
	void (*stage2)(size_t *);
	__asm__ volatile("lea keel_start_stage2(%%rip),%0" : "=r"(stage2) : : "memory");
	stage2(sp);
}
