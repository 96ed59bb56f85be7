/**
 * Where the interesting instructions of a run are: a straight run with taps on the machine's wiring
 * records the instruction count of every interrupt delivery, IRQ line change, PIT tick (IRQ 0
 * edge), APIC message (IPI, MSI, IOAPIC delivery), EOI and debug trap (#DB), and a pass one instruction at a time
 * finds STI and MOV SS shadows and HLT wake-ups. The taps are test instrumentation on one machine:
 * they observe and change nothing.
 */
import type { Machine } from '../../machine/machine.ts';
import type { KernelIrqchip } from '../../machine/machine-config.ts';
import type { GuestSpec } from './harness.ts';
import { MAX_INSNS, makeMachine } from './harness.ts';

export const EVENT_KINDS = ['delivery', 'line change', 'PIT tick', 'APIC message', 'EOI', 'interrupt shadow', 'HLT wake-up', 'debug trap'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type EventTrace = Map<EventKind, number[]>;

function tap(m: Machine, trace: EventTrace): void {
  const note = (kind: EventKind) => trace.get(kind)!.push(m.retired);
  const board = m.board;
  for (const cpu of board.cpus) {
    const deliver = cpu.deliverExternal.bind(cpu);
    cpu.deliverExternal = (vector: number) => {
      note('delivery');
      deliver(vector);
    };
    const exception = cpu.deliverException.bind(cpu);
    cpu.deliverException = (vector: number, errorCode: number, hasErrorCode: boolean) => {
      if (vector === 1) note('debug trap');
      exception(vector, errorCode, hasErrorCode);
    };
  }
  const isa = board.gsi;
  const setIrq = isa.setIrq.bind(isa);
  isa.setIrq = (pin: number, level: number) => {
    note(pin === 0 && level !== 0 ? 'PIT tick' : 'line change');
    setIrq(pin, level);
  };
  const bus = board.irqchips.apicBus;
  const deliverMessage = bus.deliver.bind(bus);
  bus.deliver = (msg) => {
    note('APIC message');
    deliverMessage(msg);
  };
  for (const lapic of board.lapics) {
    const write = lapic.mmioWrite.bind(lapic);
    lapic.mmioWrite = (offset: number, size: number, value: number) => {
      if ((offset & 0xff0) === 0xb0) note('EOI');
      write(offset, size, value);
    };
  }
}

/** The events of a whole run of `g` under `mode`, each kind in instruction order. */
export function traceEvents(g: GuestSpec, mode: KernelIrqchip): { trace: EventTrace; total: number } {
  const trace: EventTrace = new Map(EVENT_KINDS.map((k) => [k, []]));
  const m = makeMachine(g, mode, []);
  tap(m, trace);
  m.run({ maxInsns: MAX_INSNS });
  const total = m.retired;
  // Shadows and wake-ups are CPU states between instructions: look at every boundary.
  const s = makeMachine(g, mode, []);
  const halted = s.board.cpus.map(() => false);
  for (let k = 1; k <= total; k++) {
    s.run({ maxInsns: k });
    s.board.cpus.forEach((cpu, i) => {
      if (cpu.intShadow) trace.get('interrupt shadow')!.push(k);
      if (halted[i] && !cpu.halted) trace.get('HLT wake-up')!.push(k);
      halted[i] = cpu.halted;
    });
  }
  return { trace, total };
}

/**
 * Instruction counts around the events: for each kind, `perKind` events spread evenly over the run,
 * and every boundary within `radius` of each; sorted, within [1, total).
 */
export function windows(trace: EventTrace, total: number, perKind: number, radius: number): Map<number, EventKind> {
  const points = new Map<number, EventKind>();
  for (const [kind, at] of trace) {
    const unique = [...new Set(at)].filter((k) => k > radius && k < total - radius);
    for (let i = 0; i < perKind && i < unique.length; i++) {
      const e = unique[Math.floor(((i + 0.5) * unique.length) / Math.min(perKind, unique.length))]!;
      for (let k = e - radius; k <= e + radius; k++) if (!points.has(k)) points.set(k, kind);
    }
  }
  return new Map([...points].sort((a, b) => a[0] - b[0]));
}
