/**
 * The 8259A programmable interrupt controller pair as PCs wire it: command word bits and the PIIX
 * ELCR (edge/level control) masks. Shared by the userspace `i8259`, the in-kernel PIC and the
 * kvm-i8259 <-> i8259 filters.
 */

/** ICW1: bit 4 marks an initialisation command word 1. */
export const ICW1_INIT = 0x10;
/** ICW1: ICW4 will follow. */
export const ICW1_IC4 = 0x01;
/** ICW1: single mode (no ICW3). */
export const ICW1_SNGL = 0x02;
/** ICW1: level-triggered mode for every input (LTIM). */
export const ICW1_LTIM = 0x08;
/** OCW3 marker: bit 3 set, bit 4 clear. */
export const OCW3_SELECT = 0x08;
/** OCW3: poll command. */
export const OCW3_POLL = 0x04;
/** OCW3: read-register command valid (bit 0 then chooses ISR). */
export const OCW3_RR = 0x02;
/** OCW3: special-mask command valid (bit 5 then sets or clears it). */
export const OCW3_ESMM = 0x40;
/** ICW4: automatic end of interrupt. */
export const ICW4_AEOI = 0x02;
/** ICW4: special fully nested mode. */
export const ICW4_SFNM = 0x10;

/** ELCR bits the guest may set on the master: IRQ0-2 are always edge-triggered. */
export const MASTER_ELCR_MASK = 0xf8;
/** ELCR bits the guest may set on the slave: IRQ8 and IRQ13 are always edge-triggered. */
export const SLAVE_ELCR_MASK = 0xde;
/** The master input that takes the slave's INT output. */
export const CASCADE_IRQ = 2;
