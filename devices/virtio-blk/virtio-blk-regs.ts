/**
 * The virtio-blk ABI (virtio 1.2 section 5.2): feature bits, the configuration space layout, the
 * request header and the status byte. Written once here for the device, the transports and tests.
 */

// ---- Feature bits ----
/** size_max is valid: the largest segment (not offered by godwit). */
export const BLK_F_SIZE_MAX = 1;
/** seg_max is valid: the most data segments in one request. */
export const BLK_F_SEG_MAX = 2;
/** geometry is valid (not offered). */
export const BLK_F_GEOMETRY = 4;
/** The disk is read-only. */
export const BLK_F_RO = 5;
/** blk_size is valid. */
export const BLK_F_BLK_SIZE = 6;
/** FLUSH requests are supported. */
export const BLK_F_FLUSH = 9;
/** topology is valid (not offered). */
export const BLK_F_TOPOLOGY = 10;
/** writeback is writable (not offered). */
export const BLK_F_CONFIG_WCE = 11;
/** num_queues is valid (not offered: one queue). */
export const BLK_F_MQ = 12;
/** DISCARD requests and their limits. */
export const BLK_F_DISCARD = 13;
/** WRITE_ZEROES requests and their limits. */
export const BLK_F_WRITE_ZEROES = 14;

// ---- Configuration space (little-endian) ----
export const BLK_CFG_CAPACITY = 0; // u64, 512-byte sectors
export const BLK_CFG_SIZE_MAX = 8; // u32
export const BLK_CFG_SEG_MAX = 12; // u32
export const BLK_CFG_GEOMETRY = 16; // cylinders u16, heads u8, sectors u8
export const BLK_CFG_BLK_SIZE = 20; // u32
export const BLK_CFG_TOPOLOGY = 24; // physical_block_exp u8, alignment_offset u8, min_io_size u16, opt_io_size u32
export const BLK_CFG_WRITEBACK = 32; // u8
export const BLK_CFG_NUM_QUEUES = 34; // u16
export const BLK_CFG_MAX_DISCARD_SECTORS = 36; // u32
export const BLK_CFG_MAX_DISCARD_SEG = 40; // u32
export const BLK_CFG_DISCARD_SECTOR_ALIGNMENT = 44; // u32
export const BLK_CFG_MAX_WRITE_ZEROES_SECTORS = 48; // u32
export const BLK_CFG_MAX_WRITE_ZEROES_SEG = 52; // u32
export const BLK_CFG_WRITE_ZEROES_MAY_UNMAP = 56; // u8
/** Bytes up to and including write_zeroes_may_unmap and its padding (what QEMU exposes with these features). */
export const BLK_CONFIG_SIZE = 60;

// ---- Requests ----
/** Device-readable header: type u32, reserved u32, sector u64. */
export const BLK_REQ_HEADER_SIZE = 16;
export const BLK_T_IN = 0;
export const BLK_T_OUT = 1;
export const BLK_T_FLUSH = 4;
export const BLK_T_GET_ID = 8;
export const BLK_T_DISCARD = 11;
export const BLK_T_WRITE_ZEROES = 13;
/** Legacy barrier flag in the type; ignored, as QEMU does. */
export const BLK_T_BARRIER = 0x80000000;

/** Device-writable status byte, the last byte of the chain. */
export const BLK_S_OK = 0;
export const BLK_S_IOERR = 1;
export const BLK_S_UNSUPP = 2;

/** GET_ID answers with up to 20 bytes, NUL-padded (no NUL when exactly 20). */
export const BLK_ID_BYTES = 20;

/** DISCARD / WRITE_ZEROES segment: sector u64, num_sectors u32, flags u32. */
export const BLK_DWZ_SEGMENT_SIZE = 16;
/** WRITE_ZEROES may unmap; in a DISCARD it is refused (UNSUPP). */
export const BLK_DWZ_F_UNMAP = 1;

export const SECTOR_SHIFT = 9;
export const SECTOR_SIZE = 1 << SECTOR_SHIFT;
