/**
 * Devices plugged by one call: every -device type is an entry of the device table, plugged by
 * PcBoard.plug (ports, object path, reset), and the post-load order follows the priorities objects
 * declare.
 */
import { describe, expect, it } from 'vitest';
import { PcBoard } from '../../machine/pc-board.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import { deviceHelp, deviceTypes, devicesFromStrings } from '../../machine/device-table.ts';
import { formatDeviceSpec, parseDeviceSpec } from '../../machine/device-spec.ts';
import { postLoadOrder } from '../../machine/machine-state.ts';
import { DEBUG_EXIT_PORT } from '../../src/hw/pc-layout.ts';
import { MemoryBackend } from '../../src/block/memory-backend.ts';

const events = { onDebugExit: () => {}, onReset: () => {} };
const host = { serialOut: () => {}, log: () => {} };

function board(overrides = {}) {
  return new PcBoard(defaultMachineConfig({ ramBytes: 4 << 20, ...overrides }), host, events);
}

describe('the device table', () => {
  it('knows each type with the state version its objects carry', () => {
    const table = deviceTypes();
    // Every type on one board: the virtio disk in both shapes (disk0 combined, disk1 split).
    const drive = (id: string) => ({ id, file: id, readOnly: false, snapshot: false, checkIdentity: true, backend: new MemoryBackend(1 << 20) });
    const specs = [
      { driver: 'virtio-blk-pci', id: 'disk0', props: new Map([['drive', 'd0']]) },
      { driver: 'virtio-pci', id: 'disk1', props: new Map<string, string>() },
      { driver: 'virtio-blk', id: null, props: new Map([['drive', 'd1'], ['bus', 'disk1']]) },
    ];
    const b = board({ devices: [...defaultMachineConfig().devices, ...specs], drives: [drive('d0'), drive('d1')] });
    for (const name of table.names()) {
      const entry = table.get(name)!;
      const spec = specs.find((s) => s.driver === name) ?? { driver: name, id: null, props: new Map<string, string>() };
      const object = b.objects.get(entry.factory!.path(spec));
      expect(object?.typeName, name).toBe(name);
      expect(object?.stateVersion, name).toBe(entry.version);
    }
    expect(deviceHelp(table)).toContain('isa-debug-exit');
  });

  it('plugs a device in one call: its ports, its object path, its reset', () => {
    let status = -1;
    const b = new PcBoard(defaultMachineConfig({ ramBytes: 4 << 20 }), host, { onDebugExit: (s) => (status = s), onReset: () => {} });
    b.io.write(DEBUG_EXIT_PORT, 4, 0x1234);
    expect(status).toBe((0x1234 << 1) | 1);
    expect(b.objects.has('/machine/isa-debug-exit')).toBe(true);
    // A device given an id lives under /machine/peripheral.
    const named = board({ devices: devicesFromStrings(['isa-debug-exit,id=exit0', 'pc-testdev'], 'test') });
    expect(named.objects.has('/machine/peripheral/exit0')).toBe(true);
    expect(named.objects.has('/machine/isa-debug-exit')).toBe(false);
    // Without the device, its port reads as unmapped.
    const none = board({ devices: devicesFromStrings(['pc-testdev'], 'test') });
    expect(none.io.isMapped(DEBUG_EXIT_PORT)).toBe(false);
    expect(none.objects.has('/machine/isa-debug-exit')).toBe(false);
  });

  it('writes -device specs back as the command line spells them', () => {
    const spec = parseDeviceSpec('-device', 'isa-debug-exit,id=x,iosize=4');
    expect(formatDeviceSpec(spec)).toBe('isa-debug-exit,id=x,iosize=4');
    expect(devicesFromStrings([formatDeviceSpec(spec)], 'test')).toEqual([spec]);
    expect(() => devicesFromStrings(['e1000'], 'config.devices')).toThrow(/unknown or unsupported device 'e1000'/);
  });
});

describe('post-load order', () => {
  for (const mode of ['on', 'split', 'off'] as KernelIrqchip[]) {
    it(`${mode}: CPUs, local APICs, IOAPIC, PIC, PIT, PCI, then the rest, as the objects declare`, () => {
      const b = board({ smp: 2, kernelIrqchip: mode });
      const order = postLoadOrder(b.objects).map((p) => p.replace(/\[\d+\]/g, '[]'));
      const groups = [
        ['/machine/cpu[]'],
        ['/machine/cpu[]/lapic'],
        ['/machine/ioapic'],
        ['/machine/pic/master', '/machine/pic/slave'],
        mode === 'on' ? ['/machine/pit'] : ['/machine/pcspk', '/machine/pit'],
        ['/machine/pci'],
      ];
      let at = 0;
      for (const group of groups) {
        const size = group[0] === '/machine/cpu[]' || group[0] === '/machine/cpu[]/lapic' ? 2 : group.length;
        expect(new Set(order.slice(at, at + size)), group.join(' ')).toEqual(new Set(group));
        at += size;
      }
      expect(order.slice(at)).toEqual([...order.slice(at)].sort());
      expect(order.slice(at)).toContain('/machine/serial[]');
    });
  }
});
