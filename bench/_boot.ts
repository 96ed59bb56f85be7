import { Machine } from '../machine/machine.ts';
import { guestConfig, LINUX_INIT_LINE } from './godwit/cpu.ts';
const t0 = performance.now();
const bytes: number[] = [];
const m = new Machine(guestConfig('linux', (process.env.IRQ ?? 'on') as 'on', 0), { serialOut: (b) => void bytes.push(b), log() {} });
let k = 0;
for (;;) {
  k += 5_000_000;
  m.run({ maxInsns: k });
  if (Buffer.from(bytes).toString('latin1').includes(LINUX_INIT_LINE)) break;
}
console.log('boot ms', (performance.now() - t0).toFixed(0), 'insns', m.retired);
