/** devices/virtio/virtio-common.ts: status, feature negotiation, queue configuration, activation and reset. */
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '../../../src/memory/physical-memory.ts';
import {
  INTERFACE_LEGACY,
  INTERFACE_MODERN,
  QUEUE_DESC,
  QUEUE_DEVICE,
  QUEUE_DRIVER,
  VirtioCommon,
} from '../../../devices/virtio/virtio-common.ts';
import type { VirtioActivation, VirtioDevice } from '../../../devices/virtio/virtio-device.ts';
import {
  F_EVENT_IDX,
  F_VERSION_1,
  featureBit,
  STATUS_ACKNOWLEDGE as ACK,
  STATUS_DEVICE_NEEDS_RESET as NEEDS_RESET,
  STATUS_DRIVER as DRV,
  STATUS_DRIVER_OK as DRIVER_OK,
  STATUS_FEATURES_OK as FEATURES_OK,
} from '../../../devices/virtio/virtio-regs.ts';
import { loadState } from '../../../src/visit/input-visitor.ts';
import { saveState } from '../../../src/visit/output-visitor.ts';
import { diffTrees } from '../../../src/visit/state-tree.ts';
import { RecordingInterrupt } from './virtio-harness.ts';

const OFFER = featureBit(F_VERSION_1) | featureBit(F_EVENT_IDX) | featureBit(3);

class FakeDevice implements VirtioDevice {
  readonly deviceType = 42;
  readonly deviceFeatures = OFFER;
  readonly queueCount = 2;
  readonly configSize = 4;
  activations: VirtioActivation[] = [];
  notified: number[] = [];
  resets = 0;
  queueMaxSize(index: number): number {
    return index === 0 ? 64 : 16;
  }
  readConfig(): number {
    return 0;
  }
  writeConfig(): void {}
  activate(a: VirtioActivation): void {
    this.activations.push(a);
  }
  queueNotify(index: number): void {
    this.notified.push(index);
  }
  reset(): void {
    this.resets++;
  }
}

function setup() {
  const mem = new PhysicalMemory(1 << 20);
  const irq = new RecordingInterrupt();
  const dev = new FakeDevice();
  const c = new VirtioCommon(dev, mem, irq);
  const features = (f: bigint) => {
    c.features.driverFeatureSelect = 0;
    c.writeDriverFeatures(Number(f & 0xffffffffn));
    c.features.driverFeatureSelect = 1;
    c.writeDriverFeatures(Number(f >> 32n));
  };
  const queue = (i: number, size: number, base: number) => {
    c.queueSelect = i;
    c.writeQueueSize(size);
    const q = c.selectedQueue()!;
    q.desc = BigInt(base);
    q.driver = BigInt(base + 0x1000);
    q.device = BigInt(base + 0x2000);
    c.writeQueueEnable(1);
  };
  return { mem, irq, dev, c, features, queue };
}

describe('VirtioCommon', () => {
  it('shows the offer 32 bits at a time and keeps what the driver writes', () => {
    const { c, features } = setup();
    c.features.deviceFeatureSelect = 0;
    expect(c.readDeviceFeatures()).toBe(Number(OFFER & 0xffffffffn));
    c.features.deviceFeatureSelect = 1;
    expect(c.readDeviceFeatures()).toBe(1);
    c.features.deviceFeatureSelect = 2;
    expect(c.readDeviceFeatures()).toBe(0);
    features(OFFER);
    c.features.driverFeatureSelect = 0;
    expect(c.readDriverFeatures()).toBe(Number(OFFER & 0xffffffffn));
    c.features.driverFeatureSelect = 7;
    c.writeDriverFeatures(0xffffffff);
    expect(c.features.driverFeatures).toBe(OFFER);
  });

  it('FEATURES_OK stays clear for features not offered or without VERSION_1, and sticks for a good set', () => {
    const { c, features } = setup();
    for (const bad of [OFFER | featureBit(5), featureBit(F_EVENT_IDX)]) {
      c.writeStatus(0, INTERFACE_MODERN);
      c.writeStatus(ACK | DRV, INTERFACE_MODERN);
      features(bad);
      c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
      expect(c.status).toBe(ACK | DRV);
    }
    c.writeStatus(0, INTERFACE_MODERN);
    features(featureBit(F_VERSION_1) | featureBit(3));
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    expect(c.status).toBe(ACK | DRV | FEATURES_OK);
    // Features are frozen once accepted.
    features(OFFER);
    expect(c.features.driverFeatures).toBe(featureBit(F_VERSION_1) | featureBit(3));
  });

  it('DRIVER_OK activates the device with the queues and the accepted features; notifications reach it only while live', () => {
    const { c, dev, features, queue } = setup();
    c.notify(0);
    features(OFFER);
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    queue(0, 32, 0x10000);
    c.notify(0);
    expect(dev.notified).toEqual([]);
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    expect(dev.activations.length).toBe(1);
    const a = dev.activations[0]!;
    expect(a.features).toBe(OFFER);
    expect(a.queues.map((q) => [q.size, q.ready])).toEqual([
      [32, true],
      [16, false],
    ]);
    c.notify(0);
    c.notify(1);
    c.notify(2);
    c.notify(-1);
    expect(dev.notified).toEqual([0, 1]);
    // Writing DRIVER_OK again does not activate twice; queue configuration is frozen.
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    expect(dev.activations.length).toBe(1);
    c.queueSelect = 1;
    c.writeQueueSize(8);
    c.writeQueueEnable(1);
    expect([c.queues[1]!.size, c.queues[1]!.ready]).toEqual([16, false]);
  });

  it('a modern DRIVER_OK without FEATURES_OK, or with a broken queue layout, sets DEVICE_NEEDS_RESET once', () => {
    const { c, dev, irq, features, queue } = setup();
    features(OFFER);
    c.writeStatus(ACK | DRV | DRIVER_OK, INTERFACE_MODERN);
    expect(c.status).toBe(ACK | DRV | DRIVER_OK | NEEDS_RESET);
    expect(irq.count('config')).toBe(1);
    expect(dev.activations.length).toBe(0);
    c.notify(0);
    expect(dev.notified).toEqual([]);
    // The driver cannot clear it; a reset does.
    c.writeStatus(ACK, INTERFACE_MODERN);
    expect(c.status & NEEDS_RESET).toBe(NEEDS_RESET);
    c.writeStatus(0, INTERFACE_MODERN);
    expect(c.status).toBe(0);
    features(OFFER);
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    queue(0, 32, (1 << 20) - 0x1000); // the used ring would lie past the end of RAM
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    expect(c.status & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(c.lastError).toMatch(/queue 0/);
    expect(dev.activations.length).toBe(0);
    expect(irq.count('config')).toBe(2);
  });

  it('the device asks for a reset through its activation: one configuration interrupt', () => {
    const { c, dev, irq, features, queue } = setup();
    features(OFFER);
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    queue(0, 64, 0x10000);
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    dev.activations[0]!.needsReset('bad ring');
    dev.activations[0]!.needsReset('worse ring');
    expect(c.status & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(irq.count('config')).toBe(1);
    expect(c.live).toBe(false);
  });

  it('legacy: 32 feature bits, no FEATURES_OK, activation at DRIVER_OK', () => {
    const { c, dev } = setup();
    expect(c.readLegacyDeviceFeatures()).toBe(Number(OFFER & 0xffffffffn));
    c.writeStatus(ACK | DRV, INTERFACE_LEGACY);
    c.writeLegacyDriverFeatures(Number(featureBit(F_EVENT_IDX)));
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_LEGACY);
    expect(c.status).toBe(ACK | DRV);
    // Even a set the modern interface would accept: there is no FEATURES_OK on the legacy one.
    const saved = c.features.driverFeatures;
    c.features.driverFeatures = OFFER;
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_LEGACY);
    expect(c.status).toBe(ACK | DRV);
    c.features.driverFeatures = saved;
    c.queueSelect = 0;
    c.writeLegacyQueuePfn(0x20);
    expect(c.readLegacyQueuePfn()).toBe(0x20);
    c.writeStatus(ACK | DRV | DRIVER_OK, INTERFACE_LEGACY);
    expect(dev.activations.length).toBe(1);
    expect(dev.activations[0]!.features).toBe(featureBit(F_EVENT_IDX));
    expect(c.live).toBe(true);
    c.writeLegacyDriverFeatures(0);
    expect(c.features.driverFeatures).toBe(featureBit(F_EVENT_IDX));
    c.writeLegacyQueuePfn(0x30);
    expect(c.readLegacyQueuePfn()).toBe(0x20);
  });

  it('ring addresses are written as 32-bit halves and frozen once the queue is enabled', () => {
    const { c } = setup();
    c.queueSelect = 1;
    c.writeQueueAddress(QUEUE_DESC, false, 0x12345000);
    c.writeQueueAddress(QUEUE_DESC, true, 0xabcdef01);
    c.writeQueueAddress(QUEUE_DRIVER, false, 0x2000);
    c.writeQueueAddress(QUEUE_DEVICE, true, 1);
    c.writeQueueAddress(3, false, 7);
    expect([c.queues[1]!.desc, c.queues[1]!.driver, c.queues[1]!.device]).toEqual([0xabcdef0112345000n, 0x2000n, 1n << 32n]);
    expect([c.readQueueAddress(QUEUE_DESC, true), c.readQueueAddress(QUEUE_DESC, false), c.readQueueAddress(3, false)]).toEqual([
      0xabcdef01, 0x12345000, 0,
    ]);
    c.writeQueueEnable(1);
    c.writeQueueAddress(QUEUE_DESC, false, 0);
    expect(c.queues[1]!.desc).toBe(0xabcdef0112345000n);
    c.queueSelect = 9;
    c.writeQueueAddress(QUEUE_DESC, false, 0);
    expect(c.readQueueAddress(QUEUE_DESC, false)).toBe(0);
  });

  it('status 0 resets the device, the queues and the negotiation', () => {
    const { c, dev, features, queue } = setup();
    features(OFFER);
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    queue(0, 32, 0x10000);
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    c.queues[0]!.lastAvailIdx = 5;
    c.writeStatus(0, INTERFACE_MODERN);
    expect(dev.resets).toBe(1);
    expect(c.status).toBe(0);
    expect(c.features.driverFeatures).toBe(0n);
    expect(c.queues.map((q) => [q.size, q.ready, q.lastAvailIdx, q.desc])).toEqual([
      [64, false, 0, 0n],
      [16, false, 0, 0n],
    ]);
  });

  it('save -> load -> save, and post-load reconnects a live device without touching memory or interrupts', () => {
    const { c, features, queue, irq } = setup();
    features(OFFER);
    c.writeStatus(ACK | DRV | FEATURES_OK, INTERFACE_MODERN);
    queue(0, 32, 0x10000);
    c.writeStatus(ACK | DRV | FEATURES_OK | DRIVER_OK, INTERFACE_MODERN);
    c.queues[0]!.usedIdx = 77;
    c.queueSelect = 1;
    const a = saveState(c, '/v');
    const dev2 = new FakeDevice();
    const irq2 = new RecordingInterrupt();
    const mem2 = new PhysicalMemory(1 << 20);
    const c2 = new VirtioCommon(dev2, mem2, irq2);
    loadState(c2, a, '/v');
    c2.postLoad();
    expect(diffTrees(a, saveState(c2, '/v'))).toEqual([]);
    expect(dev2.activations.length).toBe(1);
    expect(dev2.activations[0]!.features).toBe(OFFER);
    expect(dev2.activations[0]!.queues[0]!.usedIdx).toBe(77);
    expect(irq2.events).toEqual([]);
    expect(mem2.u8.every((b) => b === 0)).toBe(true);
    expect(irq.count('config')).toBe(0);
  });
});
