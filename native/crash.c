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
 * A run in the CLI's own process has no parent: there the handler execs the
 * aftermath instead (see dmashim_crash_aftermath).
 *
 * Record (text, one item a line, numbers in hex):
 *   signal <signo> <si_code> <si_addr> <pc>
 *   frame <address> <exact> <object base> <object path>
 * "exact" is 1 for the faulting pc itself, 0 for a return address.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <execinfo.h>
#include <stdlib.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
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

/*
 * The aftermath of a run in the CLI's own process (run.ts, run_here): nobody
 * waits on this process to read the record, so once it is written the process
 * execs node on aftermath.js (same pid, same stdio), which judges the run as a
 * parent would have, reports the crash and exits 128 + N. Stop signals and the
 * --timeout watchdog end the run the same way, each with its own kind.
 */
static char *after_argv[6];
static char after_signo[16];
static volatile sig_atomic_t leaving;
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void aftermath(int sig, const char *kind)
{
	if (!after_argv[0])
		return;
	char tmp[16];
	int n = 0;
	unsigned v = (unsigned)sig;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		after_signo[i] = tmp[n - 1 - i];
	after_signo[n] = '\0';
	after_argv[3] = after_signo;
	after_argv[4] = (char *)kind;
	after_argv[5] = NULL;
	/* Our stdio goes on to the aftermath, whatever node set on it since dmashim_bridge_init. */
	for (int fd = 0; fd <= 2; fd++) {
		int fdf = fcntl(fd, F_GETFD);
		if (fdf >= 0 && (fdf & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fdf & ~FD_CLOEXEC);
	}
	/* The new image keeps this thread's mask: it must not start with the signal blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(after_argv[0], after_argv, environ);
}

static void stop_handler(int sig)
{
	if (leaving)
		return;
	leaving = 1;
	aftermath(sig, "stop");
	/* No aftermath (the exec failed): end as the signal would have. */
	default_and_raise(sig);
}

/*
 * --timeout: a thread that sleeps, not SIGALRM, which the program may use for
 * itself (alarm(), setitimer()).
 */
static struct timespec watchdog_delay;

static void *watchdog(void *arg)
{
	(void)arg;
	struct timespec left = watchdog_delay;
	while (nanosleep(&left, &left) != 0)
		;
	if (leaving)
		return NULL;
	leaving = 1;
	aftermath(SIGKILL, "timeout");
	/* No aftermath (the exec failed): a hung program still ends. */
	raise(SIGKILL);
	return NULL;
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
	if (!leaving) {
		leaving = 1;
		aftermath(sig, "crash");
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

static char *copy(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = malloc(n);
	if (c)
		memcpy(c, s, n);
	return c;
}

/*
 * Called by a runner in the CLI's own process, after dmashim_crash_arm: what
 * to exec after a crash, a stop or the timeout (timeout_ms, 0 = none), as
 * argv "node script job signo kind". Returns 0, or -1 when a handler or the
 * timer could not be set.
 */
EXPORT int32_t dmashim_crash_aftermath(const char *node, const char *script, const char *job, int32_t timeout_ms)
{
	if (!node || !script || !job || timeout_ms < 0)
		return -1;
	after_argv[0] = copy(node);
	after_argv[1] = copy(script);
	after_argv[2] = copy(job);
	if (!after_argv[0] || !after_argv[1] || !after_argv[2]) {
		after_argv[0] = NULL;
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (sigaction(stop_signals[i], &sa, NULL) != 0)
			return -1;
	if (timeout_ms > 0) {
		watchdog_delay.tv_sec = timeout_ms / 1000;
		watchdog_delay.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		/* The watchdog must not take the program's signals. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		int rc = pthread_create(&t, &attr, watchdog, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* The program is over and the runner judges the run itself: stops get their defaults back, the watchdog stands down. */
EXPORT void dmashim_crash_aftermath_off(void)
{
	leaving = 1;
	after_argv[0] = NULL;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
}
