/*
 * libg: the tiny freestanding runtime of godwit test guests.
 * Guest build: COM1 output, exit through isa-debug-exit (port 0xF4).
 * Native build (-DNATIVE): i386 Linux, stdout via write(2), exit(2); no libc.
 */
#ifndef LIBG_H
#define LIBG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

#define MB_INFO_MEMORY   (1u << 0)  /* mem_lower / mem_upper valid */
#define MB_INFO_BOOTDEV  (1u << 1)  /* boot_device valid */
#define MB_INFO_CMDLINE  (1u << 2)  /* cmdline valid */
#define MB_INFO_MODS     (1u << 3)  /* mods_count / mods_addr valid */
#define MB_INFO_MEM_MAP  (1u << 6)  /* mmap_length / mmap_addr valid */

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
} __attribute__((packed));

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/* One memory-map entry; `size` excludes itself (next entry at +size+4). */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

/* Provided by lib/entry.S (guest build only). */
extern uint64_t gdt[16];

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* regs[0..3] = EAX, EBX, ECX, EDX. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
			 : "a"(leaf), "c"(subleaf));
}

void serial_init(void);
int putchar(int c);
int puts(const char *s);  /* writes s and a newline */
/* printf: %d %i %u %x %X %c %s %p %%, l/ll modifiers, width (or *), 0 - + flags. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
void flush(void);         /* native: write out buffered output; guest: no-op */
void exit(int code) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Value of `key=N` (decimal or 0x hex) in the multiboot command line, or def. */
uint32_t cmdline_uint(uint32_t magic, const struct multiboot_info *mbi, const char *key, uint32_t def);

int main(unsigned magic, struct multiboot_info *mbi);

#endif
