/*
 * sys: helpers for system-level guests (exceptions, paging, rings, interrupts, tasks). Linked into
 * every guest that includes sys.h (scripts/build-guests.sh); see README-system.md.
 *
 * sys_init() fills the spare slots of the lib's `gdt`, reloads GDTR (16 entries, limit 0x7F),
 * installs a TSS (ESP0 = a private kernel stack, I/O bitmap for ports 0..0x3FF, all denied) and an
 * IDT whose 256 entries point at stubs that build a `struct frame` and call the C dispatcher.
 *
 * GDT layout (selectors):
 *   0x08 ring-0 code   0x10 ring-0 data   0x18 ring-3 code (0x1B)   0x20 ring-3 data (0x23)
 *   0x28 TSS           0x30 16-bit code   0x38 16-bit data          0x40..0x78 free for tests
 */
#ifndef SYS_H
#define SYS_H

#include "libg.h"

#define SEL_KCODE  0x08
#define SEL_KDATA  0x10
#define SEL_UCODE  0x1B
#define SEL_UDATA  0x23
#define SEL_TSS    0x28
#define SEL_CODE16 0x30
#define SEL_DATA16 0x38
#define SEL_FREE0  0x40  /* first selector tests may use (0x40..0x78) */
#define GDT_ENTRIES 16

/* Descriptor access bytes. */
#define ACC_CODE0   0x9B  /* present, DPL0, code, readable, accessed */
#define ACC_DATA0   0x93  /* present, DPL0, data, writable, accessed */
#define ACC_CODE3   0xFB  /* present, DPL3, code, readable, accessed */
#define ACC_DATA3   0xF3  /* present, DPL3, data, writable, accessed */
#define ACC_TSS     0x89  /* present, DPL0, available 32-bit TSS */
/* Descriptor flag nibble (byte 6 bits 7:4). */
#define FLG_G32     0xC   /* 4 KiB granularity, 32-bit */
#define FLG_B32     0x4   /* byte granularity, 32-bit */
#define FLG_16      0x0   /* byte granularity, 16-bit */

/* Gate types (IDT or GDT). */
#define GATE_TASK   0x5
#define GATE_INT32  0xE
#define GATE_TRAP32 0xF
#define GATE_CALL32 0xC

/* EFLAGS bits. */
#define EFL_CF   0x00000001u
#define EFL_ZF   0x00000040u
#define EFL_TF   0x00000100u
#define EFL_IF   0x00000200u
#define EFL_OF   0x00000800u
#define EFL_IOPL3 0x00003000u
#define EFL_NT   0x00004000u
#define EFL_RF   0x00010000u
#define EFL_VM   0x00020000u
#define EFL_AC   0x00040000u

/* CR0 / CR4 bits. */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u
#define CR4_PGE 0x00000080u

/* Register frame built by the IDT stubs (lowest address first). */
struct frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, err;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;                       /* only when coming from ring 3 or V86 */
	uint32_t v86_es, v86_ds, v86_fs, v86_gs; /* only when coming from V86 */
};

typedef void (*handler_t)(struct frame *f);

/* What the last fault seen by sys_try() was. */
struct fault_info {
	uint32_t vector, err, eip, cs, eflags, cr2, esp, ss;
	uint32_t frame_addr;  /* address of the frame's eip slot (stack switch checks) */
};
extern struct fault_info last_fault;

struct tss {
	uint16_t link, r0;
	uint32_t esp0;
	uint16_t ss0, r1;
	uint32_t esp1;
	uint16_t ss1, r2;
	uint32_t esp2;
	uint16_t ss2, r3;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	uint16_t trap, iomap;
	uint8_t iobitmap[0x400 / 8];  /* ports 0..0x3FF */
	uint8_t iobitmap_end;         /* 0xFF */
} __attribute__((packed));
extern struct tss sys_tss;
/* sys_tss.esp0 is the top of a private 8 KiB kernel stack */

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type_attr;
	uint16_t off_hi;
} __attribute__((packed));
extern struct gate idt[256];

void sys_init(void);
void gdt_set(int sel, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void gdt_set_gate(int sel, uint16_t target_sel, uint32_t offset, int type, int dpl, int params);
uint8_t gdt_access(int sel);              /* access byte of a GDT slot */
void idt_set(int vec, uint16_t sel, uint32_t offset, int type, int dpl, int present);
void idt_set_default(int vec);            /* back to the stub, interrupt gate, DPL0 */
uint32_t idt_stub(int vec);               /* address of the stub of a vector */
void set_handler(int vec, handler_t h);   /* NULL: default (recover if in sys_try, else die) */
void tss_io_allow(uint16_t port, int allow);

/*
 * Run fn and catch a fault: returns -1 if fn returned (or ring 3 code executed sys_exit_user),
 * else the vector, with details in last_fault. ring: 0 = plain call; 3 = IRET to ring 3 with
 * user_eflags | (current EFLAGS & IF) on the user stack; user segment values from user_seg[].
 */
int sys_try(void (*fn)(void), int ring);
extern uint32_t user_eflags;      /* extra EFLAGS bits for ring 3 (IOPL, AC); reset to 0 by sys_try */
extern uint32_t user_esp;         /* ring-3 stack top; default: a private stack */
extern uint16_t user_seg[4];      /* DS, ES, FS, GS for ring 3 (default 0x23); reset by sys_try */
void sys_recover(void) __attribute__((noreturn));  /* from a handler: end sys_try, return vector */
extern volatile int sys_try_active;
extern volatile int last_vector;
#define SYSCALL_EXIT 0            /* int 0x80 with EAX=0: leave ring 3, sys_try returns -1 */

/* Control registers. */
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr2(uint32_t v) { __asm__ volatile("mov %0, %%cr2" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }
static inline void invlpg(uint32_t a) { __asm__ volatile("invlpg (%0)" : : "r"(a) : "memory"); }
static inline uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void write_eflags(uint32_t v) { __asm__ volatile("pushl %0; popfl" : : "r"(v) : "memory", "cc"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline uint16_t read_tr(void) { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }

/* 8259 PIC: remap master to base0, slave to base1, all lines masked. */
void pic_remap(uint8_t base0, uint8_t base1);
void pic_eoi(int irq);          /* non-specific EOI (slave then master for irq >= 8) */
void pic_mask(int irq, int masked);

/* "ok" or "FAIL" */
static inline const char *okfail(int c) { return c ? "ok" : "FAIL"; }

#endif
