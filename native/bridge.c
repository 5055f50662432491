/* SPDX-License-Identifier: MIT */
/*
 * The C half of the dmashim bridge. Compiled into every C program that
 * `dmashim run` loads (one shared object), it implements the functions our
 * include/linux headers declare by forwarding them through one table of
 * callbacks into the TypeScript core (dmashim_ops.h). Memory the core hands out
 * lives in the arena, a native mapping TypeScript sees through koffi.view, so a
 * returned block is a plain C pointer: arena base + offset.
 *
 * Threads: by default the program runs synchronously on the JS thread, and a
 * call from any other thread is refused (koffi would relay it to the JS thread,
 * which is blocked in main(): a deadlock). With --threads, main() runs on a
 * koffi worker and every call is relayed; each thread then gets its own
 * scratch slot for out-values.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <dmashim/bridge.h>

#include "dmashim_ops.h"

#define EXPORT __attribute__((visibility("default")))

static struct dmashim_ops ops;
static int ready;
static int threaded;
static pthread_t js_thread;
static char *arena;
static uint64_t arena_size;
static atomic_int refused;

/* Out-values from TypeScript: slot s is words [s*8, s*8+8). */
static uint64_t scratch[DMASHIM_SCRATCH_SLOTS * DMASHIM_SCRATCH_WORDS] __attribute__((aligned(64)));
static char strbuf[DMASHIM_STRBUF_SIZE];
static pthread_mutex_t strbuf_lock = PTHREAD_MUTEX_INITIALIZER;
/* Serialises the bridge's own C-side state (device pairing, the PCI device list, printk continuation). */
static pthread_mutex_t state_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static inline double site_arg(const char *site) { return (double)(uintptr_t)site; }
static inline double addr_arg(const volatile void *p) { return (double)(uintptr_t)p; }
static inline void *arena_ptr(double off) { return arena + (size_t)off; }

/* The pool block cache (below, with dma_pool): calls that read pool state empty it first. */
static void pool_cache_drain_all(void);
static void pool_cache_forget_dev(const struct device *dev);
/* The simulated execution context (below, with the locks) is atomic on this thread. */
static inline int ctx_atomic(void);

/* ------------------------------------------------------------------ entry */

static void not_ready(const char *fn)
{
	fprintf(stderr, "dmashim: %s() called before the bridge was initialised (from a constructor?): "
			"run the program with `dmashim run`\n", fn);
	fflush(NULL);
	abort();
}

static void refuse(const char *fn)
{
	/* Say it once per program: the first refusal explains, the rest would only repeat it. */
	if (atomic_fetch_add(&refused, 1) == 0)
		fprintf(stderr,
			"dmashim: %s() called from a second thread; this program starts threads, "
			"so run it with `dmashim run --threads` (the call was refused and returned failure)\n",
			fn);
}

/* Every bridge function starts here: the bridge must be up, and the caller on the JS thread unless --threads. */
static inline int enter(const char *fn)
{
	if (unlikely(!ready))
		not_ready(fn);
	if (likely(threaded || pthread_equal(pthread_self(), js_thread)))
		return 1;
	refuse(fn);
	return 0;
}

static pthread_key_t slot_key;
static atomic_uchar slot_used[DMASHIM_SCRATCH_SLOTS];

static void slot_release(void *v)
{
	atomic_store(&slot_used[(uintptr_t)v - 1], 0);
}

/* This thread's scratch slot: 0 in synchronous mode; in threaded mode one per live thread. */
static inline int my_slot(void)
{
	if (likely(!threaded))
		return 0;
	uintptr_t v = (uintptr_t)pthread_getspecific(slot_key);
	if (v)
		return (int)(v - 1);
	for (int s = 1; s < DMASHIM_SCRATCH_SLOTS; s++) {
		unsigned char expected = 0;
		if (atomic_compare_exchange_strong(&slot_used[s], &expected, 1)) {
			pthread_setspecific(slot_key, (void *)(uintptr_t)(s + 1));
			return s;
		}
	}
	fprintf(stderr, "dmashim: more than %d threads talk to the bridge at once\n", DMASHIM_SCRATCH_SLOTS - 1);
	abort();
}

static inline uint64_t scratch_get(int slot, int word) { return scratch[slot * DMASHIM_SCRATCH_WORDS + word]; }

/* -------------------------------------------------------------- handshake */

EXPORT uint32_t dmashim_abi_version(void) { return DMASHIM_ABI_VERSION; }
EXPORT int32_t dmashim_nr_ops(void) { return DMASHIM_NR_OPS; }
EXPORT void *dmashim_scratch_area(void) { return scratch; }
EXPORT int32_t dmashim_scratch_size(void) { return (int32_t)sizeof(scratch); }
EXPORT void *dmashim_strbuf_area(void) { return strbuf; }
EXPORT int32_t dmashim_refused(void) { return atomic_load(&refused); }

/*
 * Called once by the TypeScript runner, on the JS thread, before main().
 * Returns 0, or -1 after printing why (ABI mismatch).
 */
EXPORT int32_t dmashim_bridge_init(const struct dmashim_ops *o, uint32_t abi, int32_t nr_ops, void *arena_base,
				   double size, int32_t threaded_mode)
{
	if (abi != DMASHIM_ABI_VERSION || nr_ops != DMASHIM_NR_OPS) {
		fprintf(stderr,
			"dmashim: ABI mismatch: the C bridge (include/, native/) is version %u with %d ops, "
			"the TypeScript runner is version %u with %d ops; use matching checkouts\n",
			DMASHIM_ABI_VERSION, DMASHIM_NR_OPS, abi, nr_ops);
		return -1;
	}
	ops = *o;
	arena = arena_base;
	arena_size = (uint64_t)size;
	threaded = threaded_mode;
	js_thread = pthread_self();
	pthread_key_create(&slot_key, slot_release);
	/* Line-buffered stdout keeps the program's output in step with the kernel log on stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * Node puts a pipe or socket on fds 0-2 in non-blocking mode, and the flag
	 * belongs to the open file, which the program's stdio shares: a printf that
	 * meets a full pipe (a slow reader) gets EAGAIN, and stdio drops the text.
	 * The runner has made node's stdout/stderr streams before this call (so node
	 * does not set the flag again later); C gets blocking descriptors, as any
	 * program started from a shell has. Node's own writes to them then block too:
	 * in synchronous mode that is what the program does anyway; with --threads a
	 * full pipe also holds the JS thread (and C threads waiting on a callback)
	 * until the reader catches up, which is a slower program, not a lost line.
	 */
	for (int fd = 0; fd <= 2; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	ready = 1;
	return 0;
}

EXPORT int32_t dmashim_threaded_mode(void) { return threaded; }
int dmashim_threaded(void) { return threaded; }

/*
 * The benchmarks' yardstick: exactly the crossing of a fast op (an indirect
 * call through the table, void(void)) and nothing else, not even enter(), so
 * "bridge op / this" is the bridge's cost over one bare koffi callback.
 */
void dmashim_bench_noop(void) { ops.bench_noop(); }

/* ---------------------------------------------------------------- printk */

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void out_putc(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_puts(struct outbuf *o, const char *s)
{
	while (*s)
		out_putc(o, *s++);
}

__printf(2, 3) static void out_printf(struct outbuf *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	out_puts(o, tmp);
}

static void format_into(struct outbuf *o, const char *fmt, va_list ap);

/* The %p extensions drivers print with: %pad %pa[p] %px %pK %ps %pS %pB %pf %pF %ph[CDN] %pM %pI4 %pV %pe. */
static const char *format_pointer(struct outbuf *o, const char *f, int width, va_list *ap)
{
	const void *p = va_arg(*ap, const void *);
	char c = *f;
	if (c == 'a') {
		/* %pad: a dma_addr_t *, %pa / %pap: a phys_addr_t *; both 0x and 16 digits. */
		u64 v = p ? *(const u64 *)p : 0;
		out_printf(o, "0x%016llx", (unsigned long long)v);
	} else if (c == 's' || c == 'S' || c == 'B' || c == 'f' || c == 'F') {
		Dl_info info;
		if (p && dladdr(p, &info) && info.dli_sname) {
			out_puts(o, info.dli_sname);
			if (c != 's' && c != 'f')
				out_printf(o, "+0x%lx", (unsigned long)((const char *)p - (const char *)info.dli_saddr));
		} else {
			out_printf(o, "0x%lx", (unsigned long)p);
		}
	} else if (c == 'h') {
		char sep = f[1] == 'C' ? ':' : f[1] == 'D' ? '-' : f[1] == 'N' ? 0 : ' ';
		int n = width > 0 ? (width > 64 ? 64 : width) : 1;
		for (int i = 0; i < n && p; i++) {
			if (i && sep)
				out_putc(o, sep);
			out_printf(o, "%02x", ((const u8 *)p)[i]);
		}
	} else if (c == 'M' || c == 'm') {
		for (int i = 0; i < 6 && p; i++)
			out_printf(o, i ? (c == 'M' ? ":%02x" : "%02x") : "%02x", ((const u8 *)p)[i]);
	} else if ((c == 'I' || c == 'i') && f[1] == '4') {
		const u8 *b = p;
		if (b)
			out_printf(o, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	} else if (c == 'V') {
		const struct va_format *vaf = p;
		va_list copy;
		va_copy(copy, *vaf->va);
		format_into(o, vaf->fmt, copy);
		va_end(copy);
	} else if (c == 'e') {
		out_printf(o, "%ld", (long)p);
	} else {
		/* %p, %px, %pK: the real address (no_hash_pointers), 16 digits, as the TypeScript core prints it. */
		out_printf(o, "%016lx", (unsigned long)p);
	}
	/* The kernel skips every alphanumeric character after %p. */
	while (isalnum((unsigned char)*f))
		f++;
	return f;
}

/* vsnprintf with the kernel's %p extensions; other conversions go to the C library one at a time. */
static void format_into(struct outbuf *o, const char *fmt, va_list ap)
{
	va_list args;
	va_copy(args, ap);
	const char *f = fmt;
	while (*f) {
		if (*f != '%') {
			out_putc(o, *f++);
			continue;
		}
		const char *start = f++;
		if (*f == '%') {
			out_putc(o, '%');
			f++;
			continue;
		}
		char spec[64];
		size_t sl = 0;
		spec[sl++] = '%';
		while (*f && strchr("-+ #0'", *f) && sl < 16)
			spec[sl++] = *f++;
		int width = -1;
		if (*f == '*') {
			width = va_arg(args, int);
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, "%d", width);
			f++;
		} else {
			if (isdigit((unsigned char)*f))
				width = atoi(f);
			while (isdigit((unsigned char)*f) && sl < 40)
				spec[sl++] = *f++;
		}
		if (*f == '.') {
			spec[sl++] = *f++;
			if (*f == '*') {
				int prec = va_arg(args, int);
				sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, "%d", prec);
				f++;
			} else {
				while (isdigit((unsigned char)*f) && sl < 50)
					spec[sl++] = *f++;
			}
		}
		/* length: 0 none, 1 hh, 2 h, 3 l, 4 ll, 5 z, 6 t, 7 j, 8 L */
		int len = 0;
		if (f[0] == 'h' && f[1] == 'h') { len = 1; f += 2; }
		else if (*f == 'h') { len = 2; f++; }
		else if (f[0] == 'l' && f[1] == 'l') { len = 4; f += 2; }
		else if (*f == 'l') { len = 3; f++; }
		else if (*f == 'q') { len = 4; f++; }
		else if (*f == 'z' || *f == 'Z') { len = 5; f++; }
		else if (*f == 't') { len = 6; f++; }
		else if (*f == 'j') { len = 7; f++; }
		else if (*f == 'L') { len = 8; f++; }
		char conv = *f;
		if (!conv)
			break;
		f++;
		size_t room = o->len < o->size ? o->size - o->len : 0;
		char *dst = o->len < o->size ? o->buf + o->len : NULL;
		int n = 0;
		switch (conv) {
		case 'd':
		case 'i':
			memcpy(spec + sl, "lld", 4);
			{
				long long v = len == 3 ? va_arg(args, long) : len == 4 || len == 8 ? va_arg(args, long long)
					      : len == 5 ? (long long)va_arg(args, ssize_t) : len == 6 ? (long long)va_arg(args, ptrdiff_t)
					      : len == 7 ? (long long)va_arg(args, intmax_t) : (long long)va_arg(args, int);
				if (len == 1)
					v = (signed char)v;
				else if (len == 2)
					v = (short)v;
				n = snprintf(dst, room, spec, v);
			}
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			spec[sl] = 'l';
			spec[sl + 1] = 'l';
			spec[sl + 2] = conv;
			spec[sl + 3] = 0;
			{
				unsigned long long v = len == 3 ? va_arg(args, unsigned long)
						       : len == 4 || len == 8 ? va_arg(args, unsigned long long)
						       : len == 5 ? (unsigned long long)va_arg(args, size_t)
						       : len == 6 ? (unsigned long long)va_arg(args, ptrdiff_t)
						       : len == 7 ? (unsigned long long)va_arg(args, uintmax_t)
								  : (unsigned long long)va_arg(args, unsigned int);
				if (len == 1)
					v = (unsigned char)v;
				else if (len == 2)
					v = (unsigned short)v;
				n = snprintf(dst, room, spec, v);
			}
			break;
		case 'c':
			spec[sl] = 'c';
			spec[sl + 1] = 0;
			n = snprintf(dst, room, spec, va_arg(args, int));
			break;
		case 's': {
			const char *s = va_arg(args, const char *);
			spec[sl] = 's';
			spec[sl + 1] = 0;
			n = snprintf(dst, room, spec, s ? s : "(null)");
			break;
		}
		case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
			if (len == 8) {
				spec[sl] = 'L';
				spec[sl + 1] = conv;
				spec[sl + 2] = 0;
				n = snprintf(dst, room, spec, va_arg(args, long double));
			} else {
				spec[sl] = conv;
				spec[sl + 1] = 0;
				n = snprintf(dst, room, spec, va_arg(args, double));
			}
			break;
		case 'p':
			f = format_pointer(o, f, width, &args);
			continue;
		case 'n':
			(void)va_arg(args, void *);
			continue;
		default:
			/* Unknown conversion: print it as written. */
			while (start < f)
				out_putc(o, *start++);
			continue;
		}
		if (n > 0) {
			/* snprintf wrote (at most room-1 bytes) in place; account for everything it wanted to write. */
			o->len += (size_t)n;
		}
	}
	va_end(args);
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = 0;
}

/* printk continuation: a line without its newline waits for KERN_CONT pieces, as in the kernel. */
static char cont_buf[1024];
static size_t cont_len;
static int cont_level = -1;
static int cont_dev;

static void cont_flush(void)
{
	if (cont_level >= 0) {
		cont_buf[cont_len] = 0;
		ops.printk(cont_level, cont_dev, cont_buf);
		cont_level = -1;
		cont_len = 0;
	}
}

/* Emit text (may hold several lines); a missing final newline starts a continuation. */
static void emit(int level, int dev, const char *text, int is_cont)
{
	pthread_mutex_lock(&state_lock);
	if (is_cont && cont_level >= 0) {
		level = cont_level;
		dev = cont_dev;
	} else {
		cont_flush();
	}
	size_t n = strlen(text);
	if (n && text[n - 1] == '\n') {
		if (cont_level >= 0) {
			size_t room = sizeof(cont_buf) - 1 - cont_len;
			size_t take = n - 1 < room ? n - 1 : room;
			memcpy(cont_buf + cont_len, text, take);
			cont_len += take;
			cont_buf[cont_len] = 0;
			ops.printk(level, dev, cont_buf);
			cont_level = -1;
			cont_len = 0;
		} else {
			char *line = strndup(text, n - 1);
			ops.printk(level, dev, line ? line : text);
			free(line);
		}
	} else {
		size_t room = sizeof(cont_buf) - 1 - cont_len;
		size_t take = n < room ? n : room;
		memcpy(cont_buf + cont_len, text, take);
		cont_len += take;
		cont_level = level;
		cont_dev = dev;
	}
	pthread_mutex_unlock(&state_lock);
}

EXPORT void dmashim_log_flush(void)
{
	if (!ready)
		return;
	pthread_mutex_lock(&state_lock);
	cont_flush();
	pthread_mutex_unlock(&state_lock);
}

int vprintk(const char *fmt, va_list args)
{
	if (!enter("printk"))
		return 0;
	int level = 4, is_cont = 0;
	while (fmt[0] == KERN_SOH_ASCII && fmt[1]) {
		if (fmt[1] >= '0' && fmt[1] <= '7')
			level = fmt[1] - '0';
		else if (fmt[1] == 'c')
			is_cont = 1;
		fmt += 2;
	}
	char buf[1024];
	struct outbuf o = { buf, sizeof(buf), 0 };
	format_into(&o, fmt, args);
	emit(level, 0, buf, is_cont);
	return (int)o.len;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

/* --------------------------------------------------------------- devices */

/* The TypeScript device paired with a C struct device, created on first sight; C field changes are sent first. */
static int32_t devid(const struct device *cdev)
{
	struct device *dev = (struct device *)cdev;
	if (!dev)
		return 0;
	struct dmashim_device_state *s = &dev->__dmashim;
	int fresh = 0;
	if (unlikely(s->id == 0)) {
		pthread_mutex_lock(&state_lock);
		if (s->id == 0) {
			s->id = ops.dev_new(addr_arg(dev), dev->bus == &pci_bus_type);
			fresh = 1;
		}
		pthread_mutex_unlock(&state_lock);
	}
	if (unlikely(fresh || s->bus != dev->bus || s->driver != dev->driver || s->dma_mask_ptr != dev->dma_mask ||
		     (dev->dma_mask && *dev->dma_mask != s->dma_mask) || s->coherent_dma_mask != dev->coherent_dma_mask ||
		     s->bus_dma_limit != dev->bus_dma_limit)) {
		u64 m = dev->dma_mask ? *dev->dma_mask : 0;
		ops.dev_sync(s->id, dev->dma_mask != NULL, upper_32_bits(m), lower_32_bits(m),
			     upper_32_bits(dev->coherent_dma_mask), lower_32_bits(dev->coherent_dma_mask),
			     upper_32_bits(dev->bus_dma_limit), lower_32_bits(dev->bus_dma_limit),
			     dev->driver ? dev->driver->name : NULL, dev->bus ? dev->bus->name : NULL);
		s->bus = dev->bus;
		s->driver = dev->driver;
		s->dma_mask_ptr = dev->dma_mask;
		s->dma_mask = m;
		s->coherent_dma_mask = dev->coherent_dma_mask;
		s->bus_dma_limit = dev->bus_dma_limit;
	}
	return s->id;
}

void __dmashim_dev_printk(int level, const struct device *dev, const char *fmt, ...)
{
	if (!enter("dev_printk"))
		return;
	char buf[1024];
	struct outbuf o = { buf, sizeof(buf), 0 };
	va_list ap;
	va_start(ap, fmt);
	format_into(&o, fmt, ap);
	va_end(ap);
	emit(level, dev ? devid(dev) : -1, buf, 0);
}

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	if (!enter("dev_set_name"))
		return -ENOMEM;
	char buf[256];
	struct outbuf o = { buf, sizeof(buf), 0 };
	va_list ap;
	va_start(ap, fmt);
	format_into(&o, fmt, ap);
	va_end(ap);
	char *name = strdup(buf);
	if (!name)
		return -ENOMEM;
	free(dev->__dmashim.name);
	dev->__dmashim.name = name;
	return ops.dev_set_name(devid(dev), name);
}

/* The PCI bus's device list, for pci_register_driver's matching. */
static struct pci_dev *pci_devices;
const struct bus_type pci_bus_type = { .name = "pci" };

void device_initialize(struct device *dev)
{
	(void)dev;
}

int device_add(struct device *dev)
{
	if (!enter("device_add"))
		return -EBUSY;
	/* The init name becomes the name, as device_add() does in the kernel. */
	if (dev->init_name) {
		const char *n = dev->init_name;
		dev->init_name = NULL;
		int rc = dev_set_name(dev, "%s", n);
		if (rc)
			return rc;
	}
	int rc = ops.dev_register(devid(dev));
	if (rc == 0 && !dev->__dmashim.registered) {
		dev->__dmashim.registered = 1;
		if (dev->bus == &pci_bus_type) {
			struct pci_dev *pdev = to_pci_dev(dev);
			pthread_mutex_lock(&state_lock);
			pdev->__dmashim_next = pci_devices;
			pci_devices = pdev;
			pthread_mutex_unlock(&state_lock);
		}
	}
	return rc;
}

int device_register(struct device *dev)
{
	device_initialize(dev);
	return device_add(dev);
}

void device_del(struct device *dev)
{
	if (!enter("device_del"))
		return;
	if (dev->__dmashim.registered && dev->bus == &pci_bus_type) {
		pthread_mutex_lock(&state_lock);
		for (struct pci_dev **pp = &pci_devices; *pp; pp = &(*pp)->__dmashim_next) {
			if (&(*pp)->dev == dev) {
				*pp = (*pp)->__dmashim_next;
				break;
			}
		}
		pthread_mutex_unlock(&state_lock);
	}
	dev->__dmashim.registered = 0;
	/* Unregistering reports the pools left behind and releases managed ones. */
	pool_cache_forget_dev(dev);
	pool_cache_drain_all();
	ops.dev_unregister(devid(dev));
}

void device_unregister(struct device *dev)
{
	device_del(dev);
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, struct pci_dev *dev)
{
	for (; ids && (ids->vendor || ids->subvendor || ids->class_mask); ids++) {
		if ((ids->vendor == (__u32)PCI_ANY_ID || ids->vendor == dev->vendor) &&
		    (ids->device == (__u32)PCI_ANY_ID || ids->device == dev->device) &&
		    (ids->subvendor == (__u32)PCI_ANY_ID || ids->subvendor == dev->subsystem_vendor) &&
		    (ids->subdevice == (__u32)PCI_ANY_ID || ids->subdevice == dev->subsystem_device) &&
		    !((ids->class ^ dev->class) & ids->class_mask))
			return ids;
	}
	return NULL;
}

static void pci_unbind(struct pci_dev *pdev)
{
	/*
	 * Driver detach releases the device's managed resources (dmam_*), as
	 * devres_release_all(), while the driver is still bound (its reports carry
	 * the driver's prefix), and only then clears the driver, as the kernel does.
	 */
	pool_cache_forget_dev(&pdev->dev);
	pool_cache_drain_all();
	ops.dev_release_driver(devid(&pdev->dev));
	pdev->driver = NULL;
	pdev->dev.driver = NULL;
	devid(&pdev->dev);
}

int pci_register_driver(struct pci_driver *drv)
{
	if (!enter("pci_register_driver"))
		return -EBUSY;
	drv->driver.name = drv->name;
	drv->driver.bus = &pci_bus_type;
	/* Newest device first on the list; probe oldest first, as devices were found. */
	struct pci_dev *list[256];
	int n = 0;
	pthread_mutex_lock(&state_lock);
	for (struct pci_dev *p = pci_devices; p && n < 256; p = p->__dmashim_next)
		list[n++] = p;
	pthread_mutex_unlock(&state_lock);
	while (n-- > 0) {
		struct pci_dev *pdev = list[n];
		if (pdev->driver)
			continue;
		const struct pci_device_id *id = pci_match_id(drv->id_table, pdev);
		if (!id)
			continue;
		pdev->driver = drv;
		pdev->dev.driver = &drv->driver;
		int rc = drv->probe ? drv->probe(pdev, id) : 0;
		if (rc) {
			/* A failed probe is logged and the device stays unbound, as really_probe(). */
			dev_warn(&pdev->dev, "probe with driver %s failed with error %d\n", drv->name, rc);
			pci_unbind(pdev);
		}
	}
	return 0;
}

void pci_unregister_driver(struct pci_driver *drv)
{
	if (!enter("pci_unregister_driver"))
		return;
	struct pci_dev *list[256];
	int n = 0;
	pthread_mutex_lock(&state_lock);
	for (struct pci_dev *p = pci_devices; p && n < 256; p = p->__dmashim_next)
		if (p->driver == drv)
			list[n++] = p;
	pthread_mutex_unlock(&state_lock);
	for (int i = 0; i < n; i++) {
		if (drv->remove)
			drv->remove(list[i]);
		pci_unbind(list[i]);
	}
}

/* ----------------------------------------------------------------- masks */

static int mask_op(struct device *dev, int op, u64 mask)
{
	return ops.dev_mask(devid(dev), op, upper_32_bits(mask), lower_32_bits(mask), my_slot());
}

int dma_set_mask(struct device *dev, u64 mask)
{
	if (!enter("dma_set_mask") || !dev)
		return -EIO;
	int rc = mask_op(dev, 0, mask);
	if (rc == 0 && dev->dma_mask) {
		/* TypeScript accepted it; store it where the kernel does, and remember we sent it. */
		*dev->dma_mask = mask;
		dev->__dmashim.dma_mask = mask;
	}
	return rc;
}

int dma_set_coherent_mask(struct device *dev, u64 mask)
{
	if (!enter("dma_set_coherent_mask") || !dev)
		return -EIO;
	int rc = mask_op(dev, 1, mask);
	if (rc == 0) {
		dev->coherent_dma_mask = mask;
		dev->__dmashim.coherent_dma_mask = mask;
	}
	return rc;
}

int dma_supported(struct device *dev, u64 mask)
{
	if (!enter("dma_supported") || !dev)
		return 0;
	return mask_op(dev, 2, mask);
}

u64 dma_get_required_mask(struct device *dev)
{
	if (!enter("dma_get_required_mask") || !dev)
		return DMA_BIT_MASK(32);
	int slot = my_slot();
	ops.dev_mask(devid(dev), 3, 0, 0, slot);
	return scratch_get(slot, 0);
}

/* -------------------------------------------------------------- dma_pool */

/*
 * The fast area: the call block of pool_alloc_fast/pool_free_fast and the
 * records of pool_batch, as doubles (TypeScript reads them through a view).
 * Used only on the JS thread in synchronous mode, so one area serves all.
 * Reentrancy (a log hook that allocates while TypeScript is inside a call) is
 * safe because TypeScript reads every argument before it does anything that
 * can log, and writes the results last; C reads them right after the call.
 */
static double fast_area[DMASHIM_FAST_AREA_WORDS] __attribute__((aligned(64)));
static double *const batch_rec = fast_area + DMASHIM_FAST_WORDS;

EXPORT void *dmashim_fast_area(void) { return fast_area; }
EXPORT int32_t dmashim_fast_area_size(void) { return (int32_t)sizeof(fast_area); }

/*
 * The per-pool block cache (dmashim run --pool-cache[=N], synchronous mode
 * only). Free blocks of a pool wait in a C-side LIFO, and TypeScript is asked
 * once per batch (refill: take up to N/2 blocks; drain: give back the oldest
 * N/2). The cache is the top of the pool's free list as TypeScript would have
 * it: a refill moves the top of TypeScript's list into C in pop order, a drain
 * pushes the bottom of the cache back bottom first, so the blocks a program
 * gets are exactly those it would get without the cache, in the same order,
 * and pages are allocated at the same calls (a refill never takes a new page
 * after its first block).
 *
 * Frees are accepted in C only when C can prove TypeScript would accept them:
 * `block_meta` (one entry per 16 arena bytes, the minimum block size, so two
 * block starts never share one) records every block C handed out: pool, dma
 * and the low bits of the vaddr. Anything else (a double free of a cached or
 * returned block, a bad dma or vaddr, a block of another pool) first drains
 * the pool, so TypeScript's state is exact, and is then forwarded: the report
 * is the core's own, at the same call, with the C line.
 */
struct dma_pool {
	int32_t id;
	struct device *dev;
	/* Cache capacity (0 = no cache for this pool) and fill. */
	int32_t cap;
	int32_t n;
	/* A refill or drain of this pool is in flight (a nested call from a log hook bypasses the cache). */
	int32_t busy;
	/* Block size as the core rounded it: zalloc from the cache zeroes it here. */
	size_t size;
	struct dma_pool *next_cached;
	struct cached_block {
		void *v;
		dma_addr_t dma;
	} *blk;
};

struct block_meta {
	int32_t pool;
	uint32_t tag; /* (vaddr & 15) | META_LIVE or META_CACHED; 0 = not handed out by C */
	uint64_t dma;
};
#define META_LIVE 0x10u
#define META_CACHED 0x20u

static int pool_cache_cap;		 /* --pool-cache: capacity per pool, 0 = off */
static struct block_meta *block_meta;	 /* arena_size / 16 entries, reserved on first use */
static struct dma_pool *cached_pools;	 /* every pool with a cache (never freed, like all pools) */
static long cached_total;		 /* blocks in all caches: the drain-all check is one load */

/* Called by the runner after dmashim_bridge_init: 0 = off. The runner already refused it with --threads. */
EXPORT int32_t dmashim_pool_cache_config(int32_t cap)
{
	if (cap < 0 || cap > DMASHIM_BATCH_MAX || threaded)
		return -1;
	pool_cache_cap = cap >= 2 ? cap : 0;
	return 0;
}

static inline struct block_meta *meta_of(const void *v)
{
	uintptr_t off = (uintptr_t)v - (uintptr_t)arena;
	return off < arena_size ? &block_meta[off >> 4] : NULL;
}

static inline uint32_t meta_tag(const void *v, uint32_t state) { return ((uint32_t)(uintptr_t)v & 15u) | state; }

/* Give the oldest k cached blocks back to TypeScript, oldest first (the bottom of the stack goes back on top of TypeScript's list). */
static noinline void cache_drain(struct dma_pool *pool, int k)
{
	if (k <= 0)
		return;
	for (int i = 0; i < k; i++) {
		struct cached_block *b = &pool->blk[i];
		struct block_meta *m = meta_of(b->v);
		m->pool = 0;
		m->tag = 0;
		batch_rec[2 * i] = addr_arg(b->v);
		batch_rec[2 * i + 1] = (double)b->dma;
	}
	pool->busy = 1;
	ops.pool_batch(1, pool->id, k, 0, 0);
	pool->busy = 0;
	pool->n -= k;
	cached_total -= k;
	memmove(pool->blk, pool->blk + k, sizeof(*pool->blk) * (size_t)pool->n);
}

static void pool_cache_drain_all(void)
{
	if (likely(cached_total == 0))
		return;
	for (struct dma_pool *p = cached_pools; p; p = p->next_cached)
		if (!p->busy)
			cache_drain(p, p->n);
}

/*
 * Drain and switch the cache off for good (destroy, poisoning, the device going
 * away). While the pool is busy (only a refill can be: a drain frees valid
 * blocks, which logs nothing, so no log hook runs inside it) the cache is empty.
 */
static void cache_off(struct dma_pool *pool)
{
	if (!pool->cap)
		return;
	if (!pool->busy)
		cache_drain(pool, pool->n);
	pool->cap = 0;
}

/* The device's pools may be destroyed by TypeScript (devres): their caches go first. */
static void pool_cache_forget_dev(const struct device *dev)
{
	for (struct dma_pool *p = cached_pools; p; p = p->next_cached)
		if (p->dev == dev)
			cache_off(p);
}

/* Everything the runner prints after main (--pools, --leaks) sees the core's exact state. */
EXPORT void dmashim_pool_cache_drain(void)
{
	if (ready)
		pool_cache_drain_all();
}

static void cache_setup(struct dma_pool *pool, unsigned int flags)
{
	if (!pool_cache_cap || (flags & __DMASHIM_POOL_POISON))
		return;
	if (!block_meta) {
		void *m = mmap(NULL, arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return; /* no cache then: every call goes to TypeScript */
		block_meta = m;
	}
	pool->blk = calloc((size_t)pool_cache_cap, sizeof(*pool->blk));
	if (!pool->blk)
		return;
	pool->size = (size_t)ops.pool_batch(2, pool->id, 0, 0, 0);
	pool->cap = pool_cache_cap;
	pool->next_cached = cached_pools;
	cached_pools = pool;
}

struct dma_pool *__dmashim_dma_pool_create(const char *name, struct device *dev, size_t size, size_t align,
					   size_t boundary, int node, unsigned int flags, const char *site)
{
	if (!enter("dma_pool_create"))
		return NULL;
	int32_t id = ops.pool_create(name ? name : "(null)", devid(dev), (double)size, (double)align,
				     (double)boundary, node, flags, site_arg(site));
	if (id <= 0)
		return NULL;
	struct dma_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->id = id;
	pool->dev = dev;
	cache_setup(pool, flags);
	return pool;
}

/* The cache is empty: take a batch from TypeScript, hand out the first block, keep the rest in pop order. */
static noinline void *cache_refill(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle, const char *site)
{
	devid(pool->dev);
	pool->busy = 1;
	int k = ops.pool_batch(0, pool->id, pool->cap / 2, gfp & ~__GFP_ZERO, site_arg(site));
	pool->busy = 0;
	if (k <= 0)
		return NULL;
	void *v = arena + (size_t)batch_rec[0];
	dma_addr_t dma = (dma_addr_t)batch_rec[1];
	/*
	 * A log hook destroyed (or poisoned) the pool during the refill: only the
	 * first block is the caller's; the others stay allocated in the core, as a
	 * pool destroyed from inside its own allocation deserves.
	 */
	if (unlikely(!pool->cap))
		k = 1;
	for (int i = k - 1, j = pool->n; i >= 1; i--, j++) {
		void *bv = arena + (size_t)batch_rec[2 * i];
		struct block_meta *m = meta_of(bv);
		pool->blk[j].v = bv;
		pool->blk[j].dma = (dma_addr_t)batch_rec[2 * i + 1];
		m->pool = pool->id;
		m->tag = meta_tag(bv, META_CACHED);
		m->dma = pool->blk[j].dma;
	}
	pool->n += k - 1;
	cached_total += k - 1;
	struct block_meta *m = meta_of(v);
	m->pool = pool->id;
	m->tag = meta_tag(v, META_LIVE);
	m->dma = dma;
	if (gfp & __GFP_ZERO)
		memset(v, 0, pool->size);
	if (likely(handle != NULL))
		*handle = dma;
	return v;
}

void *__dmashim_dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle, const char *site)
{
	if (!enter("dma_pool_alloc"))
		return NULL;
	if (unlikely(!pool)) {
		pr_err("dma_pool_alloc: NULL pool (called at %s)\n", site ? site : "?");
		return NULL;
	}
	if (pool->cap && !pool->busy) {
		if (likely(pool->n > 0)) {
			/* The core's might_alloc() check, which a block from the cache would skip. */
			if (unlikely(ctx_atomic()) && gfpflags_allow_blocking(mem_flags))
				ops.context(10, (int32_t)mem_flags, site_arg(site));
			struct cached_block *b = &pool->blk[--pool->n];
			cached_total--;
			meta_of(b->v)->tag = meta_tag(b->v, META_LIVE);
			if (mem_flags & __GFP_ZERO)
				memset(b->v, 0, pool->size);
			if (likely(handle != NULL))
				*handle = b->dma;
			return b->v;
		}
		return cache_refill(pool, mem_flags, handle, site);
	}
	devid(pool->dev);
	if (likely(!threaded)) {
		fast_area[0] = pool->id;
		fast_area[1] = mem_flags;
		fast_area[2] = site_arg(site);
		ops.pool_alloc_fast();
		double off = fast_area[0];
		if (off < 0)
			return NULL;
		if (likely(handle != NULL))
			*handle = (dma_addr_t)fast_area[1];
		return arena_ptr(off);
	}
	int slot = my_slot();
	double off = ops.pool_alloc(pool->id, mem_flags, slot, site_arg(site));
	if (off < 0)
		return NULL;
	if (likely(handle != NULL))
		*handle = scratch_get(slot, 0);
	return arena_ptr(off);
}

/* A free the cache cannot prove valid: TypeScript decides on its exact state, and reports with the C line. */
static noinline void cache_forward_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, struct block_meta *m,
					const char *site)
{
	if (!pool->busy)
		cache_drain(pool, pool->n);
	/* A live block freed while the cache is bypassed: TypeScript takes it, C must forget it. */
	if (m && m->pool == pool->id && m->tag == meta_tag(vaddr, META_LIVE) && m->dma == dma) {
		m->pool = 0;
		m->tag = 0;
	}
	fast_area[0] = pool->id;
	fast_area[1] = addr_arg(vaddr);
	fast_area[2] = (double)dma;
	fast_area[3] = site_arg(site);
	ops.pool_free_fast();
}

void __dmashim_dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, const char *site)
{
	if (!enter("dma_pool_free"))
		return;
	if (unlikely(!pool)) {
		pr_err("dma_pool_free: NULL pool (called at %s)\n", site ? site : "?");
		return;
	}
	if (pool->cap) {
		struct block_meta *m = meta_of(vaddr);
		if (likely(m && m->pool == pool->id && m->tag == meta_tag(vaddr, META_LIVE) && m->dma == dma &&
			   !pool->busy)) {
			if (unlikely(pool->n == pool->cap))
				cache_drain(pool, pool->cap / 2);
			m->tag = meta_tag(vaddr, META_CACHED);
			pool->blk[pool->n].v = vaddr;
			pool->blk[pool->n].dma = dma;
			pool->n++;
			cached_total++;
			return;
		}
		cache_forward_free(pool, vaddr, dma, m, site);
		return;
	}
	if (likely(!threaded)) {
		fast_area[0] = pool->id;
		fast_area[1] = addr_arg(vaddr);
		fast_area[2] = (double)dma;
		fast_area[3] = site_arg(site);
		ops.pool_free_fast();
		return;
	}
	ops.pool_free(pool->id, addr_arg(vaddr), (double)dma, site_arg(site));
}

void __dmashim_dma_pool_destroy(struct dma_pool *pool, int managed, const char *site)
{
	if (!enter("dma_pool_destroy") || !pool)
		return;
	/* The busy check and the leak lines count blocks: cached ones must be back in the core first. */
	cache_off(pool);
	ops.pool_destroy(pool->id, managed, site_arg(site));
}

void dmashim_pool_set_poison(struct dma_pool *pool, int on)
{
	if (!enter("dmashim_pool_set_poison") || !pool)
		return;
	/* Poisoning checks every alloc and free in the core: no cache from now on. */
	if (on > 0)
		cache_off(pool);
	ops.pool_set_poison(pool->id, on);
}

int dmashim_pool_cached(struct dma_pool *pool)
{
	return pool ? pool->n : 0;
}

/* The plain functions, for callers that take their address (no call site known). */
struct dma_pool *(dma_pool_create)(const char *name, struct device *dev, size_t size, size_t align, size_t boundary)
{
	return __dmashim_dma_pool_create(name, dev, size, align, boundary, -1, 0, NULL);
}
struct dma_pool *(dma_pool_create_node)(const char *name, struct device *dev, size_t size, size_t align,
					size_t boundary, int node)
{
	return __dmashim_dma_pool_create(name, dev, size, align, boundary, node, 0, NULL);
}
struct dma_pool *(dmam_pool_create)(const char *name, struct device *dev, size_t size, size_t align, size_t allocation)
{
	return __dmashim_dma_pool_create(name, dev, size, align, allocation, -1, __DMASHIM_POOL_MANAGED, NULL);
}
void *(dma_pool_alloc)(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle)
{
	return __dmashim_dma_pool_alloc(pool, mem_flags, handle, NULL);
}
void *(dma_pool_zalloc)(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle)
{
	return __dmashim_dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle, NULL);
}
void (dma_pool_free)(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	__dmashim_dma_pool_free(pool, vaddr, dma, NULL);
}
void (dma_pool_destroy)(struct dma_pool *pool)
{
	__dmashim_dma_pool_destroy(pool, 0, NULL);
}
void (dmam_pool_destroy)(struct dma_pool *pool)
{
	__dmashim_dma_pool_destroy(pool, 1, NULL);
}

/* -------------------------------------------------------------- coherent */

void *__dmashim_dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag,
				unsigned long attrs, int managed, const char *site)
{
	if (!enter("dma_alloc_coherent"))
		return NULL;
	int slot = my_slot();
	double off = ops.alloc_coherent(devid(dev), (double)size, flag, (double)attrs, managed, slot, site_arg(site));
	if (off < 0)
		return NULL;
	if (likely(dma_handle != NULL))
		*dma_handle = scratch_get(slot, 0);
	return arena_ptr(off);
}

void __dmashim_dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle,
			      unsigned long attrs, int managed, const char *site)
{
	if (!enter("dma_free_coherent"))
		return;
	ops.free_coherent(devid(dev), (double)size, addr_arg(cpu_addr), (double)dma_handle, (double)attrs, managed,
			  site_arg(site));
}

void *(dma_alloc_attrs)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag, unsigned long attrs)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, flag, attrs, 0, NULL);
}
void (dma_free_attrs)(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle, unsigned long attrs)
{
	__dmashim_dma_free_attrs(dev, size, cpu_addr, dma_handle, attrs, 0, NULL);
}
void *(dma_alloc_coherent)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, gfp, 0, 0, NULL);
}
void (dma_free_coherent)(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle)
{
	__dmashim_dma_free_attrs(dev, size, cpu_addr, dma_handle, 0, 0, NULL);
}
void *(dmam_alloc_coherent)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, gfp, 0, 1, NULL);
}
void (dmam_free_coherent)(struct device *dev, size_t size, void *vaddr, dma_addr_t dma_handle)
{
	__dmashim_dma_free_attrs(dev, size, vaddr, dma_handle, 0, 1, NULL);
}

/* ----------------------------------------------------- pages and kmalloc */

unsigned long __dmashim_get_free_pages(gfp_t gfp_mask, unsigned int order, const char *site)
{
	if (!enter("__get_free_pages"))
		return 0;
	double off = ops.get_free_pages(gfp_mask, (int32_t)order, site_arg(site));
	return off < 0 ? 0 : (unsigned long)arena_ptr(off);
}

void __dmashim_free_pages(unsigned long addr, unsigned int order, const char *site)
{
	if (!enter("free_pages") || addr == 0)
		return;
	(ops.free_pages)((double)addr, (int32_t)order, site_arg(site));
}

unsigned long (__get_free_pages)(gfp_t gfp_mask, unsigned int order)
{
	return __dmashim_get_free_pages(gfp_mask, order, NULL);
}
unsigned long (get_zeroed_page)(gfp_t gfp_mask)
{
	return __dmashim_get_free_pages(gfp_mask | __GFP_ZERO, 0, NULL);
}
void (free_pages)(unsigned long addr, unsigned int order)
{
	__dmashim_free_pages(addr, order, NULL);
}

void *__dmashim_kmalloc(size_t size, gfp_t flags, const char *site)
{
	if (!enter("kmalloc"))
		return NULL;
	if (size == 0)
		return ZERO_SIZE_PTR;
	double off = (ops.kmalloc)((double)size, flags, site_arg(site));
	return off < 0 ? NULL : arena_ptr(off);
}

void __dmashim_kfree(const void *objp, const char *site)
{
	if (!enter("kfree") || ZERO_OR_NULL_PTR(objp))
		return;
	(ops.kfree)(addr_arg(objp), site_arg(site));
}

size_t ksize(const void *objp)
{
	if (!enter("ksize") || ZERO_OR_NULL_PTR(objp))
		return 0;
	double n = ops.addr(2, addr_arg(objp));
	return n > 0 ? (size_t)n : 0;
}

void *(kmalloc)(size_t size, gfp_t flags)
{
	return __dmashim_kmalloc(size, flags, NULL);
}
void *(kzalloc)(size_t size, gfp_t flags)
{
	return __dmashim_kmalloc(size, flags | __GFP_ZERO, NULL);
}
void (kfree)(const void *objp)
{
	__dmashim_kfree(objp, NULL);
}

phys_addr_t virt_to_phys(volatile void *address)
{
	if (!enter("virt_to_phys"))
		return ~(phys_addr_t)0;
	double phys = ops.addr(0, addr_arg(address));
	return phys < 0 ? ~(phys_addr_t)0 : (phys_addr_t)phys;
}

void *phys_to_virt(phys_addr_t address)
{
	if (!enter("phys_to_virt"))
		return NULL;
	double off = ops.addr(1, (double)address);
	return off < 0 ? NULL : arena_ptr(off);
}

/* ------------------------------------------------------------- streaming */

/*
 * Memory that must not be mapped (DMA-mapping.txt: "you may not use kernel image
 * addresses ... nor may you use kernel stack addresses"), seen from C: a buffer
 * outside the arena that lies just above our own stack frame is on the calling
 * thread's stack (koffi's stack, or a pthread's: at most 16 MiB, so "probable",
 * as dma-debug says for vmap stacks); one that dladdr() places inside a loaded
 * object is the program's static data or text. The TypeScript side reports it
 * with dma-debug's text; flags ride in the high bits of `kind`.
 */
#define DMASHIM_AREA_STACK 0x10
#define DMASHIM_AREA_IMAGE 0x20
#define DMASHIM_STACK_WINDOW (16u << 20)

static noinline int classify_area(const void *p)
{
	volatile char probe = 0;
	uintptr_t sp = (uintptr_t)&probe, a = (uintptr_t)p;
	Dl_info info;

	if (a - (uintptr_t)arena < arena_size)
		return 0;
	if (a + 4096 >= sp && a < sp + DMASHIM_STACK_WINDOW)
		return DMASHIM_AREA_STACK;
	if (dladdr(p, &info) && info.dli_fname)
		return DMASHIM_AREA_IMAGE;
	return 0;
}

/* The device of this thread's last streaming map: what the pre-2.6.27 dma_mapping_error(addr) refers to. */
static __thread struct device *last_map_dev;

dma_addr_t __dmashim_dma_map(struct device *dev, void *ptr, size_t size, enum dma_data_direction dir,
			     unsigned long attrs, int kind, const char *site)
{
	if (!enter("dma_map_single"))
		return DMA_MAPPING_ERROR;
	last_map_dev = dev;
	double dma = ops.map(devid(dev), addr_arg(ptr), (double)size, (int32_t)dir, (double)attrs,
			     kind | classify_area(ptr), site_arg(site));
	return dma < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)dma;
}

void __dmashim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			 unsigned long attrs, int kind, const char *site)
{
	if (!enter("dma_unmap_single"))
		return;
	ops.unmap(devid(dev), (double)addr, (double)size, (int32_t)dir, (double)attrs, kind, site_arg(site));
}

void __dmashim_dma_sync(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			int for_device, const char *site)
{
	if (!enter("dma_sync_single"))
		return;
	ops.sync(devid(dev), (double)addr, (double)size, (int32_t)dir, for_device, site_arg(site));
}

int __dmashim_dma_mapping_error(struct device *dev, dma_addr_t dma_addr, const char *site)
{
	if (!enter("dma_mapping_error"))
		return 1;
	if (!dev) {
		/*
		 * The one-argument form of old kernels (dma_mapping_error(addr),
		 * pci_dma_mapping_error(addr)) names no device: drivers call it right
		 * after the map, so dma-debug marks the check on that map's device.
		 */
		dev = last_map_dev;
		if (!dev)
			return dma_addr == DMA_MAPPING_ERROR;
	}
	return ops.mapping_error(devid(dev), (double)dma_addr, site_arg(site));
}

/* Flatten a C scatterlist into records of 4 doubles, call TypeScript, copy the results back. */
static int sg_call(int op, struct device *dev, struct scatterlist *sgl, int nents, enum dma_data_direction dir,
		   unsigned long attrs, const char *site)
{
	if (nents <= 0)
		return 0;
	double *buf = malloc(sizeof(double) * 4 * (size_t)nents);
	if (!buf)
		return 0;
	struct scatterlist *sg;
	int i;
	for_each_sg(sgl, sg, nents, i) {
		buf[i * 4 + 0] = addr_arg(sg_virt(sg));
		buf[i * 4 + 1] = sg->length;
		buf[i * 4 + 2] = sg->dma_address == DMA_MAPPING_ERROR ? -1 : (double)sg->dma_address;
		buf[i * 4 + 3] = sg->dma_length;
	}
	int rc = ops.sg(op, devid(dev), addr_arg(buf), nents, (int32_t)dir, (double)attrs, site_arg(site));
	if (op == 0) {
		for_each_sg(sgl, sg, nents, i) {
			double d = buf[i * 4 + 2];
			sg->dma_address = d < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)d;
			sg->dma_length = (unsigned int)buf[i * 4 + 3];
		}
	}
	free(buf);
	return rc;
}

int __dmashim_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			 unsigned long attrs, const char *site)
{
	if (!enter("dma_map_sg"))
		return 0;
	return sg_call(0, dev, sg, nents, dir, attrs, site);
}

void __dmashim_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			    unsigned long attrs, const char *site)
{
	if (!enter("dma_unmap_sg"))
		return;
	sg_call(1, dev, sg, nents, dir, attrs, site);
}

void __dmashim_dma_sync_sg(struct device *dev, struct scatterlist *sg, int nelems, enum dma_data_direction dir,
			   int for_device, const char *site)
{
	if (!enter("dma_sync_sg"))
		return;
	sg_call(for_device ? 3 : 2, dev, sg, nelems, dir, 0, site);
}

/* ------------------------------------------------- execution context, locks */

/*
 * The simulated context (linux/preempt.h), per thread in C. In synchronous
 * mode every change is mirrored into the core (ops.context), so the core's
 * might_sleep()/might_alloc() checks see it; C asks the core about a sleeping
 * call only when the context is atomic, so a mutex_lock() or msleep() outside
 * locks costs no crossing. With --threads the state stays in C (the core's is
 * one per process, and threads take locks independently).
 */
struct ctx_state {
	int preempt;
	int irqs_off;
	int hardirq;
	int irq_flags[16];	/* irqs_off at each irq_enter, for irq_exit */
};
static __thread struct ctx_state cctx;

static inline int ctx_atomic(void) { return cctx.preempt > 0 || cctx.irqs_off > 0 || cctx.hardirq > 0; }
static inline int ctx_forward(void) { return !threaded && pthread_equal(pthread_self(), js_thread); }

int __dmashim_context(int op, int arg, const char *site)
{
	if (unlikely(!ready))
		not_ready("preempt_disable/local_irq_save/might_sleep");
	int fwd = ctx_forward();
	switch (op) {
	case __DMASHIM_CTX_PREEMPT_DISABLE:
		cctx.preempt++;
		break;
	case __DMASHIM_CTX_PREEMPT_ENABLE:
		if (cctx.preempt > 0)
			cctx.preempt--;
		break;
	case __DMASHIM_CTX_IRQ_SAVE: {
		int flags = cctx.irqs_off;
		cctx.irqs_off++;
		if (fwd)
			ops.context(op, 0, 0);
		return flags;
	}
	case __DMASHIM_CTX_IRQ_RESTORE:
		cctx.irqs_off = arg;
		break;
	case __DMASHIM_CTX_IRQ_DISABLE:
		cctx.irqs_off++;
		break;
	case __DMASHIM_CTX_IRQ_ENABLE:
		cctx.irqs_off = 0;
		break;
	case __DMASHIM_CTX_MIGHT_SLEEP:
		if (!ctx_atomic() || !fwd)
			return 0;
		return ops.context(op, 0, site_arg(site));
	case __DMASHIM_CTX_IRQ_ENTER:
		if (cctx.hardirq < (int)ARRAY_SIZE(cctx.irq_flags))
			cctx.irq_flags[cctx.hardirq] = cctx.irqs_off;
		cctx.hardirq++;
		break;
	case __DMASHIM_CTX_IRQ_EXIT:
		if (cctx.hardirq == 0)
			return 0;
		cctx.hardirq--;
		arg = cctx.hardirq < (int)ARRAY_SIZE(cctx.irq_flags) ? cctx.irq_flags[cctx.hardirq] : 0;
		break;
	case __DMASHIM_CTX_QUERY:
		return (ctx_atomic() && (cctx.preempt > 0 || cctx.hardirq > 0) ? 1 : 0) |
		       (cctx.irqs_off > 0 || cctx.hardirq > 0 ? 2 : 0) | (cctx.hardirq > 0 ? 4 : 0) |
		       ((cctx.preempt + (cctx.hardirq << 16)) << 8);
	default:
		return -EINVAL;
	}
	if (fwd)
		ops.context(op, arg, 0);
	return 0;
}

unsigned long __dmashim_current_thread(void)
{
	return (unsigned long)pthread_self();
}

static const char *lock_bug_text[] = { "recursion", "already unlocked", "wrong owner" };

/* CONFIG_DEBUG_SPINLOCK's spin_bug(): the report, then (recursion) stop, as the kernel would hang there. */
void __dmashim_spin_bug(const spinlock_t *lock, int kind, const char *site)
{
	printk(KERN_EMERG "BUG: spinlock %s on CPU#0, dmashim/%d\n", lock_bug_text[kind], (int)getpid());
	printk(KERN_EMERG " lock: %s, .magic: dead4ead, .owner: %s/%d, .owner_cpu: %d\n",
	       lock->name ? lock->name : "?", lock->owner ? "dmashim" : "<none>", lock->owner ? (int)getpid() : -1,
	       lock->owner ? 0 : -1);
	printk(KERN_EMERG "spinlock taken or released at %s\n", site ? site : "?");
	if (kind == 0) {
		printk(KERN_EMERG "the kernel would spin here forever (a self-deadlock); stopping the program\n");
		dmashim_log_flush();
		fflush(NULL);
		abort();
	}
}

/* A contended mutex: yield until it is free (the holder is another thread). Recursion is a self-deadlock. */
void __dmashim_mutex_wait(struct mutex *lock, const char *site)
{
	if (lock->owner == __dmashim_current_thread()) {
		__dmashim_mutex_bug(lock, 0, site);
		return;
	}
	while (!mutex_trylock(lock))
		sched_yield();
}

/* CONFIG_DEBUG_MUTEXES-style reports. kind 0: recursive lock (stops the program); 1: bad unlock (warns). */
void __dmashim_mutex_bug(const struct mutex *lock, int kind, const char *site)
{
	if (kind == 0) {
		printk(KERN_EMERG "BUG: mutex %s locked again by its owner at %s: the kernel would deadlock here; "
				  "stopping the program\n", lock->name ? lock->name : "?", site ? site : "?");
		dmashim_log_flush();
		fflush(NULL);
		abort();
	}
	if (!enter("mutex_unlock"))
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), "DEBUG_LOCKS_WARN_ON(%s)\n",
		 lock->locked ? "__owner_task(owner) != current" : "!mutex_is_locked(lock)");
	emit(4, 0, "------------[ cut here ]------------\n", 0);
	emit(4, 0, msg, 0);
	snprintf(msg, sizeof(msg), "WARNING: at %s mutex_unlock() (mutex %s)\n", site ? site : "?",
		 lock->name ? lock->name : "?");
	emit(4, 0, msg, 0);
}

/* ------------------------------------------------------------ WARN / BUG */

void __dmashim_warn(const char *file, int line, const char *func, const char *fmt, ...)
{
	if (!enter("WARN"))
		return;
	char msg[1024];
	struct outbuf o = { msg, sizeof(msg), 0 };
	va_list ap;
	va_start(ap, fmt);
	format_into(&o, fmt, ap);
	va_end(ap);
	char where[512];
	snprintf(where, sizeof(where), "WARNING: at %s:%d %s()\n", file, line, func);
	emit(4, 0, "------------[ cut here ]------------\n", 0);
	if (msg[0]) {
		size_t n = strlen(msg);
		if (msg[n - 1] != '\n' && n + 1 < sizeof(msg)) {
			msg[n] = '\n';
			msg[n + 1] = 0;
		}
		emit(4, 0, msg, 0);
	}
	emit(4, 0, where, 0);
}

void __dmashim_bug(const char *file, int line, const char *func, const char *cond)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "kernel BUG at %s:%d! (%s%s%s)\n", file, line, func, cond ? ": " : "",
		 cond ? cond : "");
	if (ready && (threaded || pthread_equal(pthread_self(), js_thread)))
		emit(2, 0, msg, 0);
	else
		fputs(msg, stderr);
	fflush(NULL);
	/* The kernel would oops here; stop the program so `dmashim run` reports it. */
	abort();
}

void print_hex_dump(const char *level, const char *prefix_str, int prefix_type, int rowsize, int groupsize,
		    const void *buf, size_t len, bool ascii)
{
	(void)groupsize;
	if (rowsize != 32)
		rowsize = 16;
	const u8 *p = buf;
	for (size_t i = 0; i < len; i += (size_t)rowsize) {
		char line[256];
		struct outbuf o = { line, sizeof(line), 0 };
		out_puts(&o, level);
		out_puts(&o, prefix_str ? prefix_str : "");
		if (prefix_type == DUMP_PREFIX_ADDRESS)
			out_printf(&o, "%016lx: ", (unsigned long)(p + i));
		else if (prefix_type == DUMP_PREFIX_OFFSET)
			out_printf(&o, "%.8zx: ", i);
		size_t n = len - i < (size_t)rowsize ? len - i : (size_t)rowsize;
		for (size_t j = 0; j < n; j++)
			out_printf(&o, j + 1 < n ? "%02x " : "%02x", p[i + j]);
		if (ascii) {
			for (size_t j = n * 3 - 1; j < (size_t)rowsize * 3 + 1; j++)
				out_putc(&o, ' ');
			for (size_t j = 0; j < n; j++)
				out_putc(&o, p[i + j] >= 0x20 && p[i + j] < 0x7f ? (char)p[i + j] : '.');
		}
		out_putc(&o, '\n');
		o.buf[o.len < o.size ? o.len : o.size - 1] = 0;
		printk("%s", line);
	}
}

/* ------------------------------------------------------- dmashim extras */

static void (*log_hook)(int level, const char *line);

void dmashim_set_log_hook(void (*hook)(int level, const char *line))
{
	if (!enter("dmashim_set_log_hook"))
		return;
	log_hook = hook;
	ops.log_hook(hook != NULL);
}

/* TypeScript calls this (C -> TS -> C) for each log record while a hook is set. */
EXPORT void dmashim_log_deliver(int32_t level, const char *line)
{
	if (log_hook)
		log_hook(level, line);
}

int dmashim_sysfs_read(struct device *dev, const char *attr, char *buf, size_t size)
{
	if (!enter("dmashim_sysfs_read") || !dev)
		return -ENOENT;
	pool_cache_drain_all();
	pthread_mutex_lock(&strbuf_lock);
	int n = ops.sysfs_read(devid(dev), attr);
	if (n >= 0 && size) {
		size_t take = (size_t)n < size - 1 ? (size_t)n : size - 1;
		memcpy(buf, strbuf, take);
		buf[take] = 0;
	}
	pthread_mutex_unlock(&strbuf_lock);
	return n < 0 ? -ENOENT : n;
}

u8 dmashim_ts_readb(const volatile void *addr)
{
	return enter("dmashim_ts_readb") ? (u8)ops.ts_mem(0, addr_arg(addr), 1, 0) : 0;
}
u32 dmashim_ts_readl(const volatile void *addr)
{
	return enter("dmashim_ts_readl") ? (u32)ops.ts_mem(1, addr_arg(addr), 4, 0) : 0;
}
void dmashim_ts_writeb(u8 val, volatile void *addr)
{
	if (enter("dmashim_ts_writeb"))
		ops.ts_mem(2, addr_arg(addr), 1, val);
}
void dmashim_ts_writel(u32 val, volatile void *addr)
{
	if (enter("dmashim_ts_writel"))
		ops.ts_mem(3, addr_arg(addr), 4, val);
}
u32 dmashim_ts_fnv1a(const volatile void *addr, size_t len)
{
	return enter("dmashim_ts_fnv1a") ? (u32)ops.ts_mem(4, addr_arg(addr), (double)len, 0) : 0;
}

/* ------------------------------------------------------- the device side */

/*
 * dmashim_device_*: the program plays the device (device_side.ts). Only numbers
 * cross (ops.device_io); the bytes go through this thread's staging buffer, one
 * per scratch slot, which TypeScript sees through one koffi.view of the whole
 * area. TypeScript checks and performs a transfer whole (one report, all or
 * nothing); C moves it in pieces of DMASHIM_STAGE_SIZE. A log hook that plays
 * the device during the call reuses the buffer: TypeScript copies a staged
 * write out before anything can log and stages read data last, and C copies
 * right before and after each crossing, so that is safe.
 */
enum { DEVIO_READ, DEVIO_READ_PIECE, DEVIO_WRITE_PIECE, DEVIO_WRITE, DEVIO_FILL, DEVIO_ERRORS };

static unsigned char device_stage[DMASHIM_SCRATCH_SLOTS][DMASHIM_STAGE_SIZE] __attribute__((aligned(64)));

static inline int32_t devio_op(int op, int slot) { return op | (slot << 8); }
static inline double stage_arg(void) { return addr_arg(device_stage); }

int __dmashim_device_read(struct device *dev, dma_addr_t dma, void *buf, size_t len, const char *site)
{
	if (!enter("dmashim_device_read"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	int slot = my_slot();
	unsigned char *stage = device_stage[slot];
	int rc = ops.device_io(devid(dev), devio_op(DEVIO_READ, slot), (double)dma, (double)len, stage_arg(),
			       site_arg(site));
	if (rc)
		return rc;
	for (size_t off = 0; off < len; off += DMASHIM_STAGE_SIZE) {
		size_t n = len - off < DMASHIM_STAGE_SIZE ? len - off : DMASHIM_STAGE_SIZE;
		if (off)
			ops.device_io(0, devio_op(DEVIO_READ_PIECE, slot), (double)off, (double)len, stage_arg(), 0);
		memcpy((unsigned char *)buf + off, stage, n);
	}
	return 0;
}

int __dmashim_device_write(struct device *dev, dma_addr_t dma, const void *buf, size_t len, const char *site)
{
	if (!enter("dmashim_device_write"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	int32_t id = devid(dev);
	int slot = my_slot();
	unsigned char *stage = device_stage[slot];
	size_t off = 0;
	for (; len - off > DMASHIM_STAGE_SIZE; off += DMASHIM_STAGE_SIZE) {
		memcpy(stage, (const unsigned char *)buf + off, DMASHIM_STAGE_SIZE);
		ops.device_io(id, devio_op(DEVIO_WRITE_PIECE, slot), (double)off, (double)len, stage_arg(), 0);
	}
	memcpy(stage, (const unsigned char *)buf + off, len - off);
	return ops.device_io(id, devio_op(DEVIO_WRITE, slot), (double)dma, (double)len, stage_arg(), site_arg(site));
}

int __dmashim_device_fill(struct device *dev, dma_addr_t dma, int value, size_t len, const char *site)
{
	if (!enter("dmashim_device_fill"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	return ops.device_io(devid(dev), DEVIO_FILL, (double)dma, (double)len, (double)(value & 0xff), site_arg(site));
}

unsigned int dmashim_device_errors(struct device *dev)
{
	if (!enter("dmashim_device_errors") || !dev)
		return 0;
	int rc = ops.device_io(devid(dev), DEVIO_ERRORS, 0, 0, 0, 0);
	return rc < 0 ? 0 : (unsigned int)rc;
}

int (dmashim_device_read)(struct device *dev, dma_addr_t dma, void *buf, size_t len)
{
	return __dmashim_device_read(dev, dma, buf, len, NULL);
}
int (dmashim_device_write)(struct device *dev, dma_addr_t dma, const void *buf, size_t len)
{
	return __dmashim_device_write(dev, dma, buf, len, NULL);
}
int (dmashim_device_fill)(struct device *dev, dma_addr_t dma, int value, size_t len)
{
	return __dmashim_device_fill(dev, dma, value, len, NULL);
}
