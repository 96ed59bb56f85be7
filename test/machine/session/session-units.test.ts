// The session's pieces without Node: the run driver against a straight Machine.run, C-a escapes,
// QMP framing, the replay log parser and the bounded input queue.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConsoleEscapes } from '../../../machine/console-escape.ts';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { JsonSplitter } from '../../../machine/qmp/json-splitter.ts';
import { parseReplayLog } from '../../../machine/replay-log.ts';
import { RunSession } from '../../../machine/run-session.ts';
import type { SessionHost } from '../../../machine/run-session.ts';
import { INPUT_HIGH_MARK, SerialInput } from '../../../machine/serial-input.ts';

const host: SessionHost = {
  yieldToHost: () => new Promise((r) => setImmediate(r)),
  flush: () => {},
  inputOpen: () => false,
  controlOpen: () => false,
  now: () => performance.now(),
  wait: (ms) => new Promise((r) => setTimeout(r, ms)),
};

function machine(name: string, append: string, out: number[], smp = 1): Machine {
  const data = new Uint8Array(readFileSync(`test/guests/bin/${name}.elf`));
  return new Machine(defaultMachineConfig({ kernel: { name: `${name}.elf`, data }, append, smp, ramBytes: 32 << 20 }), { serialOut: (b) => out.push(b), log: () => {} });
}

describe('RunSession', () => {
  it('slices change nothing the guest sees: the same end, instructions, virtual time, RAM and output as one Machine.run', async () => {
    for (const [name, append, smp] of [['timerslice', '', 1], ['irqbench', 'rounds=20', 2]] as const) {
      const a: number[] = [];
      const straight = machine(name, append, a, smp);
      const r1 = straight.run({});
      const b: number[] = [];
      const sliced = machine(name, append, b, smp);
      // A tiny slice: thousands of boundaries, each with a trip through the event loop.
      const r2 = await new RunSession(sliced, host, { quantum: 5000 }).run();
      expect(r2, name).toEqual(r1);
      expect(sliced.position(), name).toEqual(straight.position());
      expect(sliced.stats(), name).toEqual(straight.stats());
      expect(Buffer.from(b).toString('latin1'), name).toBe(Buffer.from(a).toString('latin1'));
    }
  });
});

describe('C-a escapes', () => {
  it('span reads; C-a C-a sends one C-a; other keys after C-a are dropped; x quits and drops the rest', () => {
    const got: number[] = [];
    const log: string[] = [];
    const e = new ConsoleEscapes({ input: (b) => got.push(...b), quit: () => log.push('quit'), help: () => log.push('help') });
    e.push(Uint8Array.of(0x61, 0x01));
    e.push(Uint8Array.of(0x01, 0x62, 0x01, 0x71, 0x63, 0x01, 0x68, 0x01));
    e.push(Uint8Array.of(0x78, 0x64));
    expect(got).toEqual([0x61, 0x01, 0x62, 0x63]);
    expect(log).toEqual(['help', 'quit']);
  });
});

describe('QMP framing', () => {
  it('values cut anywhere, several per read, strings with braces, scalars; an oversized value is reported once and never kept', () => {
    const s = new JsonSplitter(64, 4);
    expect(s.push('{"execute": "a"}{"exe')).toEqual([{ kind: 'value', text: '{"execute": "a"}' }]);
    const trimmed = (r: ReturnType<JsonSplitter['push']>) => r.map((v) => (v.kind === 'value' ? { kind: v.kind, text: v.text.trim() } : v));
    expect(trimmed(s.push('cute": "}{\\""}\n 42 [1]'))).toEqual([
      { kind: 'value', text: '{"execute": "}{\\""}' },
      { kind: 'value', text: '42' },
      { kind: 'value', text: '[1]' },
    ]);
    const big = `{"s": "${'x'.repeat(1000)}"}`;
    const out = [...s.push(big.slice(0, 500)), ...s.push(big.slice(500)), ...s.push('{"ok": 1}')];
    expect(out).toEqual([{ kind: 'error', desc: 'JSON token size limit exceeded' }, { kind: 'value', text: '{"ok": 1}' }]);
    expect((s as unknown as { buf: string }).buf).toBe('');
    expect(s.push('[[[[[1]]]]] {}')).toEqual([{ kind: 'error', desc: 'JSON nesting depth limit exceeded' }, { kind: 'value', text: '{}' }]);
  });
});

describe('replay log', () => {
  const header = '{"godwit-replay":1,"icount-shift":0,"start":{"insns":0,"ns":0}}\n';
  const enc = (t: string) => new TextEncoder().encode(t);
  it('parses events and refuses what is broken, naming the line', () => {
    const log = parseReplayLog(enc(`${header}{"insns":10,"ns":20,"serial":"0a41"}\n{"insns":10,"ns":30,"reset":"host-qmp-system-reset"}\n{"insns":11,"ns":31,"end":"quit","status":0}\n`));
    expect(log.events.map((e) => e.kind)).toEqual(['serial', 'reset', 'end']);
    expect(log.hashes).toHaveLength(4);
    const bad: [string, string][] = [
      ['', 'empty file (no header)'],
      ['{"godwit-replay":2,"icount-shift":0,"start":{"insns":0,"ns":0}}\n', 'line 1: version 2 is not supported (this godwit reads 1)'],
      [`${header}{"insns":10,"ns":20,"serial":"0a41"}`, 'line 2: incomplete (no newline at the end of the file)'],
      [`${header}{"insns":10,"ns":20}\n`, 'line 2: expected one of the keys serial, reset, end'],
      [`${header}{"insns":10,"ns":20,"serial":"41"}\n{"insns":9,"ns":30,"serial":"41"}\n`, 'line 3: position instruction 9, 30 ns is before that of the line above (instruction 10, 20 ns)'],
      [`${header}{"insns":10,"ns":20,"serial":"41","x":1}\n`, "line 2: unexpected key 'x'"],
      [`${header}{"insns":-1,"ns":20,"serial":"41"}\n`, "line 2: 'insns' must be an integer 0..2^53"],
      [`${header}{"insns":1,"ns":2,"end":"quit","status":0}\n{"insns":1,"ns":2,"serial":"41"}\n`, 'line 3: an event after the end'],
      [`${header}${'x'.repeat(5000)}\n`, 'line 2: longer than 4096 bytes'],
    ];
    for (const [text, message] of bad) expect(() => parseReplayLog(enc(text)), message).toThrow(message);
  });
});

describe('SerialInput', () => {
  it('pauses its source past the high mark and resumes once drained below the low mark', () => {
    const q = new SerialInput();
    const pressure: boolean[] = [];
    q.onPressure = (p) => pressure.push(p);
    q.push(new Uint8Array(INPUT_HIGH_MARK - 1));
    expect(pressure).toEqual([]);
    q.push(new Uint8Array(2));
    expect(pressure).toEqual([true]);
    let taken = 0;
    while (q.pending > 0) taken += q.pump((b) => Math.min(16, b.length))!.length;
    expect(taken).toBe(INPUT_HIGH_MARK + 1);
    expect(pressure).toEqual([true, false]);
    expect(q.pump(() => 16)).toBe(null);
  });
});
