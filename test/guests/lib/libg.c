/*
 * libg: console, formatting, memory and exit helpers for godwit test guests.
 * See libg.h. No floating point, no 64-bit division (no libgcc here).
 */
#include "libg.h"

#ifdef NATIVE

static char outbuf[4096];
static size_t outlen;

static int sys_write(int fd, const void *buf, size_t n)
{
	int r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(fd), "c"(buf), "d"(n) : "memory");
	return r;
}

void flush(void)
{
	size_t off = 0;
	while (off < outlen) {
		int r = sys_write(1, outbuf + off, outlen - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	outlen = 0;
}

void serial_init(void)
{
}

int putchar(int c)
{
	outbuf[outlen++] = (char)c;
	if (outlen == sizeof(outbuf))
		flush();
	return (unsigned char)c;
}

void exit(int code)
{
	flush();
	for (;;)
		__asm__ volatile("int $0x80" : : "a"(1), "b"(code));
}

/* Called by lib/native-start.S: fakes a multiboot info with argv[1] as the command line. */
static struct multiboot_info native_mbi;
int __native_main(int argc, char **argv);
int __native_main(int argc, char **argv)
{
	if (argc > 1) {
		native_mbi.flags = MB_INFO_CMDLINE;
		native_mbi.cmdline = (uint32_t)(uintptr_t)argv[1];
	}
	return main(MULTIBOOT_BOOTLOADER_MAGIC, &native_mbi);
}

#else /* guest */

#define COM1 0x3F8

void flush(void)
{
}

void serial_init(void)
{
	outb(COM1 + 1, 0x00);   /* IER: no interrupts */
	outb(COM1 + 3, 0x80);   /* LCR: DLAB */
	outb(COM1 + 0, 0x01);   /* DLL: 115200 baud */
	outb(COM1 + 1, 0x00);   /* DLM */
	outb(COM1 + 3, 0x03);   /* LCR: 8N1 */
	outb(COM1 + 2, 0xC7);   /* FCR: enable and clear FIFOs, 14-byte trigger */
	outb(COM1 + 4, 0x03);   /* MCR: DTR, RTS */
}

int putchar(int c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
	return (unsigned char)c;
}

void exit(int code)
{
	outb(0xF4, (uint8_t)code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif

int puts(const char *s)
{
	while (*s)
		putchar(*s++);
	putchar('\n');
	return 1;
}

/* Unsigned 64-bit value to digits in `base` (10 or 16), without 64-bit division helpers. */
static int utoa64(uint64_t v, unsigned base, int upper, char *buf)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	if (v == 0)
		tmp[n++] = '0';
	while (v) {
		unsigned d;
		if (base == 16) {
			d = (unsigned)(v & 15);
			v >>= 4;
		} else {
			/* long division by 10 on 32-bit halves */
			uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
			uint32_t qhi = hi / 10, r = hi % 10;
			uint32_t q = 0;
			int i;
			for (i = 31; i >= 0; i--) {
				r = (r << 1) | ((lo >> i) & 1);
				q <<= 1;
				if (r >= 10) {
					r -= 10;
					q |= 1;
				}
			}
			d = r;
			v = ((uint64_t)qhi << 32) | q;
		}
		tmp[n++] = digits[d];
	}
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	int count = 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar(*fmt);
			count++;
			continue;
		}
		fmt++;
		int left = 0, zero = 0, plus = 0, width = 0, lmod = 0;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '+')
				plus = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lmod++;
			fmt++;
		}
		char buf[26];
		const char *s = buf;
		int len = 0, neg = 0;
		uint64_t u;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lmod >= 2 ? va_arg(ap, long long) : (int64_t)(lmod ? va_arg(ap, long) : va_arg(ap, int));
			neg = v < 0 ? '-' : plus ? '+' : 0;
			u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			len = utoa64(u, 10, 0, buf);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = lmod >= 2 ? va_arg(ap, unsigned long long)
				      : (uint64_t)(lmod ? va_arg(ap, unsigned long) : va_arg(ap, unsigned));
			len = utoa64(u, *fmt == 'u' ? 10 : 16, *fmt == 'X', buf);
			break;
		case 'p':
			u = (uint32_t)(uintptr_t)va_arg(ap, void *);
			buf[0] = '0';
			buf[1] = 'x';
			len = 2 + utoa64(u, 16, 0, buf + 2);
			break;
		case 'c':
			buf[0] = (char)va_arg(ap, int);
			len = 1;
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			len = (int)strlen(s);
			break;
		case '%':
			buf[0] = '%';
			len = 1;
			break;
		case '\0':
			return count;
		default:
			buf[0] = '%';
			buf[1] = *fmt;
			len = 2;
			break;
		}
		int pad = width - len - (neg != 0);
		if (!left && !zero)
			for (; pad > 0; pad--, count++)
				putchar(' ');
		if (neg) {
			putchar(neg);
			count++;
		}
		if (!left && zero)
			for (; pad > 0; pad--, count++)
				putchar('0');
		for (int i = 0; i < len; i++, count++)
			putchar(s[i]);
		for (; pad > 0; pad--, count++)
			putchar(' ');
	}
	return count;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* String and memory helpers are written in asm so gcc cannot turn them into calls to themselves. */
void *memset(void *d, int c, size_t n)
{
	void *dd = d;
	__asm__ volatile("cld; rep stosb" : "+D"(dd), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *dd = d;
	__asm__ volatile("cld; rep movsb" : "+D"(dd), "+S"(s), "+c"(n) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	if ((uintptr_t)d <= (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n)
		return memcpy(d, s, n);
	void *de = (char *)d + n - 1;
	const void *se = (const char *)s + n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(de), "+S"(se), "+c"(n) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (size_t i = 0; i < n; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

uint32_t cmdline_uint(uint32_t magic, const struct multiboot_info *mbi, const char *key, uint32_t def)
{
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !mbi || !(mbi->flags & MB_INFO_CMDLINE) || !mbi->cmdline)
		return def;
	const char *p = (const char *)(uintptr_t)mbi->cmdline;
	size_t klen = strlen(key);
	while (*p) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *q = p + klen + 1;
			uint32_t v = 0;
			if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
				for (q += 2;; q++) {
					unsigned c = (unsigned char)*q;
					if (c >= '0' && c <= '9')
						v = v * 16 + (c - '0');
					else if ((c | 32) >= 'a' && (c | 32) <= 'f')
						v = v * 16 + ((c | 32) - 'a' + 10);
					else
						break;
				}
			} else {
				for (; *q >= '0' && *q <= '9'; q++)
					v = v * 10 + (uint32_t)(*q - '0');
			}
			return v;
		}
		while (*p && *p != ' ')
			p++;
	}
	return def;
}
