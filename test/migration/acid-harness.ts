/**
 * The acid test's machinery: run a guest on one kernel-irqchip configuration, stop at an
 * instruction boundary, carry the state through the snapshot container and the filter chain to a
 * machine of another configuration, run on, and compare with the uninterrupted run.
 */
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { KernelIrqchip, MachineConfig } from '../../machine/machine-config.ts';
import type { MachineState } from '../../machine/machine-state.ts';
import { guestImage } from '../guests/run-guest.ts';
import { saveState } from '../../src/visit/output-visitor.ts';
import type { StateNode } from '../../src/visit/state-tree.ts';
import { FilterRegistry } from '../../migration/registry.ts';
import { builtinFilters } from '../../migration/filters/builtin.ts';
import { planMigration, applyPlan } from '../../migration/planner.ts';
import type { ObjectSignature } from '../../migration/planner.ts';
import { captureSnapshot } from '../../migration/from-tree.ts';
import { encodeSnapshotBytes } from '../../migration/encode.ts';
import { decodeSnapshot } from '../../migration/decode.ts';
import { schemaKey } from '../../migration/snapshot.ts';

export const MODES: KernelIrqchip[] = ['on', 'split', 'off'];

export interface GuestSpec {
  name: string;
  smp: number;
  append?: string;
}

export interface Outcome {
  serial: string;
  retired: number;
  virtualTimeNs: number;
  ramHash: string;
  reason: string;
  cpus: StateNode[];
}

export function makeMachine(g: GuestSpec, mode: KernelIrqchip, out: number[]): Machine {
  const config: MachineConfig = defaultMachineConfig({
    kernel: { name: `${g.name}.elf`, data: guestImage(g.name) },
    append: g.append ?? '',
    smp: g.smp,
    kernelIrqchip: mode,
    ramBytes: 16 << 20,
  });
  return new Machine(config, { serialOut: (b) => out.push(b), log: () => {} });
}

export function finish(m: Machine, out: number[], prefix: number[] = []): Outcome {
  const r = m.run({ maxInsns: 400_000_000 });
  const s = m.stats();
  return {
    serial: Buffer.from([...prefix, ...out]).toString('latin1'),
    retired: s.retiredInstructions,
    virtualTimeNs: s.virtualTimeNs,
    ramHash: s.ramHash,
    reason: r.reason,
    cpus: m.board.cpus.map((c) => saveState(c)),
  };
}

const registry = new FilterRegistry().registerAll(builtinFilters());

/** Snapshot A's state, encode and decode it, and convert it for machine B; returns the chain. */
export function transfer(state: MachineState, dest: Machine): string[] {
  const tree = dest.board.objects;
  const snapshot = captureSnapshot(
    { saveAll: () => state.objects, describeAll: () => state.schemas } as unknown as typeof tree,
    {},
    { virtualTimeNs: state.run.virtualTimeNs, retiredInstructions: 0n, run: { cpu: state.run.schedulerCpu, left: state.run.schedulerLeft } },
  );
  const decoded = decodeSnapshot(encodeSnapshotBytes(snapshot));
  const source = new Map<string, ObjectSignature>();
  for (const [path, o] of decoded.objects) source.set(path, { type: o.type, version: o.version });
  const destination = new Map<string, ObjectSignature>();
  for (const [path, d] of tree.describeAll()) destination.set(path, { type: d.type, version: d.version, schema: d.schema });
  const plan = planMigration(registry, source, destination);
  const objects = applyPlan(registry, plan, decoded.objects, decoded.clock.virtualTimeNs);
  const schemas = new Map([...tree.describeAll()].map(([p, d]) => [p, d]));
  const run = decoded.clock.run as { cpu: number; left: number };
  dest.restoreState({
    objects: new Map([...objects].map(([p, o]) => [p, { type: o.type, version: o.version, fields: o.fields }])),
    schemas,
    run: { virtualTimeNs: decoded.clock.virtualTimeNs, schedulerCpu: run.cpu, schedulerLeft: run.left },
  });
  void schemaKey;
  return [...plan.chain];
}
