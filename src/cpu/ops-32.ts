/**
 * The hottest opcodes specialised for a 32-bit operand size (the generic handlers in ops-core.ts,
 * ops-group.ts and ops-0f.ts serve every size through `bits` parameters and width switches). The
 * run loop picks OPS[0x100 | op] when the operand size is 32 bits, so these never check c.op32.
 *
 * Each handler must behave exactly as the generic one it replaces: same order of fetches, reads,
 * writes and flag updates, so that faults leave the same state. V8 shares the optimised code of
 * closures made by one factory, so a factory's parameters (the ALU operation) stay variables in
 * that code; the operand width, written out here, is what folds away.
 */
import type { Cpu } from './cpu.ts';
import type { Op } from './ops-core.ts';
import { ALU_CMP } from './cpu-alu.ts';
import { CS, EAX, EBP, EXC_UD, SS } from './constants.ts';

/** Near transfer to a 32-bit offset: #GP(0) beyond the CS limit. */
function near32(c: Cpu, target: number): void {
  if (target > c.segLimit[CS]!) c.gp(0);
  c.eip = target;
}

// ---- ALU: op Ev,Gv / op Gv,Ev / op EAX,imm32 (opcode bits 5:3 select the operation) ----

function aluEvGv(op: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const src = c.r32[(modrm >> 3) & 7]!;
    if (modrm >= 0xc0) {
      const rm = modrm & 7;
      const r = c.alu32(op, c.r32[rm]!, src);
      if (op !== ALU_CMP) c.r32[rm] = r;
      return;
    }
    c.decodeEA(modrm);
    // ADC/SBB read CF and set flags before the write: make sure the write cannot fault first.
    if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, 4);
    const r = c.alu32(op, c.read32(c.eaSeg, c.eaOff), src);
    if (op !== ALU_CMP) c.write32(c.eaSeg, c.eaOff, r);
  };
}

function aluGvEv(op: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const reg = (modrm >> 3) & 7;
    const v = modrm >= 0xc0 ? c.r32[modrm & 7]! : (c.decodeEA(modrm), c.read32(c.eaSeg, c.eaOff));
    const r = c.alu32(op, c.r32[reg]!, v);
    if (op !== ALU_CMP) c.r32[reg] = r;
  };
}

function aluEaxImm(op: number): Op {
  return (c) => {
    const imm = c.fetch32();
    const r = c.alu32(op, c.r32[EAX]!, imm);
    if (op !== ALU_CMP) c.r32[EAX] = r;
  };
}

/** Group 1 (81, 83): op Ev, imm32 or sign-extended imm8; the immediate follows the displacement. */
function group1(imm8: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    if (modrm >= 0xc0) {
      const rm = modrm & 7;
      const imm = imm8 ? (c.fetch8() << 24) >> 24 : c.fetch32();
      const r = c.alu32(op, c.r32[rm]!, imm);
      if (op !== ALU_CMP) c.r32[rm] = r;
      return;
    }
    c.decodeEA(modrm);
    const imm = imm8 ? (c.fetch8() << 24) >> 24 : c.fetch32();
    // ADC/SBB read CF and set flags before the write: make sure the write cannot fault first.
    if (op === 2 || op === 3) c.probeWrite(c.eaSeg, c.eaOff, 4);
    const r = c.alu32(op, c.read32(c.eaSeg, c.eaOff), imm);
    if (op !== ALU_CMP) c.write32(c.eaSeg, c.eaOff, r);
  };
}

/** Group 2 (C1, D1, D3): shifts and rotates of Ev; countKind 0 = 1, 1 = CL, 2 = imm8. */
function group2(countKind: number): Op {
  return (c) => {
    const modrm = c.fetch8();
    const op = (modrm >> 3) & 7;
    c.decodeRM(modrm);
    let count: number;
    if (countKind === 0) count = 1;
    else if (countKind === 1) count = c.r8[4]! & 31;
    else count = c.fetch8() & 31;
    const a = c.readRM32();
    if (count === 0) return;
    // RCL/RCR read CF and set flags before the write: make sure the write cannot fault first.
    if ((op === 2 || op === 3) && c.eaReg < 0) c.probeWrite(c.eaSeg, c.eaOff, 4);
    c.writeRM32(c.shift32(op, a, count));
  };
}

/** Group 5 (FF): INC DEC CALL CALLF JMP JMPF PUSH of Ev. */
function group5(c: Cpu): void {
  const modrm = c.fetch8();
  const op = (modrm >> 3) & 7;
  if ((op === 3 || op === 5) && modrm >= 0xc0) c.fault(EXC_UD, 0, false);
  if (op === 7) c.fault(EXC_UD, 0, false);
  c.decodeRM(modrm);
  switch (op) {
    case 0:
      c.writeRM32(c.inc32(c.readRM32()));
      return;
    case 1:
      c.writeRM32(c.dec32(c.readRM32()));
      return;
    case 2: {
      const target = c.readRM32() >>> 0;
      if (target > c.segLimit[CS]!) c.gp(0);
      c.push32(c.eip);
      c.eip = target;
      return;
    }
    case 4:
      near32(c, c.readRM32() >>> 0);
      return;
    case 6:
      c.push32(c.readRM32());
      return;
    default: {
      // CALLF / JMPF m16:32
      const off = c.read32(c.eaSeg, c.eaOff) >>> 0;
      const sel = c.read16(c.eaSeg, (c.eaOff + 4) >>> 0);
      if (op === 3) c.farCall(sel, off);
      else c.farJump(sel, off);
    }
  }
}

function imulImm(imm8: boolean): Op {
  return (c) => {
    const modrm = c.fetch8();
    c.decodeRM(modrm);
    const a = c.readRM32();
    const imm = imm8 ? (c.fetch8() << 24) >> 24 : c.fetch32();
    c.r32[(modrm >> 3) & 7] = c.imul2(a, imm, 32);
  };
}

/** [index, handler] pairs for OPS: index is 0x100 | opcode. */
export const OPS_SIZED: [number, Op][] = [];

function add(op: number, fn: Op): void {
  OPS_SIZED.push([0x100 | op, fn]);
}

for (let op = 0; op < 8; op++) {
  add((op << 3) | 1, aluEvGv(op));
  add((op << 3) | 3, aluGvEv(op));
  add((op << 3) | 5, aluEaxImm(op));
}

for (let r = 0; r < 8; r++) {
  add(0x40 + r, (c) => {
    c.r32[r] = c.inc32(c.r32[r]!);
  });
  add(0x48 + r, (c) => {
    c.r32[r] = c.dec32(c.r32[r]!);
  });
  add(0x50 + r, (c) => c.push32(c.r32[r]!));
  add(0x58 + r, (c) => {
    const v = c.pop32();
    c.r32[r] = v;
  });
  add(0xb8 + r, (c) => {
    c.r32[r] = c.fetch32();
  });
}

add(0x68, (c) => c.push32(c.fetch32()));
add(0x6a, (c) => c.push32((c.fetch8() << 24) >> 24));
add(0x69, imulImm(false));
add(0x6b, imulImm(true));

for (let cc = 0; cc < 16; cc++) {
  add(0x70 + cc, (c) => {
    const rel = (c.fetch8() << 24) >> 24;
    if (c.cond(cc)) near32(c, (c.eip + rel) >>> 0);
  });
}

add(0x81, group1(false));
add(0x83, group1(true));
add(0x85, (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.setLogicFlags(c.readRM32() & c.r32[(modrm >> 3) & 7]!, 32);
});
add(0x87, (c) => {
  const modrm = c.fetch8();
  const reg = (modrm >> 3) & 7;
  c.decodeRM(modrm);
  const a = c.readRM32();
  c.writeRM32(c.r32[reg]!);
  c.r32[reg] = a;
});
add(0x89, (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) {
    c.r32[modrm & 7] = c.r32[(modrm >> 3) & 7]!;
    return;
  }
  c.decodeEA(modrm);
  c.write32(c.eaSeg, c.eaOff, c.r32[(modrm >> 3) & 7]!);
});
add(0x8b, (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) {
    c.r32[(modrm >> 3) & 7] = c.r32[modrm & 7]!;
    return;
  }
  c.decodeEA(modrm);
  c.r32[(modrm >> 3) & 7] = c.read32(c.eaSeg, c.eaOff);
});
add(0x8d, (c) => {
  const modrm = c.fetch8();
  if (modrm >= 0xc0) c.fault(EXC_UD, 0, false);
  c.decodeEA(modrm);
  c.r32[(modrm >> 3) & 7] = c.eaOff;
});
add(0xc1, group2(2));
add(0xd1, group2(0));
add(0xd3, group2(1));
add(0xc3, (c) => {
  // RET: the target is checked before ESP moves.
  const sp = c.sp;
  const ip = c.read32(SS, sp) >>> 0;
  near32(c, ip);
  c.setSp(c.spAdd(sp, 4));
});
add(0xc7, (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.writeRM32(c.fetch32());
});
add(0xc9, (c) => {
  // LEAVE
  const bp = c.ssBig ? c.r32[EBP]! >>> 0 : c.r16[EBP << 1]!;
  const v = c.read32(SS, bp);
  c.setSp(c.spAdd(bp, 4));
  c.r32[EBP] = v;
});
add(0xe8, (c) => {
  const rel = c.fetch32();
  const ret = c.eip;
  const target = (ret + rel) >>> 0;
  if (target > c.segLimit[CS]!) c.gp(0);
  c.push32(ret);
  c.eip = target;
});
add(0xe9, (c) => {
  const rel = c.fetch32();
  near32(c, (c.eip + rel) >>> 0);
});
add(0xeb, (c) => {
  const rel = (c.fetch8() << 24) >> 24;
  near32(c, (c.eip + rel) >>> 0);
});
add(0xff, group5);

// ---- Two-byte opcodes (0F xx), for OPS2 in ops-0f.ts ----

export const OPS2_SIZED: [number, Op][] = [];

function add2(op: number, fn: Op): void {
  OPS2_SIZED.push([0x100 | op, fn]);
}

for (let cc = 0; cc < 16; cc++) {
  add2(0x80 + cc, (c) => {
    const rel = c.fetch32();
    if (c.cond(cc)) near32(c, (c.eip + rel) >>> 0);
  });
}
add2(0xaf, (c) => {
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  const reg = (modrm >> 3) & 7;
  c.r32[reg] = c.imul2(c.r32[reg]!, c.readRM32(), 32);
});
add2(0xb6, (c) => {
  // MOVZX r32, r/m8
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.r32[(modrm >> 3) & 7] = c.readRM8();
});
add2(0xb7, (c) => {
  // MOVZX r32, r/m16
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.r32[(modrm >> 3) & 7] = c.readRM(16);
});
add2(0xbe, (c) => {
  // MOVSX r32, r/m8
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.r32[(modrm >> 3) & 7] = (c.readRM8() << 24) >> 24;
});
add2(0xbf, (c) => {
  // MOVSX r32, r/m16
  const modrm = c.fetch8();
  c.decodeRM(modrm);
  c.r32[(modrm >> 3) & 7] = (c.readRM(16) << 16) >> 16;
});
