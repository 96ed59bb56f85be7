/**
 * The Visitor: one walk over a device's state serves save, load and describe (docs/architecture.md section 4).
 *
 * A device threads each value through the visitor and stores what comes back:
 *
 *   this.tpr = v.u8('tpr', this.tpr);
 *   v.u32Array('isr', this.isr);            // arrays are filled in place on load
 *   v.optional('sipi', this.waitForSipi !== 0, () => { ... });
 *
 * Output visitors record the value and return it unchanged; input visitors return the value from the
 * state tree after checking its kind and range; the describe visitor records names and types only.
 */

/** Scalar field kinds, as written into the schema. */
export type ScalarKind = 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'u64' | 'i64' | 'bool';
/** Array field kinds. `bytes` is a byte string that may travel as a blob (RAM, disk overlays). */
export type ArrayKind = 'u8[]' | 'u16[]' | 'u32[]' | 'i32[]' | 'u64[]' | 'bytes';
/**
 * A byte string whose length is part of the state, not of the schema (a kernel image, a command
 * line): the schema records only its largest allowed length. It travels like `bytes`.
 */
export type VarBytesKind = 'varbytes';

export type VisitMode = 'save' | 'load' | 'describe';

export interface Visitor {
  readonly mode: VisitMode;

  u8(name: string, value: number): number;
  u16(name: string, value: number): number;
  u32(name: string, value: number): number;
  i8(name: string, value: number): number;
  i16(name: string, value: number): number;
  i32(name: string, value: number): number;
  /** 64-bit values are bigints so that they round-trip exactly. */
  u64(name: string, value: bigint): bigint;
  i64(name: string, value: bigint): bigint;
  bool(name: string, value: boolean): boolean;

  /** Fixed-length arrays: the length is value.length; on load the array is filled in place. */
  u8Array(name: string, value: Uint8Array): Uint8Array;
  u16Array(name: string, value: Uint16Array): Uint16Array;
  u32Array(name: string, value: Uint32Array): Uint32Array;
  i32Array(name: string, value: Int32Array): Int32Array;
  u64Array(name: string, value: BigUint64Array): BigUint64Array;
  /**
   * A large byte string (RAM, a disk overlay). The output visitor keeps a reference, valid until the
   * machine runs again; on load the bytes are copied into value, whose length must match.
   */
  bytes(name: string, value: Uint8Array): Uint8Array;
  /**
   * A byte string of any length up to `maxLength` (QEMU's VMSTATE_VBUFFER_ALLOC): the output visitor
   * keeps a reference; the input visitor returns the saved bytes (a new array of the saved length,
   * shared with the state tree: treat it as read-only); the schema records `maxLength` only, so that
   * machines holding strings of different lengths have the same schema.
   */
  varBytes(name: string, value: Uint8Array, maxLength: number): Uint8Array;

  /** A nested group of fields. */
  struct(name: string, body: () => void): void;
  /** A fixed-length array of nested groups (PIT channels, IOAPIC entries...). */
  structArray(name: string, length: number, body: (index: number) => void): void;
  /**
   * An optional group (QEMU's subsection): saved only when `needed`; on load, returns whether it was
   * present (the device applies defaults when it was not). The describe visitor walks it once.
   */
  optional(name: string, needed: boolean, body: () => void): boolean;
}

/** Anything with state: devices, the CPU, RAM. */
export interface Visitable {
  visit(v: Visitor): void;
}
