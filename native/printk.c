/* SPDX-License-Identifier: MIT */
/*
 * The kernel log from C: printk/dev_printk with the kernel's %p extensions
 * (formatted here, one record per line sent to the printk op), KERN_CONT
 * continuation, print_hex_dump, and WARN/BUG.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/printk.h>

#include "internal.h"

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
				out_printf(o, "+0x%lx",
					   (unsigned long)((const char *)p - (const char *)info.dli_saddr));
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
		dmashim_format(o, vaf->fmt, copy);
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
void dmashim_format(struct outbuf *o, const char *fmt, va_list ap)
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
				long long v = len == 3 ? va_arg(args, long)
					      : len == 4 || len == 8 ? va_arg(args, long long)
					      : len == 5 ? (long long)va_arg(args, ssize_t)
					      : len == 6 ? (long long)va_arg(args, ptrdiff_t)
					      : len == 7 ? (long long)va_arg(args, intmax_t)
							 : (long long)va_arg(args, int);
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

/*
 * The lines an emit completes leave cont_buf under the lock and reach
 * TypeScript after it is released: with --threads a crossing waits for the JS
 * thread, which takes this lock itself at the end of the run (dmashim_log_flush).
 */
struct done_line {
	int level, dev;
	char text[sizeof(cont_buf)];
};

/* The waiting continuation, if any, into *out (lock held). 1 when there was one. */
static int cont_take(struct done_line *out)
{
	if (cont_level < 0)
		return 0;
	cont_buf[cont_len] = 0;
	out->level = cont_level;
	out->dev = cont_dev;
	memcpy(out->text, cont_buf, cont_len + 1);
	cont_level = -1;
	cont_len = 0;
	return 1;
}

/* Emit text (may hold several lines); a missing final newline starts a continuation. */
void dmashim_emit(int level, int dev, const char *text, int is_cont)
{
	struct done_line flushed;
	int have_flushed = 0, have_cont = 0;
	char *line = NULL;
	struct done_line *completed = NULL;

	size_t n = strlen(text);
	int whole = n && text[n - 1] == '\n';
	pthread_mutex_lock(&dmashim_state_lock);
	if (is_cont && cont_level >= 0) {
		level = cont_level;
		dev = cont_dev;
	} else {
		have_flushed = cont_take(&flushed);
	}
	if (whole) {
		if (cont_level >= 0) {
			size_t room = sizeof(cont_buf) - 1 - cont_len;
			size_t take = n - 1 < room ? n - 1 : room;
			memcpy(cont_buf + cont_len, text, take);
			cont_len += take;
			completed = malloc(sizeof(*completed));
			if (completed)
				have_cont = cont_take(completed);
			else
				cont_level = -1, cont_len = 0;
		} else {
			line = strndup(text, n - 1);
		}
	} else {
		size_t room = sizeof(cont_buf) - 1 - cont_len;
		size_t take = n < room ? n : room;
		memcpy(cont_buf + cont_len, text, take);
		cont_len += take;
		cont_level = level;
		cont_dev = dev;
	}
	pthread_mutex_unlock(&dmashim_state_lock);

	if (have_flushed)
		dmashim_ts.printk(flushed.level, flushed.dev, flushed.text);
	if (have_cont)
		dmashim_ts.printk(completed->level, completed->dev, completed->text);
	else if (whole && !completed)
		dmashim_ts.printk(level, dev, line ? line : text);
	free(completed);
	free(line);
}

EXPORT void dmashim_log_flush(void)
{
	if (!dmashim_ready)
		return;
	struct done_line l;
	pthread_mutex_lock(&dmashim_state_lock);
	int have = cont_take(&l);
	pthread_mutex_unlock(&dmashim_state_lock);
	if (have)
		dmashim_ts.printk(l.level, l.dev, l.text);
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
	dmashim_format(&o, fmt, args);
	dmashim_emit(level, DMASHIM_PRINTK_NO_DEV, buf, is_cont);
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

void __dmashim_dev_printk(int level, const struct device *dev, const char *fmt, ...)
{
	if (!enter("dev_printk"))
		return;
	char buf[1024];
	struct outbuf o = { buf, sizeof(buf), 0 };
	va_list ap;
	va_start(ap, fmt);
	dmashim_format(&o, fmt, ap);
	va_end(ap);
	dmashim_emit(level, dev ? dmashim_devid(dev) : DMASHIM_PRINTK_NULL_DEV, buf, 0);
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
	dmashim_format(&o, fmt, ap);
	va_end(ap);
	char where[512];
	snprintf(where, sizeof(where), "WARNING: at %s:%d %s()\n", file, line, func);
	dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, "------------[ cut here ]------------\n", 0);
	if (msg[0]) {
		size_t n = strlen(msg);
		if (msg[n - 1] != '\n' && n + 1 < sizeof(msg)) {
			msg[n] = '\n';
			msg[n + 1] = 0;
		}
		dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, msg, 0);
	}
	dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, where, 0);
}

void __dmashim_bug(const char *file, int line, const char *func, const char *cond)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "kernel BUG at %s:%d! (%s%s%s)\n", file, line, func, cond ? ": " : "",
		 cond ? cond : "");
	if (dmashim_ready && (dmashim_threads_on || pthread_equal(pthread_self(), dmashim_js_thread)))
		dmashim_emit(2, DMASHIM_PRINTK_NO_DEV, msg, 0);
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
