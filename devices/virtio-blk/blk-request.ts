/**
 * Executing one virtio-blk request (virtio 1.2 section 5.2.6) from a walked descriptor chain. The
 * device does not assume any framing: the device-readable bytes of the chain form one stream (the
 * 16-byte header, then data or discard segments) and the device-writable bytes another (data, then
 * the status byte, its last byte).
 *
 * Outcomes, as QEMU's virtio-blk gives them:
 * - no 16-byte header or no status byte: the request cannot be answered; the caller sets
 *   DEVICE_NEEDS_RESET (execute returns REQUEST_MALFORMED);
 * - IN / OUT with a data length that is not a multiple of 512, longer than 4194303 sectors or past
 *   the end of the disk: IOERR; OUT to a read-only disk: IOERR;
 * - FLUSH: OK (the backend syncs); GET_ID: the serial, NUL-padded to 20 bytes (fewer if the buffer
 *   is shorter);
 * - DISCARD / WRITE_ZEROES: UNSUPP unless negotiated, with more segments than max_*_seg, with an
 *   unknown flag, or with UNMAP on a DISCARD; IOERR for a segment area that is not a multiple of 16
 *   bytes, more sectors than max_*_sectors, a range past the end, or (WRITE_ZEROES) a read-only
 *   disk; nothing is done unless every segment is good; a good DISCARD on a read-only disk is OK
 *   and does nothing, as QEMU's default discard=ignore answers;
 * - any other type: UNSUPP; a host I/O error (BlockIoError): IOERR.
 * The used length is the number of device-writable bytes in the chain (as QEMU reports it).
 */
import type { GuestMemory } from '../../src/memory/guest-memory.ts';
import { type BlockBackend, isBlockIoError } from '../../src/block/block-backend.ts';
import type { DescChain } from '../virtio/descriptor-chain.ts';
import { BLK_MAX_REQUEST_SECTORS, type BlkLimits } from './blk-config.ts';
import {
  BLK_DWZ_F_UNMAP,
  BLK_DWZ_SEGMENT_SIZE,
  BLK_ID_BYTES,
  BLK_REQ_HEADER_SIZE,
  BLK_S_IOERR,
  BLK_S_OK,
  BLK_S_UNSUPP,
  BLK_T_BARRIER,
  BLK_T_DISCARD,
  BLK_T_FLUSH,
  BLK_T_GET_ID,
  BLK_T_IN,
  BLK_T_OUT,
  BLK_T_WRITE_ZEROES,
  SECTOR_SHIFT,
  SECTOR_SIZE,
} from './virtio-blk-regs.ts';

/** execute() result for a chain that cannot carry a request. */
export const REQUEST_MALFORMED = -1;

/** Bytes moved between guest memory and the backend per step (the scratch buffer). */
const CHUNK_BYTES = 1 << 16;

/** The latency model: a fixed cost per request plus a cost per byte of its buffers (see README). */
export const REQUEST_BASE_NS = 10_000;
export const REQUEST_NS_PER_BYTE = 1;

/**
 * Virtual ns from a request being taken from the ring to its completion: depends only on the
 * request (its buffer lengths: everything but the header and the status byte).
 */
export function requestLatencyNs(chain: DescChain): number {
  const payload = Math.max(0, chain.readableBytes + chain.writableBytes - BLK_REQ_HEADER_SIZE - 1);
  return REQUEST_BASE_NS + REQUEST_NS_PER_BYTE * payload;
}

export class BlkRequestExecutor {
  private readonly backend: BlockBackend;
  private readonly limits: BlkLimits;
  private readonly scratch = new Uint8Array(CHUNK_BYTES);
  /** Why the last execute() returned REQUEST_MALFORMED. */
  error = '';
  /** Negotiated: DISCARD and WRITE_ZEROES are accepted only when set (by the device at activation). */
  discardEnabled = false;
  writeZeroesEnabled = false;

  constructor(backend: BlockBackend, limits: BlkLimits) {
    this.backend = backend;
    this.limits = limits;
  }

  /** Run the request of `chain` at once; returns the used length, or REQUEST_MALFORMED. */
  execute(mem: GuestMemory, chain: DescChain): number {
    if (chain.readableBytes < BLK_REQ_HEADER_SIZE) {
      this.error = 'request header shorter than 16 bytes';
      return REQUEST_MALFORMED;
    }
    if (chain.writableBytes < 1) {
      this.error = 'request without a status byte';
      return REQUEST_MALFORMED;
    }
    const header = this.scratch.subarray(0, BLK_REQ_HEADER_SIZE);
    copyFromChain(mem, chain, 0, header);
    const type = (le32(header, 0) & ~BLK_T_BARRIER) >>> 0;
    const sector = le64(header, 8);
    let status: number;
    try {
      status = this.run(mem, chain, type, sector);
    } catch (e) {
      if (!isBlockIoError(e)) throw e;
      status = BLK_S_IOERR;
    }
    const last = lastWritableByte(chain);
    mem.write8(last, status);
    return chain.writableBytes;
  }

  private run(mem: GuestMemory, chain: DescChain, type: number, sector: number): number {
    switch (type) {
      case BLK_T_IN: {
        const bytes = chain.writableBytes - 1;
        if (!this.rangeOk(sector, bytes)) return BLK_S_IOERR;
        this.transferIn(mem, chain, sector * SECTOR_SIZE, bytes);
        return BLK_S_OK;
      }
      case BLK_T_OUT: {
        const bytes = chain.readableBytes - BLK_REQ_HEADER_SIZE;
        if (!this.rangeOk(sector, bytes) || this.backend.readOnly) return BLK_S_IOERR;
        this.transferOut(mem, chain, sector * SECTOR_SIZE, bytes);
        return BLK_S_OK;
      }
      case BLK_T_FLUSH:
        this.backend.flush();
        return BLK_S_OK;
      case BLK_T_GET_ID: {
        const n = Math.min(chain.writableBytes - 1, BLK_ID_BYTES);
        copyToChain(mem, chain, 0, this.limits.serial.subarray(0, n));
        return BLK_S_OK;
      }
      case BLK_T_DISCARD:
        return this.discardOrZero(mem, chain, false);
      case BLK_T_WRITE_ZEROES:
        return this.discardOrZero(mem, chain, true);
      default:
        return BLK_S_UNSUPP;
    }
  }

  /** IN and OUT: whole sectors, at most BLK_MAX_REQUEST_SECTORS, inside the disk. */
  private rangeOk(sector: number, bytes: number): boolean {
    if (bytes % SECTOR_SIZE !== 0) return false;
    const count = bytes >>> SECTOR_SHIFT;
    return count <= BLK_MAX_REQUEST_SECTORS && sector <= this.limits.capacitySectors && count <= this.limits.capacitySectors - sector;
  }

  private discardOrZero(mem: GuestMemory, chain: DescChain, zero: boolean): number {
    if (!(zero ? this.writeZeroesEnabled : this.discardEnabled)) return BLK_S_UNSUPP;
    const area = chain.readableBytes - BLK_REQ_HEADER_SIZE;
    if (area === 0 || area % BLK_DWZ_SEGMENT_SIZE !== 0) return BLK_S_IOERR;
    const segments = area / BLK_DWZ_SEGMENT_SIZE;
    if (segments > (zero ? this.limits.maxWriteZeroesSeg : this.limits.maxDiscardSeg)) return BLK_S_UNSUPP;
    const maxSectors = zero ? this.limits.maxWriteZeroesSectors : this.limits.maxDiscardSectors;
    const seg = this.scratch.subarray(0, BLK_DWZ_SEGMENT_SIZE);
    // Check every segment before doing anything.
    for (let i = 0; i < segments; i++) {
      copyFromChain(mem, chain, BLK_REQ_HEADER_SIZE + i * BLK_DWZ_SEGMENT_SIZE, seg);
      const sector = le64(seg, 0);
      const count = le32(seg, 8);
      const flags = le32(seg, 12);
      if (count > maxSectors) return BLK_S_IOERR;
      if (sector > this.limits.capacitySectors || count > this.limits.capacitySectors - sector) return BLK_S_IOERR;
      if ((flags & ~BLK_DWZ_F_UNMAP) !== 0) return BLK_S_UNSUPP;
      if (!zero && flags & BLK_DWZ_F_UNMAP) return BLK_S_UNSUPP;
    }
    // A discard is a hint the device may ignore (QEMU's default discard=ignore answers OK on a
    // read-only disk too); zeroing is a write.
    if (this.backend.readOnly) return zero ? BLK_S_IOERR : BLK_S_OK;
    for (let i = 0; i < segments; i++) {
      copyFromChain(mem, chain, BLK_REQ_HEADER_SIZE + i * BLK_DWZ_SEGMENT_SIZE, seg);
      const offset = le64(seg, 0) * SECTOR_SIZE;
      const bytes = le32(seg, 8) * SECTOR_SIZE;
      if (zero) this.backend.writeZeroes(offset, bytes);
      else this.backend.discard(offset, bytes);
    }
    return BLK_S_OK;
  }

  /** Disk -> the writable data area of the chain (everything before the status byte). */
  private transferIn(mem: GuestMemory, chain: DescChain, offset: number, bytes: number): void {
    let done = 0;
    for (let i = 0; i < chain.count && done < bytes; i++) {
      if (!chain.writable[i]) continue;
      const addr = chain.addr[i]!;
      const len = Math.min(chain.len[i]!, bytes - done);
      for (let at = 0; at < len; at += CHUNK_BYTES) {
        const piece = this.scratch.subarray(0, Math.min(CHUNK_BYTES, len - at));
        this.backend.read(offset + done + at, piece);
        mem.writeBytes(addr + at, piece);
      }
      done += len;
    }
  }

  /** The readable data area of the chain (after the header) -> disk. */
  private transferOut(mem: GuestMemory, chain: DescChain, offset: number, bytes: number): void {
    let skip = BLK_REQ_HEADER_SIZE;
    let done = 0;
    for (let i = 0; i < chain.count && done < bytes; i++) {
      if (chain.writable[i]) break;
      let addr = chain.addr[i]!;
      let len = chain.len[i]!;
      if (skip > 0) {
        const s = Math.min(skip, len);
        skip -= s;
        addr += s;
        len -= s;
      }
      for (let at = 0; at < len; at += CHUNK_BYTES) {
        const piece = this.scratch.subarray(0, Math.min(CHUNK_BYTES, len - at));
        mem.readBytes(addr + at, piece);
        this.backend.write(offset + done + at, piece);
      }
      done += len;
    }
  }
}

/** Copy dest.length device-readable bytes of the chain, from stream offset `from`, into dest. */
function copyFromChain(mem: GuestMemory, chain: DescChain, from: number, dest: Uint8Array): void {
  let pos = 0;
  let filled = 0;
  for (let i = 0; i < chain.count && filled < dest.length; i++) {
    if (chain.writable[i]) break;
    const len = chain.len[i]!;
    if (pos + len > from + filled) {
      const start = from + filled - pos;
      const n = Math.min(len - start, dest.length - filled);
      mem.readBytes(chain.addr[i]! + start, dest.subarray(filled, filled + n));
      filled += n;
    }
    pos += len;
  }
}

/** Copy src into the device-writable bytes of the chain from stream offset `from`. */
function copyToChain(mem: GuestMemory, chain: DescChain, from: number, src: Uint8Array): void {
  let pos = 0;
  let done = 0;
  for (let i = 0; i < chain.count && done < src.length; i++) {
    if (!chain.writable[i]) continue;
    const len = chain.len[i]!;
    if (pos + len > from + done) {
      const start = from + done - pos;
      const n = Math.min(len - start, src.length - done);
      mem.writeBytes(chain.addr[i]! + start, src.subarray(done, done + n));
      done += n;
    }
    pos += len;
  }
}

/** Guest address of the status byte: the last byte of the last device-writable buffer. */
function lastWritableByte(chain: DescChain): number {
  for (let i = chain.count - 1; i >= 0; i--) if (chain.writable[i]) return chain.addr[i]! + chain.len[i]! - 1;
  return -1;
}

function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** A little-endian u64 as a number; values past 2^53 become Infinity (always out of range). */
function le64(b: Uint8Array, at: number): number {
  const hi = le32(b, at + 4);
  return hi < 0x200000 ? hi * 0x100000000 + le32(b, at) : Infinity;
}
