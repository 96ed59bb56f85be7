/** Synthetic kernel images for the loader tests: a multiboot ELF, an a.out-kludge image, a bzImage. */

export interface ElfSegment {
  vaddr: number;
  paddr: number;
  data: Uint8Array;
  memSize: number;
  type?: number;
}

export function multibootHeader(flags: number, addrs: number[] = []): Uint8Array {
  const h = new Uint8Array(12 + addrs.length * 4);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x1badb002, true);
  v.setUint32(4, flags, true);
  v.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  addrs.forEach((a, i) => v.setUint32(12 + i * 4, a, true));
  return h;
}

/** An ELF32 i386 executable: header, program headers, then `header` at headerOffset, then segment data. */
export function buildElf(entry: number, segments: ElfSegment[], header: Uint8Array | null, headerOffset = 0x100): Uint8Array {
  const phoff = 52;
  let dataOff = Math.max(headerOffset + (header?.length ?? 0), phoff + segments.length * 32);
  dataOff = Math.ceil(dataOff / 16) * 16;
  const offsets: number[] = [];
  let size = dataOff;
  for (const s of segments) {
    offsets.push(size);
    size += s.data.length;
  }
  const img = new Uint8Array(size);
  const v = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, entry, true);
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, segments.length, true);
  segments.forEach((s, i) => {
    const ph = phoff + i * 32;
    v.setUint32(ph, s.type ?? 1, true);
    v.setUint32(ph + 4, offsets[i]!, true);
    v.setUint32(ph + 8, s.vaddr, true);
    v.setUint32(ph + 12, s.paddr, true);
    v.setUint32(ph + 16, s.data.length, true);
    v.setUint32(ph + 20, s.memSize, true);
    img.set(s.data, offsets[i]!);
  });
  if (header !== null) img.set(header, headerOffset);
  return img;
}

export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

export interface BzOptions {
  version?: number;
  setupSects?: number;
  loadflags?: number;
  initrdAddrMax?: number;
  kernelAlignment?: number;
  relocatable?: boolean;
  cmdlineSize?: number;
  prefAddress?: number;
  initSize?: number;
  pmCode?: Uint8Array;
  /** Length of the header after 0x202 (the jump's displacement byte). */
  headerLength?: number;
}

/** A fake bzImage: boot sector with a setup header, setup sectors, then protected-mode code. */
export function buildBzImage(o: BzOptions = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const pm = o.pmCode ?? filled(3000, 0x90);
  const sects = setupSects === 0 ? 4 : setupSects;
  const img = new Uint8Array((sects + 1) * 512 + pm.length);
  const v = new DataView(img.buffer);
  img[0x1f1] = setupSects;
  v.setUint16(0x1f2, 1, true); // root_flags
  v.setUint32(0x1f4, pm.length >>> 4, true); // syssize
  v.setUint16(0x1fa, 0xffff, true); // vid_mode
  v.setUint16(0x1fe, 0xaa55, true);
  img[0x200] = 0xeb;
  img[0x201] = o.headerLength ?? 0x6a;
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, o.version ?? 0x20f, true);
  img[0x211] = o.loadflags ?? 0x01;
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, o.initrdAddrMax ?? 0x7fffffff, true);
  v.setUint32(0x230, o.kernelAlignment ?? 0x200000, true);
  img[0x234] = (o.relocatable ?? true) ? 1 : 0;
  img[0x235] = 13;
  v.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  v.setUint32(0x258, o.prefAddress ?? 0x1000000, true);
  v.setUint32(0x260, o.initSize ?? 0x400000, true);
  img.set(pm, (sects + 1) * 512);
  return img;
}
