/* The tiny libc of godwit's Linux /init: see libc.h. */
#include "libc.h"

long sys_open(const char *path, int flags, int mode)
{
	return syscall3(SYS_open, path, flags, mode);
}

long sys_close(int fd)
{
	return syscall1(SYS_close, fd);
}

long sys_read(int fd, void *buf, size_t n)
{
	return syscall3(SYS_read, fd, buf, n);
}

long sys_write(int fd, const void *buf, size_t n)
{
	return syscall3(SYS_write, fd, buf, n);
}

long sys_seek(int fd, uint64_t offset)
{
	uint32_t result[2];
	/* _llseek(fd, offset_high, offset_low, &result, SEEK_SET) */
	return syscall5(SYS_llseek, fd, (uint32_t)(offset >> 32), (uint32_t)offset, result, 0);
}

long sys_mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)
{
	return syscall5(SYS_mount, src, target, type, flags, data);
}

long read_file(const char *path, char *buf, size_t size)
{
	long fd = sys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	size_t got = 0;
	while (got + 1 < size) {
		long r = sys_read((int)fd, buf + got, size - 1 - got);
		if (r < 0) {
			sys_close((int)fd);
			return r;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = 0;
	sys_close((int)fd);
	return (long)got;
}

long write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;
	while (done < n) {
		long r = sys_write(fd, p + done, n - done);
		if (r < 0)
			return r;
		if (r == 0)
			return -5; /* EIO */
		done += (size_t)r;
	}
	return (long)done;
}

long read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t done = 0;
	while (done < n) {
		long r = sys_read(fd, p + done, n - done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (long)done;
}

/* struct linux_dirent64 */
struct dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

long list_dir(const char *path, char *names, size_t stride, int max)
{
	static char buf[4096];
	long fd = sys_open(path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int n = 0;
	for (;;) {
		long got = syscall3(SYS_getdents64, fd, buf, sizeof buf);
		if (got < 0) {
			sys_close((int)fd);
			return got;
		}
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 || n == max)
				continue;
			/* Insertion sort: directories here hold a few dozen entries at most. */
			int i = n++;
			while (i > 0 && strcmp(names + (size_t)(i - 1) * stride, d->d_name) > 0) {
				memcpy(names + (size_t)i * stride, names + (size_t)(i - 1) * stride, stride);
				i--;
			}
			str_copy(names + (size_t)i * stride, d->d_name, stride);
		}
	}
	sys_close((int)fd);
	return n;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

void str_copy(char *d, const char *s, size_t size)
{
	size_t i = 0;
	for (; i + 1 < size && s[i]; i++)
		d[i] = s[i];
	if (size > 0)
		d[i] = 0;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
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

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int has_token(const char *s, const char *word)
{
	size_t n = strlen(word);
	while (*s) {
		while (is_space(*s))
			s++;
		const char *start = s;
		while (*s && !is_space(*s))
			s++;
		if ((size_t)(s - start) == n && strncmp(start, word, n) == 0)
			return 1;
	}
	return 0;
}

static char line[256];
static size_t line_len;

void out_flush(void)
{
	if (line_len > 0)
		write_all(1, line, line_len);
	line_len = 0;
}

void out_char(char c)
{
	if (line_len == sizeof line)
		out_flush();
	line[line_len++] = c;
	if (c == '\n')
		out_flush();
}

void out_str(const char *s)
{
	while (*s)
		out_char(*s++);
}

void out_udec(uint32_t v)
{
	char buf[10];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out_char(buf[--n]);
}

void out_dec(int32_t v)
{
	if (v < 0) {
		out_char('-');
		out_udec(-(uint32_t)v);
	} else
		out_udec((uint32_t)v);
}

void out_hex(uint32_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--)
		out_char("0123456789abcdef"[(v >> (i * 4)) & 15]);
}

int lowest_bit(uint32_t v)
{
	for (int i = 0; i < 32; i++)
		if (v & (1u << i))
			return i;
	return -1;
}

int popcount32(uint32_t v)
{
	int n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}
