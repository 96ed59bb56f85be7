/**
 * virtio-blk configuration: the options a machine gives the device, the limits it enforces, and the
 * configuration space the driver reads. Defaults are the values QEMU 7.2's virtio-blk-pci shows a
 * guest (queue size 256, seg_max 254, discard and write-zeroes limits of 4194303 sectors in one
 * segment), so that a guest prints the same under both.
 */
import { ConfigError } from '../../src/util/errors.ts';
import {
  BLK_CFG_BLK_SIZE,
  BLK_CFG_CAPACITY,
  BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  BLK_CFG_MAX_DISCARD_SECTORS,
  BLK_CFG_MAX_DISCARD_SEG,
  BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
  BLK_CFG_MAX_WRITE_ZEROES_SEG,
  BLK_CFG_NUM_QUEUES,
  BLK_CFG_SEG_MAX,
  BLK_CFG_WRITE_ZEROES_MAY_UNMAP,
  BLK_CFG_WRITEBACK,
  BLK_CONFIG_SIZE,
  BLK_ID_BYTES,
  SECTOR_SHIFT,
  SECTOR_SIZE,
} from './virtio-blk-regs.ts';

/** Largest queue the device offers; the in-flight table of the state has this many slots. */
export const BLK_MAX_QUEUE_SIZE = 256;
/** Largest request (QEMU's BDRV_REQUEST_MAX_SECTORS): longer ones fail with IOERR. */
export const BLK_MAX_REQUEST_SECTORS = 0x3fffff;

export interface VirtioBlkOptions {
  /** GET_ID answer: printable ASCII, at most 20 characters (default empty). */
  serial?: string;
  /** Queue size offered, a power of two from 2 to 256 (default 256). */
  queueSize?: number;
  maxDiscardSectors?: number;
  maxDiscardSeg?: number;
  maxWriteZeroesSectors?: number;
  maxWriteZeroesSeg?: number;
}

/** Everything a request is checked against; fixed for the life of the device. */
export interface BlkLimits {
  capacitySectors: number;
  queueSize: number;
  maxDiscardSectors: number;
  maxDiscardSeg: number;
  maxWriteZeroesSectors: number;
  maxWriteZeroesSeg: number;
  /** The GET_ID bytes, NUL-padded to 20. */
  serial: Uint8Array;
}

function limit(name: string, value: number | undefined, def: number, min: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`virtio-blk ${name} ${v} is not an integer in ${min}..${max}`);
  return v;
}

/** Check the options against a disk of `diskBytes` bytes (ConfigError names the bad option). */
export function blkLimits(options: VirtioBlkOptions, diskBytes: number): BlkLimits {
  const queueSize = limit('queue size', options.queueSize, BLK_MAX_QUEUE_SIZE, 2, BLK_MAX_QUEUE_SIZE);
  if ((queueSize & (queueSize - 1)) !== 0) throw new ConfigError(`virtio-blk queue size ${queueSize} is not a power of two`);
  const text = options.serial ?? '';
  if (text.length > BLK_ID_BYTES || !/^[\x20-\x7e]*$/.test(text)) {
    throw new ConfigError(`virtio-blk serial ${JSON.stringify(text)} must be at most 20 printable ASCII characters`);
  }
  const serial = new Uint8Array(BLK_ID_BYTES);
  for (let i = 0; i < text.length; i++) serial[i] = text.charCodeAt(i);
  return {
    capacitySectors: Math.floor(diskBytes / SECTOR_SIZE),
    queueSize,
    maxDiscardSectors: limit('max-discard-sectors', options.maxDiscardSectors, BLK_MAX_REQUEST_SECTORS, 1, BLK_MAX_REQUEST_SECTORS),
    maxDiscardSeg: limit('max-discard-seg', options.maxDiscardSeg, 1, 1, queueSize - 2),
    maxWriteZeroesSectors: limit('max-write-zeroes-sectors', options.maxWriteZeroesSectors, BLK_MAX_REQUEST_SECTORS, 1, BLK_MAX_REQUEST_SECTORS),
    maxWriteZeroesSeg: limit('max-write-zeroes-seg', options.maxWriteZeroesSeg, 1, 1, queueSize - 2),
    serial,
  };
}

/** The configuration space bytes (read-only to the driver). */
export function blkConfigSpace(l: BlkLimits): Uint8Array {
  const bytes = new Uint8Array(BLK_CONFIG_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(BLK_CFG_CAPACITY, BigInt(l.capacitySectors), true);
  view.setUint32(BLK_CFG_SEG_MAX, l.queueSize - 2, true);
  view.setUint32(BLK_CFG_BLK_SIZE, 1 << SECTOR_SHIFT, true);
  // Write-back cache (flush needed), as QEMU's default cache mode reports.
  view.setUint8(BLK_CFG_WRITEBACK, 1);
  view.setUint16(BLK_CFG_NUM_QUEUES, 1, true);
  view.setUint32(BLK_CFG_MAX_DISCARD_SECTORS, l.maxDiscardSectors, true);
  view.setUint32(BLK_CFG_MAX_DISCARD_SEG, l.maxDiscardSeg, true);
  view.setUint32(BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 1, true);
  view.setUint32(BLK_CFG_MAX_WRITE_ZEROES_SECTORS, l.maxWriteZeroesSectors, true);
  view.setUint32(BLK_CFG_MAX_WRITE_ZEROES_SEG, l.maxWriteZeroesSeg, true);
  view.setUint8(BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1);
  return bytes;
}
