import { it, expect } from 'vitest';
import { Machine } from '../../../machine/machine.ts';
import { defaultMachineConfig } from '../../../machine/machine-config.ts';
import { RunSession } from '../../../machine/run-session.ts';
import { SerialInput } from '../../../machine/serial-input.ts';
import { readFileSync } from 'node:fs';
it('proto', async () => {
  const out: number[] = [];
  const config = defaultMachineConfig({ kernel: { name: 'console.elf', data: new Uint8Array(readFileSync('test/guests/bin/console.elf')) } });
  const m = new Machine(config, { serialOut: (b) => out.push(b), log: (s) => console.log(s) });
  const input = new SerialInput();
  let open = true;
  const s = new RunSession(m, { yieldToHost: () => new Promise((r) => setImmediate(r)), flush: () => {}, inputOpen: () => open, controlOpen: () => false }, { input });
  setTimeout(() => { input.push(new TextEncoder().encode('echo hello world\radd 2 40\rstats\rsleep 5\rexit 3\r')); s.wake(); }, 50);
  const r = await s.run();
  console.log(r, m.position(), Buffer.from(out).toString('latin1'));
});
