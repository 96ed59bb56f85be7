/** Register indices, flag bits, control-register bits and exception vectors of the x86. */

// General registers, in ModRM encoding order.
export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

// Segment registers, in ModRM/sreg encoding order.
export const ES = 0;
export const CS = 1;
export const SS = 2;
export const DS = 3;
export const FS = 4;
export const GS = 5;
/** Pseudo-segment for "no override" in the decoder. */
export const SEG_NONE = -1;

// EFLAGS bits.
/** Carry. */
export const CF = 1 << 0;
/** Reserved, always 1. */
export const FLAGS_ALWAYS1 = 1 << 1;
/** Parity of the low byte of the result. */
export const PF = 1 << 2;
/** Auxiliary (BCD) carry out of bit 3. */
export const AF = 1 << 4;
/** Zero. */
export const ZF = 1 << 6;
/** Sign. */
export const SF = 1 << 7;
/** Trap (single step). */
export const TF = 1 << 8;
/** Interrupt enable. */
export const IF = 1 << 9;
/** Direction (string instructions count down). */
export const DF = 1 << 10;
/** Overflow. */
export const OF = 1 << 11;
/** I/O privilege level, bits 13:12. */
export const IOPL = 3 << 12;
export const IOPL_SHIFT = 12;
/** Nested task. */
export const NT = 1 << 14;
/** Resume (suppresses instruction breakpoints). */
export const RF = 1 << 16;
/** Virtual-8086 mode. */
export const VM = 1 << 17;
/** Alignment check (486). */
export const AC = 1 << 18;
/** CPUID present: software can toggle it. */
export const ID = 1 << 21;
/** The six arithmetic flags. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits a 486 with CPUID lets software change. */
export const FLAGS_WRITABLE = ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | VM | AC | ID;

// CR0 bits.
/** Protection enable. */
export const CR0_PE = 1 << 0;
/** Monitor coprocessor: WAIT faults when TS. */
export const CR0_MP = 1 << 1;
/** Emulate: x87 instructions raise #NM. */
export const CR0_EM = 1 << 2;
/** Task switched. */
export const CR0_TS = 1 << 3;
/** Extension type (reads as 1 on a 486). */
export const CR0_ET = 1 << 4;
/** Numeric error reporting. */
export const CR0_NE = 1 << 5;
/** Write protect: supervisor writes honour read-only pages. */
export const CR0_WP = 1 << 16;
/** Alignment mask. */
export const CR0_AM = 1 << 18;
/** Not write-through (cache, no effect here). */
export const CR0_NW = 1 << 29;
/** Cache disable (no effect here). */
export const CR0_CD = 1 << 30;
/** Paging. */
export const CR0_PG = 1 << 31;

// CR4 bits.
/** Virtual-8086 mode extensions (not offered). */
export const CR4_VME = 1 << 0;
/** Protected-mode virtual interrupts (not offered). */
export const CR4_PVI = 1 << 1;
/** RDTSC only at CPL 0. */
export const CR4_TSD = 1 << 2;
/** Debugging extensions. */
export const CR4_DE = 1 << 3;
/** 4 MiB pages. */
export const CR4_PSE = 1 << 4;
/** Physical address extension (not offered). */
export const CR4_PAE = 1 << 5;
/** Machine check enable. */
export const CR4_MCE = 1 << 6;
/** Global pages. */
export const CR4_PGE = 1 << 7;
/** Performance counters at any CPL. */
export const CR4_PCE = 1 << 8;

// Exception vectors.
export const EXC_DE = 0;
export const EXC_DB = 1;
export const EXC_NMI = 2;
export const EXC_BP = 3;
export const EXC_OF = 4;
export const EXC_BR = 5;
export const EXC_UD = 6;
export const EXC_NM = 7;
export const EXC_DF = 8;
export const EXC_TS = 10;
export const EXC_NP = 11;
export const EXC_SS = 12;
export const EXC_GP = 13;
export const EXC_PF = 14;
export const EXC_MF = 16;
export const EXC_AC = 17;

// Page-table entry bits.
/** Present. */
export const PTE_P = 1 << 0;
/** Writable. */
export const PTE_RW = 1 << 1;
/** User accessible. */
export const PTE_US = 1 << 2;
/** Accessed. */
export const PTE_A = 1 << 5;
/** Dirty. */
export const PTE_D = 1 << 6;
/** Page size (4 MiB) in a PDE. */
export const PTE_PS = 1 << 7;
/** Global. */
export const PTE_G = 1 << 8;

// Page-fault error code bits.
/** The page was present (protection violation). */
export const PF_P = 1;
/** The access was a write. */
export const PF_W = 2;
/** The access was made at CPL 3. */
export const PF_U = 4;

// Descriptor access byte (bits 40-47 of a descriptor) and flags (bits 52-55).
/** Accessed (code/data) or busy (TSS, bit 1 of type). */
export const DESC_A = 0x01;
/** Code: readable. Data: writable. */
export const DESC_RW = 0x02;
/** Code: conforming. Data: expand-down. */
export const DESC_CE = 0x04;
/** Code (1) or data (0). */
export const DESC_CODE = 0x08;
/** Code/data (1) or system (0). */
export const DESC_S = 0x10;
export const DESC_DPL_SHIFT = 5;
/** Present. */
export const DESC_P = 0x80;
/** Flags nibble, stored at bits 12-15 of our 16-bit attribute word: available. */
export const ATTR_AVL = 0x1000;
/** Default operand size 32 (code) / big (stack). */
export const ATTR_DB = 0x4000;
/** Granularity 4 KiB. */
export const ATTR_G = 0x8000;

// System descriptor types (access byte bits 3:0 with S = 0).
export const SYS_TSS16_AVAIL = 1;
export const SYS_LDT = 2;
export const SYS_TSS16_BUSY = 3;
export const SYS_CALLGATE16 = 4;
export const SYS_TASKGATE = 5;
export const SYS_INTGATE16 = 6;
export const SYS_TRAPGATE16 = 7;
export const SYS_TSS32_AVAIL = 9;
export const SYS_TSS32_BUSY = 11;
export const SYS_CALLGATE32 = 12;
export const SYS_INTGATE32 = 14;
export const SYS_TRAPGATE32 = 15;

// MSRs.
export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_DEADLINE = 0x6e0;
