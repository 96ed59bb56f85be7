/**
 * Machinery for the determinism tests and the acid test (test/migration/acid.test.ts): run a guest
 * on a configuration at a batch length, save it through the snapshot container and restore it with
 * the CLI's own restore function (machine/snapshot.ts's restoreSnapshot: configuration checks, plan,
 * filters, load) into a machine built as `-incoming` builds it, and reduce a machine to everything
 * the guest could ever observe (instruction count, virtual time, serial output, RAM, and the state
 * of every object, in one flavour so that machines of different kernel-irqchip settings compare
 * field by field).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { KernelIrqchip, MachineConfig } from '../../machine/machine-config.ts';
import type { RunResult } from '../../machine/machine-api.ts';
import { prepareMachineRestore, restoreSnapshot, saveSnapshot } from '../../machine/snapshot.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { hash64 } from '../../src/util/hash.ts';
import { guestImage } from '../guests/run-guest.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';
import { virtioblkDisk, virtioblkMachine, type DiskShape, type VirtioblkConfig } from '../guests/virtioblk-config.ts';

export const MODES: readonly KernelIrqchip[] = ['on', 'split', 'off'];
export const SHAPES: readonly DiskShape[] = ['combined', 'split'];

/** A machine with a disk: its kernel-irqchip setting and the shape of its virtio-blk device. */
export interface DiskConfig {
  mode: KernelIrqchip;
  shape: DiskShape;
}
/** The 6 disk configurations of a CPU count (the acid tests' matrix), and how they are named. */
export const DISK_CONFIGS: readonly DiskConfig[] = MODES.flatMap((mode) => SHAPES.map((shape) => ({ mode, shape })));
export const configName = (c: DiskConfig): string => `${c.mode}/${c.shape}`;

export interface GuestSpec {
  /** A program of test/guests/bin (multiboot), or 'linux': test/guests/linux's bzImage and initramfs. */
  name: string;
  smp: number;
  append?: string;
  /** RAM in MiB (default 4: small snapshots, quick restores; Linux needs 32). */
  ramMiB?: number;
  /**
   * The virtioblk guest's disk (test/guests/virtioblk-config.ts) in one shape; its configuration gives
   * the command line. A machine gets a fresh image unless given the bytes (a restore: the disk as the
   * source machine left it, since a drive without snapshot=on is not in the snapshot).
   */
  disk?: { config: VirtioblkConfig; shape: DiskShape };
}

/** Everything about a machine that the guest could observe, in comparable form. */
export interface Observed {
  retired: number;
  virtualTimeNs: number;
  serial: string;
  ramHash: string;
  /** Every object but RAM (and the run state), in the in-kernel flavour, as canonical JSON. */
  objects: string;
  /** How the run ended (for finished runs), else ''. */
  ending: string;
  /** hash64 of the disk's bytes ('' without a disk). */
  diskHash: string;
}

const LINUX = 'linux';
let linuxCache: Pick<MachineConfig, 'kernel' | 'initrds'> | null = null;

/** The Linux guest's kernel and initramfs (test/guests/linux), read once. */
function linuxImages(): Pick<MachineConfig, 'kernel' | 'initrds'> {
  if (linuxCache === null) {
    const dir = fileURLToPath(new URL('../guests/linux/', import.meta.url));
    linuxCache = {
      kernel: { name: 'bzImage', data: new Uint8Array(readFileSync(`${dir}bzImage`)) },
      initrds: [{ name: 'initramfs.cpio', data: new Uint8Array(readFileSync(`${dir}initramfs.cpio`)) }],
    };
  }
  return linuxCache;
}

/** The guest's configuration under one kernel-irqchip setting (`disk`: the image's bytes, used in place). */
export function configOf(g: GuestSpec, mode: KernelIrqchip, disk?: Uint8Array, shape = g.disk?.shape): MachineConfig {
  const config = defaultMachineConfig({
    ...(g.name === LINUX ? linuxImages() : { kernel: { name: `${g.name}.elf`, data: guestImage(g.name) } }),
    append: g.append ?? '',
    smp: g.smp,
    kernelIrqchip: mode,
    ramBytes: (g.ramMiB ?? 4) << 20,
  });
  if (g.disk === undefined) return config;
  const { overrides } = virtioblkMachine(g.disk.config, shape!, disk ?? virtioblkDisk());
  return { ...config, ...overrides, append: g.append ?? overrides.append! };
}

/** A machine for the guest; its serial output is appended to `out`. */
export function makeMachine(g: GuestSpec, mode: KernelIrqchip, out: number[], disk?: Uint8Array): Machine {
  return new Machine(configOf(g, mode, disk), { serialOut: (b) => out.push(b), log: () => {} });
}

/** The bytes of the machine's disk (the memory backend of its one drive), or null without one. */
export function diskOf(m: Machine): Uint8Array | null {
  const backend = m.config.drives[0]?.backend;
  return backend instanceof MemoryBackend ? backend.bytes : null;
}

/** Upper bound for every run here: a guest that spins forever fails instead of hanging the suite. */
export const MAX_INSNS = 300_000_000;

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return Object.fromEntries([...v].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (ArrayBuffer.isView(v)) return `bytes:${hash64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`;
    return v;
  });
}

const canonicalMachines = new Map<string, Machine>();

/** A machine of the in-kernel flavour with the same shape, the common form to compare states in. */
function canonicalFlavourOf(g: GuestSpec): Machine {
  const key = `${g.name}/${g.smp}/${g.ramMiB ?? 4}/${g.disk?.config ?? ''}`;
  let m = canonicalMachines.get(key);
  if (m === undefined) {
    // One shape for every disk (combined): machines of either shape compare field by field. The
    // disk's identity is not checked: this machine only converts states, and a guest that writes
    // its disk (diskbench) leaves one that no longer matches the fresh image.
    const config = configOf(g, 'on', undefined, 'combined');
    m = new Machine({ ...config, drives: config.drives.map((d) => ({ ...d, checkIdentity: false })) }, { serialOut: () => {}, log: () => {} });
    canonicalMachines.set(key, m);
  }
  return m;
}

/**
 * The state of every object but RAM, and the run state, as canonical JSON in the in-kernel flavour
 * (kernel-irqchip=on). That flavour keeps only what the guest can observe (the LAPIC register page
 * and the exact timer deadline, KVM's PIT and PIC structs), while the userspace one also keeps how
 * it got there (the time a timer count was loaded, which a filter can only re-derive modulo a
 * period): two machines the guest cannot tell apart have equal in-kernel states.
 */
export function objectsOf(g: GuestSpec, m: Machine): string {
  const snapshot = saveSnapshot(m);
  const on = canonicalFlavourOf(g);
  const { state } = prepareMachineRestore(on, snapshot);
  const objects = new Map([...state.objects].filter(([path]) => path !== '/machine/ram').map(([p, o]) => [p, { type: o.type, version: o.version, fields: o.fields }]));
  return canonical({ objects, run: state.run });
}

export function observe(g: GuestSpec, m: Machine, serial: readonly number[], result: RunResult | null): Observed {
  const s = m.stats();
  return {
    retired: s.retiredInstructions,
    virtualTimeNs: s.virtualTimeNs,
    serial: Buffer.from(serial).toString('latin1'),
    ramHash: s.ramHash,
    objects: objectsOf(g, m),
    ending: result === null ? '' : `${result.reason} ${result.exitStatus}`,
    diskHash: ((d) => (d === null ? '' : hash64(d)))(diskOf(m)),
  };
}

/** Run a guest from power-on to its end (or `maxInsns`) at a batch length (undefined: the default). */
export function runStraight(g: GuestSpec, mode: KernelIrqchip, batchLength?: number, maxInsns = MAX_INSNS): Observed {
  const out: number[] = [];
  const m = makeMachine(g, mode, out);
  const result = m.run(batchLength === undefined ? { maxInsns } : { maxInsns, batchLength });
  return observe(g, m, out, result);
}

/** A snapshot of the machine as the CLI writes it (container bytes). */
export function snapshotBytes(m: Machine): Uint8Array {
  return encodeSnapshotBytes(saveSnapshot(m));
}

/**
 * A machine of configuration `mode` restored from snapshot bytes by the CLI's restore function,
 * built as `godwit -incoming` builds it: without a kernel, initrd or command line (the snapshot
 * carries them).
 */
export function restoreFrom(
  bytes: Uint8Array,
  g: GuestSpec,
  mode: KernelIrqchip,
  out: number[],
  disk?: Uint8Array,
  shape = g.disk?.shape,
): { machine: Machine; chain: string[] } {
  const m = new Machine({ ...configOf(g, mode, disk, shape), kernel: null, initrds: [], append: '' }, { serialOut: (b) => out.push(b), log: () => {} });
  const { chain } = restoreSnapshot(m, decodeSnapshot(bytes));
  return { machine: m, chain: [...chain] };
}

/** Field-by-field comparison with a readable failure: the first differing field named. */
export function firstDifference(a: Observed, b: Observed): string | null {
  for (const key of ['retired', 'virtualTimeNs', 'ramHash', 'ending', 'diskHash'] as const) {
    if (a[key] !== b[key]) return `${key}: ${String(a[key])} != ${String(b[key])}`;
  }
  if (a.serial !== b.serial) return `serial output differs (${a.serial.length} and ${b.serial.length} bytes)`;
  if (a.objects !== b.objects) {
    const x = JSON.parse(a.objects) as { objects: Record<string, unknown>; run: unknown };
    const y = JSON.parse(b.objects) as { objects: Record<string, unknown>; run: unknown };
    if (JSON.stringify(x.run) !== JSON.stringify(y.run)) return `run state: ${JSON.stringify(x.run)} != ${JSON.stringify(y.run)}`;
    for (const path of new Set([...Object.keys(x.objects), ...Object.keys(y.objects)])) {
      const p = x.objects[path] as { type: string; fields: Record<string, unknown> } | undefined;
      const q = y.objects[path] as { type: string; fields: Record<string, unknown> } | undefined;
      if (JSON.stringify(p) === JSON.stringify(q)) continue;
      if (p === undefined || q === undefined) return `${path}: present in only one`;
      for (const field of new Set([...Object.keys(p.fields), ...Object.keys(q.fields)])) {
        const f = JSON.stringify(p.fields[field]);
        const g = JSON.stringify(q.fields[field]);
        if (f !== g) return `${path}.${field}: ${(f ?? 'absent').slice(0, 200)} != ${(g ?? 'absent').slice(0, 200)}`;
      }
      return `${path}: type or version differs`;
    }
  }
  return null;
}
