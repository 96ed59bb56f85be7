/**
 * Between a control word and the count that follows it, channel 0's armed transition must follow
 * from the saved state, in both PIT flavours: a snapshot taken in that window restores exactly.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../../src/bus/io-bus.ts';
import { IrqLine } from '../../../src/irq.ts';
import { I8254 } from '../../../devices/pit/i8254.ts';
import { KvmPit } from '../../../devices/kernel/kvm-pit.ts';
import { KvmPitObject } from '../../../devices/kvm/kvm-pit-object.ts';
import { RecordingSink, roundTrip, TestClock } from '../helpers.ts';
import { pitApi } from '../kernel/kvm-api.ts';

function rig(kind: 'i8254' | 'kvm-pit', startNs: number) {
  const tc = new TestClock();
  tc.counter.n = startNs;
  const sink = new RecordingSink(() => tc.now());
  const irq = new IrqLine(sink, 0);
  const bus = new IoBus();
  if (kind === 'i8254') {
    const pit = new I8254(tc.clock, irq);
    bus.register(0x40, 4, pit);
    pit.reset();
    return { tc, sink, bus, obj: pit, postLoad: () => pit.postLoad() };
  }
  const pit = new KvmPit(tc.clock, irq);
  bus.register(0x40, 4, pit);
  pit.reset();
  const obj = new KvmPitObject(pitApi(pit));
  return { tc, sink, bus, obj, postLoad: () => obj.postLoad() };
}

describe('PIT control word without a count, then a snapshot', () => {
  for (const kind of ['i8254', 'kvm-pit'] as const) {
    it(`${kind}: the restored PIT raises IRQ0 at the same times`, () => {
      const a = rig(kind, 0);
      a.bus.write(0x43, 1, 0x34); // channel 0, lsb/msb, mode 2
      a.bus.write(0x40, 1, 0x9c);
      a.bus.write(0x40, 1, 0x2e);
      a.tc.stepTo(5_300_000);
      a.bus.write(0x43, 1, 0x36); // mode 3, count not written yet
      const b = rig(kind, 5_300_000);
      roundTrip(a.obj, b.obj, '/machine/pit');
      b.postLoad();
      // The interrupt controller's loaded state records the line level the source saw.
      b.sink.setIrq(0, a.sink.level(0));
      a.tc.stepTo(40_000_000);
      b.tc.stepTo(40_000_000);
      const rises = (s: RecordingSink) => s.rises(0).filter((t) => t > 5_300_000);
      expect(rises(b.sink)).toEqual(rises(a.sink));
      expect(rises(a.sink).length).toBeGreaterThan(0);
    });
  }
});
