/*
 * The tiny freestanding libc of godwit's Linux /init: system calls through `int $0x80` (start.S),
 * memory and string helpers, and console output. No floating point, no 64-bit division.
 */
#ifndef GODWIT_INIT_LIBC_H
#define GODWIT_INIT_LIBC_H

#include <stddef.h>
#include <stdint.h>

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_mount 21
#define SYS_sync 36
#define SYS_mkdir 39
#define SYS_pipe 42
#define SYS_ioctl 54
#define SYS_reboot 88
#define SYS_ioperm 101
#define SYS_wait4 114
#define SYS_fsync 118
#define SYS_uname 122
#define SYS_llseek 140
#define SYS_getdents64 220
#define SYS_sched_setaffinity 241
#define SYS_sched_getaffinity 242
#define SYS_exit_group 252
#define SYS_clock_gettime64 403
#define SYS_clock_nanosleep_time64 407
#define SYS_getcpu 318
#define SYS_fork 2
#define SYS_pause 29

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_DIRECTORY 0200000

#define ENOENT 2
#define ENXIO 6
#define ENODEV 19

/* <linux/fs.h>: _IO(0x12, 97) and _IOR(0x12, 114, size_t) with a 4-byte size_t. */
#define BLKFLSBUF 0x1261
#define BLKGETSIZE64 0x80041272

#define LINUX_REBOOT_MAGIC1 0xfee1deadu
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcu

#define CLOCK_MONOTONIC 1

/* struct __kernel_timespec: the 64-bit time of clock_gettime64 and clock_nanosleep_time64 (the
 * 32-bit-time calls need CONFIG_COMPAT_32BIT_TIME, which the kernel leaves out). */
struct timespec64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct utsname {
	char sysname[65];
	char nodename[65];
	char release[65];
	char version[65];
	char machine[65];
	char domainname[65];
};

long sys_call6(long nr, long a, long b, long c, long d, long e, long f);
#define syscall0(n) sys_call6((n), 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) sys_call6((n), (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) sys_call6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) sys_call6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) sys_call6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define syscall5(n, a, b, c, d, e) sys_call6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* Thin wrappers: each returns the kernel's result, negative errno on failure. */
long sys_open(const char *path, int flags, int mode);
long sys_close(int fd);
long sys_read(int fd, void *buf, size_t n);
long sys_write(int fd, const void *buf, size_t n);
/* Seek to a 64-bit offset from the start. */
long sys_seek(int fd, uint64_t offset);
long sys_mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data);

/* Read a whole (small) file into buf, NUL-terminated; bytes read or negative errno. */
long read_file(const char *path, char *buf, size_t size);
/* Write all n bytes or fail (negative errno, or -EIO for a short write that makes no progress). */
long write_all(int fd, const void *buf, size_t n);
long read_all(int fd, void *buf, size_t n);
/*
 * The names in a directory, sorted, into `names` (each NUL-terminated, `stride` bytes apart, at
 * most `max`), skipping "." and ".."; returns how many, or negative errno.
 */
long list_dir(const char *path, char *names, size_t stride, int max);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* Copy at most size-1 bytes and a NUL. */
void str_copy(char *d, const char *s, size_t size);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* True when `word` appears in `s` as a whole whitespace-separated token. */
int has_token(const char *s, const char *word);

/* Console output (fd 1), built up in a line buffer and written one line at a time. */
void out_str(const char *s);
void out_char(char c);
void out_udec(uint32_t v);
void out_dec(int32_t v);
void out_hex(uint32_t v, int digits);
/* Flush the pending line. */
void out_flush(void);

/* The lowest set bit's index (0..31), or -1. */
int lowest_bit(uint32_t v);
int popcount32(uint32_t v);

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

#endif
