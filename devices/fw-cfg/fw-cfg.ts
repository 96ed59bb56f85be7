/**
 * QEMU's fw_cfg, traditional I/O interface: selector at 0x510 (offset 0; 16-bit write, a byte write
 * selects too), data at 0x511 (offset 1; byte reads with an auto-incrementing offset; reading past
 * the end of an item, or an unknown item, returns 0). No DMA interface (FW_CFG_ID bit 1 clear).
 * Writes to the data port are ignored, as on QEMU since 2.4.
 *
 * The items are configuration built by the machine (a map of key -> bytes); the state is only the
 * selected key and the offset into it.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** "QEMU". */
export const FW_CFG_SIGNATURE = 0x0000;
/** Interface id: bit 0 traditional interface, bit 1 DMA. */
export const FW_CFG_ID = 0x0001;
/** RAM size, u64 little-endian. */
export const FW_CFG_RAM_SIZE = 0x0003;
/** Boot CPU count (nb_cpus), u16 little-endian. */
export const FW_CFG_NB_CPUS = 0x0005;
/** Maximum CPU count, u16 little-endian. */
export const FW_CFG_MAX_CPUS = 0x000f;
/** Selector value meaning "nothing selected". */
export const FW_CFG_INVALID = 0xffff;

/** Little-endian encodings for building the item map. */
export function fwCfgU16(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >> 8) & 0xff);
}
export function fwCfgU32(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}
export function fwCfgU64(value: bigint | number): Uint8Array {
  const out = new Uint8Array(8);
  let v = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export class FwCfg implements PortDevice, StateObject {
  readonly typeName = 'fw_cfg_io';
  readonly stateVersion = 1;
  private readonly items: ReadonlyMap<number, Uint8Array>;
  curEntry = FW_CFG_INVALID;
  curOffset = 0;

  /** `items` maps a selector key to its bytes; signature and id are supplied if missing. */
  constructor(items: ReadonlyMap<number, Uint8Array>) {
    const all = new Map(items);
    if (!all.has(FW_CFG_SIGNATURE)) all.set(FW_CFG_SIGNATURE, Uint8Array.of(0x51, 0x45, 0x4d, 0x55));
    if (!all.has(FW_CFG_ID)) all.set(FW_CFG_ID, fwCfgU32(1));
    this.items = all;
  }

  reset(): void {
    this.curEntry = FW_CFG_INVALID;
    this.curOffset = 0;
  }

  private select(key: number): void {
    this.curEntry = key & 0xffff;
    this.curOffset = 0;
  }

  ioWrite(offset: number, _size: number, value: number): void {
    if (offset === 0) this.select(value);
    // offset 1: data port writes are ignored
  }

  ioRead(offset: number, size: number): number {
    if (offset === 0 && size === 2) return 0xffff; // the selector is write-only
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte() << (8 * i);
    return value >>> 0;
  }

  private readByte(): number {
    const item = this.items.get(this.curEntry);
    if (item === undefined || this.curOffset >= item.length) return 0;
    return item[this.curOffset++]!;
  }

  visit(v: Visitor): void {
    this.curEntry = v.u16('cur_entry', this.curEntry);
    this.curOffset = v.u32('cur_offset', this.curOffset);
  }
}
