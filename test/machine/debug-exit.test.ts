/**
 * isa-debug-exit as the machine wires it (QEMU's iobase=0xf4,iosize=4): an OUT of any width to
 * 0xF4 ends the run with (v << 1) | 1 of the whole value; a dword OUT that runs past 0xF7 is split
 * by the bus and ends the run at its first part, as QEMU does.
 */
import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine/machine.ts';
import { defaultMachineConfig } from '../../machine/machine-config.ts';
import { buildElf, multibootHeader } from './loaders/images.ts';

/** A multiboot ELF at 1 MiB running `code` and then HLT with IF=0. */
function kernel(code: number[]): Uint8Array {
  const data = Uint8Array.from([...code, 0xf4]);
  return buildElf(0x100000, [{ vaddr: 0x100000, paddr: 0x100000, data, memSize: data.length }], multibootHeader(0));
}

function run(code: number[]) {
  const config = defaultMachineConfig({ kernel: { name: 'exit.elf', data: kernel(code) } });
  return new Machine(config, { serialOut: () => {}, log: () => {} }).run({ maxInsns: 1000 });
}

const movEax = (v: number) => [0xb8, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

describe('isa-debug-exit in the machine', () => {
  it('takes the whole value of a byte, word or dword OUT to 0xF4', () => {
    expect(run([...movEax(0x2a), 0xe6, 0xf4]).exitStatus).toBe(0x55); // out 0xf4, al
    expect(run([...movEax(0x1234), 0x66, 0xe7, 0xf4]).exitStatus).toBe(0x2469); // out 0xf4, ax
    const dword = run([...movEax(0x0000002a), 0xe7, 0xf4]); // out 0xf4, eax
    expect(dword.reason).toBe('debug-exit');
    expect(dword.exitStatus).toBe(0x55);
    expect(dword.message).toBe('guest wrote 42 to isa-debug-exit');
    expect(run([...movEax(0x80000001), 0xe7, 0xf4]).exitStatus).toBe(0x100000003);
    // OUT DX, EAX the same.
    expect(run([...movEax(0x00010203), 0xba, 0xf4, 0, 0, 0, 0xef]).exitStatus).toBe(0x20407);
  });

  it('ends the run at the first part of a dword OUT running past 0xF7', () => {
    // 0xF5..0xF8: the bus splits it into bytes; 0xF5 gets 0x2a first.
    expect(run([...movEax(0x0403022a), 0xe7, 0xf5]).exitStatus).toBe(0x55);
  });
});
