/**
 * The dependency direction of docs/architecture.md ("Layers"): src <- devices <- machine; migration
 * uses src only; the core (src, devices, migration) uses no Node API; and the rooms inside: src/hw is
 * pure data, devices see the CPU only through its device interfaces, virtio and block devices never
 * see PCI, the kernel layer and its objects meet at its API. Parses every import in the tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['src', 'devices', 'machine', 'migration'] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import. */
const ALLOWED: Record<Layer, Layer[]> = {
  src: ['src'],
  devices: ['src', 'devices'],
  migration: ['src', 'migration'],
  machine: ['src', 'devices', 'migration', 'machine'],
};
const CORE: Layer[] = ['src', 'devices', 'migration'];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...files(path));
    else if (e.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function layerOf(path: string): Layer | null {
  const top = path.split('/')[0];
  return (LAYERS as readonly string[]).includes(top!) ? (top as Layer) : null;
}

describe('architecture', () => {
  const all = LAYERS.flatMap((l) => files(l));

  it('imports go one way: src <- devices <- machine, migration <- src only', () => {
    const wrong: string[] = [];
    for (const file of all) {
      const from = layerOf(file)!;
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, normalize(join(ROOT, dirname(file), spec)));
        const to = layerOf(target);
        if (to !== null && !ALLOWED[from].includes(to)) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the core uses no Node API and no Node globals', () => {
    const bad: string[] = [];
    for (const file of all.filter((f) => CORE.includes(layerOf(f)!))) {
      for (const spec of imports(file)) {
        if (spec.startsWith('node:') || ['fs', 'path', 'os', 'net', 'child_process', 'crypto', 'url'].includes(spec)) {
          bad.push(`${file} imports ${spec}`);
        }
      }
      const text = readFileSync(join(ROOT, file), 'utf8');
      if (/\bprocess\.(?:env|stdout|stderr|exit|hrtime)|\bBuffer\.(?:from|alloc)|\brequire\(/.test(text)) bad.push(`${file} uses a Node global`);
    }
    expect(bad).toEqual([]);
  });

  /** Every relative import of the files under `dir`, as [file, target] pairs of repository paths. */
  function edges(dir: string): [string, string][] {
    const out: [string, string][] = [];
    for (const file of all.filter((f) => f.startsWith(`${dir}/`))) {
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) out.push([file, relative(ROOT, normalize(join(ROOT, dirname(file), spec)))]);
      }
    }
    return out;
  }

  it('the hardware ABI (src/hw) is pure data: it imports nothing outside src/hw', () => {
    expect(edges('src/hw').filter(([, to]) => !to.startsWith('src/hw/')).map((e) => e.join(' -> '))).toEqual([]);
  });

  it('devices never import CPU state: only the interfaces a device implements for the CPU', () => {
    const bad = edges('devices').filter(([, to]) => to.startsWith('src/cpu/') && to !== 'src/cpu/device-interfaces.ts');
    expect(bad.map((e) => e.join(' -> '))).toEqual([]);
  });

  it('a virtio or block device never imports PCI (the transport is layered on top)', () => {
    const bad = [...edges('devices/virtio'), ...edges('devices/virtio-blk'), ...edges('src/block')].filter(
      ([, to]) => to.startsWith('devices/pci/') || to.startsWith('devices/virtio-pci/'),
    );
    expect(bad.map((e) => e.join(' -> '))).toEqual([]);
  });

  it('the kernel layer knows nothing of the objects in front of it; they reach it through its API only', () => {
    const fromKernel = edges('devices/kernel').filter(([, to]) => to.startsWith('devices/kvm/'));
    const fromObjects = edges('devices/kvm').filter(([, to]) => to.startsWith('devices/kernel/') && to !== 'devices/kernel/kvm-vm.ts');
    expect([...fromKernel, ...fromObjects].map((e) => e.join(' -> '))).toEqual([]);
  });

  it('no guest-visible host time or randomness in the core', () => {
    const bad = all
      .filter((f) => CORE.includes(layerOf(f)!) || f.startsWith('machine/machine') || f.startsWith('machine/pc-'))
      .filter((f) => /\bDate\.now\(|\bMath\.random\(|\bperformance\.now\(|new Date\(\)/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
