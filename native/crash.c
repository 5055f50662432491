/* SPDX-License-Identifier: MIT */
/*
 * Where the C program crashed. On SIGSEGV, SIGBUS, SIGFPE or SIGABRT a handler
 * (on its own stack, so a blown stack still reports) writes a raw record to
 * the file the runner opened: the signal, the fault address, the faulting pc
 * and every frame of the backtrace with the object it lies in and that
 * object's load base. It then restores the default action and lets the signal
 * kill the process, so the exit status stays 128 + N. The parent (run.ts,
 * crash.ts) resolves the frames with addr2line after the child is gone:
 * nothing here may allocate, lock or format with stdio.
 *
 * Record (text, one item a line, numbers in hex):
 *   signal <signo> <si_code> <si_addr> <pc>
 *   frame <address> <exact> <object base> <object path>
 * "exact" is 1 for the faulting pc itself, 0 for a return address.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"

#define CRASH_FRAMES 64

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT };
static int crash_fd = -1;
static volatile sig_atomic_t crashing;
static void *frames[CRASH_FRAMES];
static char altstack[64 * 1024] __attribute__((aligned(16)));

struct line {
	char buf[4352];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_hex(struct line *l, uintptr_t v)
{
	char tmp[2 + 2 * sizeof(v) + 1];
	int i = (int)sizeof(tmp) - 1;
	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	put(l, tmp + i);
}

static void emit(struct line *l)
{
	put(l, "\n");
	size_t off = 0;
	while (off < l->len) {
		ssize_t w = write(crash_fd, l->buf + off, l->len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	l->len = 0;
}

static uintptr_t context_pc(void *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

static void frame(struct line *l, uintptr_t addr, int exact)
{
	Dl_info info;
	put(l, "frame ");
	put_hex(l, addr);
	put(l, exact ? " 1 " : " 0 ");
	/* A return address may be one past the call's object: look up the call itself. */
	if (dladdr((void *)(exact ? addr : addr - 1), &info) && info.dli_fname) {
		put_hex(l, (uintptr_t)info.dli_fbase);
		put(l, " ");
		put(l, info.dli_fname);
	} else {
		put(l, "0x0 ?");
	}
	emit(l);
}

static void default_and_raise(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	/* Blocked while the handler runs: delivered, with the default action, when it returns. */
	raise(sig);
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	if (crashing || crash_fd < 0) {
		default_and_raise(sig);
		return;
	}
	crashing = 1;
	static struct line l;
	uintptr_t pc = context_pc(uc);
	put(&l, "signal ");
	put_hex(&l, (uintptr_t)sig);
	put(&l, " ");
	put_hex(&l, (uintptr_t)(unsigned)si->si_code);
	put(&l, " ");
	put_hex(&l, (uintptr_t)si->si_addr);
	put(&l, " ");
	put_hex(&l, pc);
	emit(&l);
	int n = backtrace(frames, CRASH_FRAMES);
	/* The unwinder passes the signal frame: the interrupted code starts at the pc the kernel saved. */
	int first = -1;
	for (int i = 0; i < n && pc; i++) {
		if ((uintptr_t)frames[i] == pc) {
			first = i;
			break;
		}
	}
	if (first < 0) {
		if (pc)
			frame(&l, pc, 1);
		/* frames[0] is this handler, frames[1] the signal trampoline. */
		for (int i = 2; i < n; i++)
			frame(&l, (uintptr_t)frames[i], 0);
	} else {
		for (int i = first; i < n; i++)
			frame(&l, (uintptr_t)frames[i], i == first);
	}
	default_and_raise(sig);
}

/*
 * Called once by the runner, after dmashim_bridge_init, with the descriptor of
 * the crash record file. Returns 0, or -1 when a handler could not be set.
 * The handlers replace node's SIGSEGV one, which only serves WebAssembly
 * bounds traps: the runner runs no WebAssembly.
 */
EXPORT int32_t dmashim_crash_arm(int32_t fd)
{
	/* backtrace() loads libgcc's unwinder on first use: do it now, not in the handler. */
	void *warm[2];
	backtrace(warm, 2);
	stack_t old;
	if (sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
		sigaltstack(&ss, NULL);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	crash_fd = fd;
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (sigaction(crash_signals[i], &sa, NULL) != 0)
			return -1;
	return 0;
}
