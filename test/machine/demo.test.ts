/**
 * `npm start` (`godwit demo`, issue 12 item 5): the bundled Linux with a virtio-blk disk under a
 * snapshot=on overlay boots with its console shown, is saved mid-boot under kernel-irqchip=on with
 * the combined virtio-blk-pci, and restored under a configuration like it, the other two irqchip
 * settings, the split disk shape (virtio-pci + virtio-blk) and both changed at once; every restored
 * run must match the uninterrupted one and the report must say so, with the filter chains, the
 * snapshot's size and the save and load times. Runs godwit itself (bin/godwit.js), as npm start does.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm start: the Linux demo', () => {
  it('boots Linux with its console shown, restores it mid-boot across irqchip and disk shape, and reports every run matching', { timeout: 300_000 }, () => {
    const r = spawnSync(process.execPath, ['bin/godwit.js', 'demo'], { encoding: 'latin1' });
    // bin/godwit.js rebuilds dist/ first when the sources are newer, and says so.
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('build: '))).toEqual([]);
    const out = r.stdout;
    expect(out).toMatch(/^godwit demo: test\/guests\/linux\/bzImage \+ test\/guests\/linux\/initramfs\.cpio, a 1 MiB virtio-blk disk under a snapshot=on overlay, 128 MiB, 2 CPU\(s\), source kernel-irqchip=on, combined virtio-blk-pci\n/);
    // The guest's console, as it ran.
    expect(out).toContain('--- guest console, uninterrupted run ---\n');
    expect(out).toContain('Run /init as init process');
    expect(out).toMatch(/init: disk: wrote 64 KiB, checksum ([0-9a-f]{8}); read back \1: ok/);
    expect(out).toContain('init: all checks passed');
    expect(out).toMatch(/\nuninterrupted run: \d+ instructions, [\d.]+ ms of virtual time, RAM hash [0-9a-f]{16}, debug-exit \(status 1\)\n/);
    expect(out).toMatch(/\nsnapshot: [\d.]+ MiB \(\d+ bytes of JSON, \d+ of 32768 RAM pages, \d+ KiB of disk overlay\), saved in [\d.]+ ms\n/);
    const row = (label: string, chain: string) => new RegExp(`\\n${label.replace(/[+()]/g, '\\$&')} +${chain.replace(/[+()]/g, '\\$&')} +[\\d.]+ +match\\n`);
    expect(out).toMatch(row('kernel-irqchip=on, combined virtio-blk-pci (same)', 'none'));
    expect(out).toMatch(row('kernel-irqchip=split, combined virtio-blk-pci', 'kvm-ioapic->ioapic, kvm-i8259->i8259 x2, kvm-pit->i8254+pcspk'));
    expect(out).toMatch(row('kernel-irqchip=off, combined virtio-blk-pci', 'kvm-apic->apic x2, kvm-ioapic->ioapic, kvm-i8259->i8259 x2, kvm-pit->i8254+pcspk'));
    expect(out).toMatch(row('kernel-irqchip=on, virtio-pci + virtio-blk', 'virtio-blk-pci->virtio-pci+virtio-blk'));
    expect(out).toMatch(row('kernel-irqchip=off, virtio-pci + virtio-blk', 'kvm-apic->apic x2, kvm-ioapic->ioapic, virtio-blk-pci->virtio-pci+virtio-blk, kvm-i8259->i8259 x2, kvm-pit->i8254+pcspk'));
    expect(out).toContain('\nall 5 restored runs match the uninterrupted one (serial output, instructions, virtual time, RAM, disk contents, exit)\n');
    expect(r.status).toBe(0);
  });
});
