/**
 * The 8254 programmable interval timer and port 0x61 (system control port B) as PCs wire them:
 * read/write states of a counter (QEMU's and KVM's encoding, which the saved state uses), the
 * read-back command, and the port 0x61 bits. The counter arithmetic is in pit-math.ts.
 */

/** read_state / write_state / count_latched: low byte only. */
export const RW_STATE_LSB = 1;
/** High byte only. */
export const RW_STATE_MSB = 2;
/** Low byte then high byte, next access is the low byte. */
export const RW_STATE_WORD0 = 3;
/** Low byte then high byte, next access is the high byte. */
export const RW_STATE_WORD1 = 4;
/** Control word: select bits 7:6 = 3 is the read-back command. */
export const CW_READ_BACK = 0xc0;
/** Read-back: do NOT latch the count (active low). */
export const RB_NO_COUNT = 0x20;
/** Read-back: do NOT latch the status (active low). */
export const RB_NO_STATUS = 0x10;

/** Gate of PIT channel 2. */
export const P61_GATE2 = 0x01;
/** Speaker data enable. */
export const P61_SPEAKER = 0x02;
/** Parity / channel check disable bits (stored, no effect). */
export const P61_CHECK_MASK = 0x0c;
/** Refresh toggle. */
export const P61_REFRESH = 0x10;
/** PIT channel 2 output. */
export const P61_OUT2 = 0x20;
/** Half period of the refresh toggle, ns (a DRAM refresh every 15.085 us). */
export const REFRESH_PERIOD_NS = 15085;
