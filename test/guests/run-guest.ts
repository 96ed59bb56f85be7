/** Run a committed guest image in-process and capture what it prints on COM1. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { MachineConfig } from '../../machine/machine-config.ts';
import type { RunResult } from '../../machine/machine-api.ts';
import { hash64 } from '../../src/util/hash.ts';

export const GUEST_DIR = fileURLToPath(new URL('./', import.meta.url));

export function guestImage(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${GUEST_DIR}bin/${name}.elf`));
}

/** The guest's C sources: src/<name>.c, or every .c file of the directory src/<name>/. */
function guestSources(name: string): string[] {
  const file = `${GUEST_DIR}src/${name}.c`;
  if (existsSync(file)) return [file];
  const dir = `${GUEST_DIR}src/${name}`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => `${dir}/${f}`);
}

/** The CPU count a guest asks QEMU for in a `// qemu: ... -smp N` line of its sources (else 1). */
export function guestCpus(name: string): number {
  for (const src of guestSources(name)) {
    const m = /^\/\/ qemu: .*-smp (\d+)/m.exec(readFileSync(src, 'latin1'));
    if (m !== null) return Number(m[1]);
  }
  return 1;
}

export function expectedOutput(name: string): string {
  return readFileSync(`${GUEST_DIR}expected/${name}.txt`, 'latin1');
}

/** The exit status a guest must end with: expected/<name>.status if present, else 1 (exit(0)). */
export function expectedStatus(name: string): number {
  const path = `${GUEST_DIR}expected/${name}.status`;
  return existsSync(path) ? Number(readFileSync(path, 'latin1').trim()) : 1;
}

export interface GuestRun {
  result: RunResult;
  serial: string;
  retired: number;
  virtualTimeNs: number;
  ramHash: string;
  serialHash: string;
  machine: Machine;
}

export function runGuest(name: string, overrides: Partial<MachineConfig> = {}, maxInsns = 2_000_000_000): GuestRun {
  const bytes: number[] = [];
  const config = defaultMachineConfig({ kernel: { name: `${name}.elf`, data: guestImage(name) }, ...overrides });
  const machine = new Machine(config, { serialOut: (b) => bytes.push(b), log: () => {} });
  const result = machine.run({ maxInsns });
  const stats = machine.stats();
  const serialBytes = Uint8Array.from(bytes);
  return {
    result,
    serial: Buffer.from(serialBytes).toString('latin1'),
    retired: stats.retiredInstructions,
    virtualTimeNs: stats.virtualTimeNs,
    ramHash: stats.ramHash,
    serialHash: hash64(serialBytes),
    machine,
  };
}
