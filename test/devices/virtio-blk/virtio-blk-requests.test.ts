/** virtio-blk request semantics against a memory disk (devices/virtio-blk/blk-request.ts). */
import { describe, expect, it } from 'vitest';
import { BlockIoError } from '../../../src/block/block-backend.ts';
import { MemoryBackend } from '../../../src/block/memory-backend.ts';
import {
  BLK_CFG_BLK_SIZE,
  BLK_CFG_CAPACITY,
  BLK_CFG_DISCARD_SECTOR_ALIGNMENT,
  BLK_CFG_MAX_DISCARD_SECTORS,
  BLK_CFG_MAX_DISCARD_SEG,
  BLK_CFG_MAX_WRITE_ZEROES_SECTORS,
  BLK_CFG_MAX_WRITE_ZEROES_SEG,
  BLK_CFG_NUM_QUEUES,
  BLK_CFG_SEG_MAX,
  BLK_CFG_WRITE_ZEROES_MAY_UNMAP,
  BLK_DWZ_F_UNMAP,
  BLK_F_BLK_SIZE,
  BLK_F_DISCARD,
  BLK_F_FLUSH,
  BLK_F_RO,
  BLK_F_SEG_MAX,
  BLK_F_WRITE_ZEROES,
  BLK_S_IOERR,
  BLK_S_OK,
  BLK_S_UNSUPP,
  BLK_T_BARRIER,
  BLK_T_DISCARD,
  BLK_T_FLUSH,
  BLK_T_GET_ID,
  BLK_T_IN,
  BLK_T_OUT,
  BLK_T_WRITE_ZEROES,
} from '../../../devices/virtio-blk/virtio-blk-regs.ts';
import { F_EVENT_IDX, F_INDIRECT_DESC, F_VERSION_1, featureBit, STATUS_DEVICE_NEEDS_RESET } from '../../../devices/virtio/virtio-regs.ts';
import { firstDifference } from '../../block/bytes.ts';
import { BlkRig, DISK_SECTORS, diskByte, diskImage, STATUS_UNSET } from './blk-harness.ts';

function disk(r: BlkRig): Uint8Array {
  return (r.backend as MemoryBackend).bytes;
}

describe('virtio-blk configuration', () => {
  it('offers its features and shows QEMU 7.2 values in its configuration space', () => {
    const r = new BlkRig();
    const f = r.blk.deviceFeatures;
    for (const bit of [F_VERSION_1, F_INDIRECT_DESC, F_EVENT_IDX, BLK_F_SEG_MAX, BLK_F_BLK_SIZE, BLK_F_FLUSH, BLK_F_DISCARD, BLK_F_WRITE_ZEROES]) {
      expect(f & featureBit(bit), `bit ${bit}`).not.toBe(0n);
    }
    expect(f & featureBit(BLK_F_RO)).toBe(0n);
    expect(new BlkRig({ readOnly: true }).blk.deviceFeatures & featureBit(BLK_F_RO)).not.toBe(0n);
    const c = (off: number, size: number) => r.blk.readConfig(off, size);
    expect([c(BLK_CFG_CAPACITY, 4), c(BLK_CFG_CAPACITY + 4, 4)]).toEqual([DISK_SECTORS, 0]);
    expect(c(BLK_CFG_SEG_MAX, 4)).toBe(254);
    expect(c(BLK_CFG_BLK_SIZE, 4)).toBe(512);
    expect(c(BLK_CFG_NUM_QUEUES, 2)).toBe(1);
    expect(c(BLK_CFG_MAX_DISCARD_SECTORS, 4)).toBe(0x3fffff);
    expect(c(BLK_CFG_MAX_DISCARD_SEG, 4)).toBe(1);
    expect(c(BLK_CFG_DISCARD_SECTOR_ALIGNMENT, 4)).toBe(1);
    expect(c(BLK_CFG_MAX_WRITE_ZEROES_SECTORS, 4)).toBe(0x3fffff);
    expect(c(BLK_CFG_MAX_WRITE_ZEROES_SEG, 4)).toBe(1);
    expect(c(BLK_CFG_WRITE_ZEROES_MAY_UNMAP, 1)).toBe(1);
    expect(c(BLK_CFG_BLK_SIZE + 1, 2)).toBe(2); // byte access anywhere, little-endian
    expect([c(r.blk.configSize, 1), c(r.blk.configSize - 2, 4), c(-1, 1), c(0, 3)]).toEqual([0xff, 0xffffffff, 0xff, 0xff]);
    r.blk.writeConfig(BLK_CFG_CAPACITY, 4, 0);
    expect(c(BLK_CFG_CAPACITY, 4)).toBe(DISK_SECTORS);
  });

  it('refuses bad options with one line', () => {
    const disk = new MemoryBackend(512);
    for (const options of [{ serial: 'x'.repeat(21) }, { serial: 'caf\u00e9' }, { queueSize: 100 }, { queueSize: 512 }, { maxDiscardSeg: 0 }]) {
      expect(() => new BlkRig({ backend: disk, options }), JSON.stringify(options)).toThrow(/virtio-blk/);
    }
  });
});

describe('virtio-blk requests', () => {
  it('IN reads whole sectors into scattered buffers; the used length counts every writable byte', () => {
    const r = new BlkRig();
    const q = r.request(BLK_T_IN, 3, { writable: [512, 1024] });
    r.submit(q);
    r.runAll();
    expect(r.status(q)).toBe(BLK_S_OK);
    const got = new Uint8Array([...r.bytes(q.data[0]!, 512), ...r.bytes(q.data[1]!, 1024)]);
    expect(firstDifference(got, diskImage().subarray(3 * 512, 6 * 512))).toBe(-1);
    expect(r.d.takeUsed()).toEqual([[q.head, 1537]]);
  });

  it('IN with the status byte in the same buffer as the data', () => {
    const r = new BlkRig();
    // The last sector: a device that read one byte too many would fail.
    const h = r.header(BLK_T_IN, DISK_SECTORS - 1);
    const buf = r.d.buffer(514, 0xee);
    const head = r.d.chain([
      { addr: h, len: 16 },
      { addr: buf, len: 513, write: true },
    ]);
    r.submit({ head, status: buf + 512, data: [buf] });
    r.runAll();
    expect(r.mem.read8(buf + 512)).toBe(BLK_S_OK);
    expect(r.mem.read8(buf + 513)).toBe(0xee);
    expect(firstDifference(r.bytes(buf, 512), diskImage().subarray((DISK_SECTORS - 1) * 512))).toBe(-1);
    expect(r.d.takeUsed()).toEqual([[head, 513]]);
  });

  it('OUT writes the readable bytes after the header, whatever the framing', () => {
    const r = new BlkRig();
    // Header split over two descriptors, the second also carrying the first data bytes.
    const h = r.header(BLK_T_OUT, 10);
    const mixed = r.d.buffer(8 + 100, 0x11);
    r.mem.writeBytes(mixed, r.bytes(h + 8, 8));
    const rest = r.d.buffer(412, 0x22);
    const status = r.statusByte();
    const head = r.d.chain([
      { addr: h, len: 8 },
      { addr: mixed, len: 108 },
      { addr: rest, len: 412 },
      { addr: status, len: 1, write: true },
    ]);
    r.submit({ head, status, data: [] });
    r.runAll();
    expect(r.mem.read8(status)).toBe(BLK_S_OK);
    const want = new Uint8Array(512);
    want.fill(0x11, 0, 100);
    want.fill(0x22, 100);
    expect(firstDifference(disk(r).subarray(5120, 5632), want)).toBe(-1);
    expect(disk(r)[5119]).toBe(diskByte(5119));
    expect(disk(r)[5632]).toBe(diskByte(5632));
    expect(r.d.takeUsed()).toEqual([[head, 1]]);
  });

  it('IN and OUT fail with IOERR for partial sectors, ranges past the end, huge sectors and read-only disks', () => {
    const r = new BlkRig();
    const reqs = [
      r.request(BLK_T_IN, 0, { writable: [511] }),
      r.request(BLK_T_IN, DISK_SECTORS - 1, { writable: [1024] }),
      r.request(BLK_T_IN, 2n ** 63n, { writable: [512] }),
      r.request(BLK_T_IN, 2n ** 64n - 1n, { writable: [512] }),
      r.request(BLK_T_OUT, DISK_SECTORS, { readable: [512] }),
      r.request(BLK_T_OUT, 0, { readable: [100] }),
    ];
    r.submit(...reqs);
    r.runAll();
    expect(reqs.map((q) => r.status(q))).toEqual(reqs.map(() => BLK_S_IOERR));
    // Failed reads leave the buffers alone.
    expect(r.bytes(reqs[1]!.data[0]!, 1024).every((b) => b === 0xcc)).toBe(true);
    expect(firstDifference(disk(r), diskImage())).toBe(-1);
    // Reading the last sector and zero bytes at the end are fine.
    const ok = [r.request(BLK_T_IN, DISK_SECTORS - 1, { writable: [512] }), r.request(BLK_T_IN, DISK_SECTORS, {})];
    r.submit(...ok);
    r.runAll();
    expect(ok.map((q) => r.status(q))).toEqual([BLK_S_OK, BLK_S_OK]);

    const ro = new BlkRig({ readOnly: true });
    const w = ro.request(BLK_T_OUT, 0, { readable: [512], fill: 0x5a });
    const rd = ro.request(BLK_T_IN, 0, { writable: [512] });
    ro.submit(w, rd);
    ro.runAll();
    expect([ro.status(w), ro.status(rd)]).toEqual([BLK_S_IOERR, BLK_S_OK]);
    expect(firstDifference(disk(ro), diskImage())).toBe(-1);
  });

  it('the device checks ranges and read-only itself, before the backend sees the request', () => {
    // A backend that checks nothing and records every call.
    const calls: string[] = [];
    const lax = (readOnly: boolean) => ({
      size: DISK_SECTORS * 512,
      readOnly,
      read: (o: number, b: Uint8Array) => void calls.push(`read ${o}+${b.length}`),
      write: (o: number, b: Uint8Array) => void calls.push(`write ${o}+${b.length}`),
      flush: () => void calls.push('flush'),
      discard: (o: number, n: number) => void calls.push(`discard ${o}+${n}`),
      writeZeroes: (o: number, n: number) => void calls.push(`zero ${o}+${n}`),
    });
    const r = new BlkRig({ backend: lax(false) });
    const bad = [
      r.request(BLK_T_IN, DISK_SECTORS - 1, { writable: [1024] }),
      r.request(BLK_T_OUT, DISK_SECTORS, { readable: [512] }),
      r.dwz(BLK_T_WRITE_ZEROES, [{ sector: DISK_SECTORS - 1, count: 2 }]),
    ];
    r.submit(...bad);
    r.runAll();
    expect(bad.map((q) => r.status(q))).toEqual([BLK_S_IOERR, BLK_S_IOERR, BLK_S_IOERR]);
    const ro = new BlkRig({ backend: lax(true) });
    const writes = [
      ro.request(BLK_T_OUT, 0, { readable: [512] }),
      ro.dwz(BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1 }]),
      ro.dwz(BLK_T_DISCARD, [{ sector: 0, count: 1 }]),
    ];
    ro.submit(...writes);
    ro.runAll();
    expect(writes.map((q) => ro.status(q))).toEqual([BLK_S_IOERR, BLK_S_IOERR, BLK_S_OK]);
    expect(calls).toEqual([]);
  });

  it('FLUSH flushes the backend (on a read-only disk too)', () => {
    for (const readOnly of [false, true]) {
      const r = new BlkRig({ readOnly });
      const f = r.request(BLK_T_FLUSH, 0);
      r.submit(f);
      r.runAll();
      expect(r.status(f)).toBe(BLK_S_OK);
      expect((r.backend as MemoryBackend).flushes).toBe(1);
    }
  });

  it('GET_ID writes the serial NUL-padded to 20 bytes, or as much as fits', () => {
    const r = new BlkRig();
    const full = r.request(BLK_T_GET_ID, 0, { writable: [32] });
    const short = r.request(BLK_T_GET_ID, 0, { writable: [8] });
    r.submit(full, short);
    r.runAll();
    expect([r.status(full), r.status(short)]).toEqual([BLK_S_OK, BLK_S_OK]);
    const serial = [...'GODWIT-SERIAL-01'].map((c) => c.charCodeAt(0));
    expect([...r.bytes(full.data[0]!, 32)]).toEqual([...serial, 0, 0, 0, 0, ...new Array(12).fill(0xcc)]);
    expect([...r.bytes(short.data[0]!, 8)]).toEqual(serial.slice(0, 8));
    const twenty = new BlkRig({ options: { serial: 'ABCDEFGHIJKLMNOPQRST' } });
    const g = twenty.request(BLK_T_GET_ID, 0, { writable: [21] });
    twenty.submit(g);
    twenty.runAll();
    expect(String.fromCharCode(...twenty.bytes(g.data[0]!, 21))).toBe('ABCDEFGHIJKLMNOPQRST\u00cc');
  });

  it('WRITE_ZEROES zeros its range (UNMAP allowed); DISCARD keeps the data', () => {
    const r = new BlkRig();
    const z = r.dwz(BLK_T_WRITE_ZEROES, [{ sector: 4, count: 3, flags: BLK_DWZ_F_UNMAP }]);
    const d = r.dwz(BLK_T_DISCARD, [{ sector: 20, count: 10 }]);
    r.submit(z, d);
    r.runAll();
    expect([r.status(z), r.status(d)]).toEqual([BLK_S_OK, BLK_S_OK]);
    const want = diskImage();
    want.fill(0, 4 * 512, 7 * 512);
    expect(firstDifference(disk(r), want)).toBe(-1);
  });

  it('DISCARD and WRITE_ZEROES: their errors, and nothing done unless every segment is good', () => {
    const r = new BlkRig({ options: { maxDiscardSectors: 8, maxWriteZeroesSectors: 8, maxWriteZeroesSeg: 2 } });
    const cases: [number, { sector: number; count: number; flags?: number }[], number][] = [
      [BLK_T_DISCARD, [{ sector: 0, count: 1, flags: BLK_DWZ_F_UNMAP }], BLK_S_UNSUPP],
      [BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1, flags: 2 }], BLK_S_UNSUPP],
      [BLK_T_DISCARD, [{ sector: 0, count: 9 }], BLK_S_IOERR],
      [BLK_T_WRITE_ZEROES, [{ sector: DISK_SECTORS - 1, count: 2 }], BLK_S_IOERR],
      [BLK_T_WRITE_ZEROES, [{ sector: 2 ** 52, count: 1 }], BLK_S_IOERR],
      [BLK_T_DISCARD, [{ sector: 0, count: 1 }, { sector: 8, count: 1 }], BLK_S_UNSUPP],
      [BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1 }, { sector: 1, count: 1 }, { sector: 2, count: 1 }], BLK_S_UNSUPP],
      [BLK_T_WRITE_ZEROES, [{ sector: 0, count: 2 }, { sector: DISK_SECTORS, count: 1 }], BLK_S_IOERR],
    ];
    const reqs = cases.map(([type, list]) => r.dwz(type, list));
    r.submit(...reqs);
    r.runAll();
    expect(reqs.map((q) => r.status(q))).toEqual(cases.map(([, , s]) => s));
    expect(firstDifference(disk(r), diskImage())).toBe(-1);
    // Two good segments are both applied.
    const two = r.dwz(BLK_T_WRITE_ZEROES, [{ sector: 1, count: 1 }, { sector: 5, count: 2 }]);
    // A segment area that is not a multiple of 16 bytes.
    const odd = r.request(BLK_T_WRITE_ZEROES, 0, { readable: [20] });
    const none = r.request(BLK_T_DISCARD, 0, {});
    r.submit(two, odd, none);
    r.runAll();
    expect([r.status(two), r.status(odd), r.status(none)]).toEqual([BLK_S_OK, BLK_S_IOERR, BLK_S_IOERR]);
    const want = diskImage();
    want.fill(0, 512, 1024);
    want.fill(0, 5 * 512, 7 * 512);
    expect(firstDifference(disk(r), want)).toBe(-1);
  });

  it('DISCARD and WRITE_ZEROES are UNSUPP unless negotiated; on a read-only disk WRITE_ZEROES is IOERR, DISCARD OK and ignored', () => {
    const r = new BlkRig({ features: featureBit(F_EVENT_IDX) });
    const reqs = [r.dwz(BLK_T_DISCARD, [{ sector: 0, count: 1 }]), r.dwz(BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1 }])];
    r.submit(...reqs);
    r.runAll();
    expect(reqs.map((q) => r.status(q))).toEqual([BLK_S_UNSUPP, BLK_S_UNSUPP]);
    const ro = new BlkRig({ readOnly: true });
    const rq = [
      ro.dwz(BLK_T_DISCARD, [{ sector: 0, count: 1 }]),
      ro.dwz(BLK_T_WRITE_ZEROES, [{ sector: 0, count: 1 }]),
      ro.dwz(BLK_T_DISCARD, [{ sector: DISK_SECTORS, count: 1 }]),
      ro.dwz(BLK_T_DISCARD, [{ sector: 0, count: 1, flags: BLK_DWZ_F_UNMAP }]),
    ];
    ro.submit(...rq);
    ro.runAll();
    expect(rq.map((q) => ro.status(q))).toEqual([BLK_S_OK, BLK_S_IOERR, BLK_S_IOERR, BLK_S_UNSUPP]);
    expect(firstDifference(disk(ro), diskImage())).toBe(-1);
  });

  it('unknown types are UNSUPP; the legacy barrier bit is ignored', () => {
    const r = new BlkRig();
    const reqs = [2, 3, 5, 7, 9, 12, 0x7fffffff, 0xffffffff].map((t) => r.request(t, 0, { writable: [512] }));
    const barrier = r.request(BLK_T_IN | BLK_T_BARRIER, 1, { writable: [512] });
    r.submit(...reqs, barrier);
    r.runAll();
    expect(reqs.map((q) => r.status(q))).toEqual(reqs.map(() => BLK_S_UNSUPP));
    expect(r.status(barrier)).toBe(BLK_S_OK);
    expect(r.bytes(barrier.data[0]!, 1)[0]).toBe(diskByte(512));
  });

  it('a host I/O error is IOERR', () => {
    const failing = new MemoryBackend(diskImage());
    failing.read = () => {
      throw new BlockIoError('EIO');
    };
    const r = new BlkRig({ backend: failing });
    const q = r.request(BLK_T_IN, 0, { writable: [512] });
    r.submit(q);
    r.runAll();
    expect(r.status(q)).toBe(BLK_S_IOERR);
  });

  it('requests in indirect tables', () => {
    const r = new BlkRig();
    const w = r.request(BLK_T_OUT, 2, { readable: [256, 256], fill: 0x77, indirect: true });
    const q = r.request(BLK_T_IN, 2, { writable: [512], indirect: true });
    r.submit(w);
    r.runAll();
    r.submit(q);
    r.runAll();
    expect([r.status(w), r.status(q)]).toEqual([BLK_S_OK, BLK_S_OK]);
    expect(r.bytes(q.data[0]!, 512).every((b) => b === 0x77)).toBe(true);
  });

  it('chains that cannot carry a request set DEVICE_NEEDS_RESET and write nothing', () => {
    for (const build of [
      (r: BlkRig) => r.d.chain([{ addr: r.header(BLK_T_IN, 0), len: 15 }, { addr: r.statusByte(), len: 1, write: true }]),
      (r: BlkRig) => r.d.chain([{ addr: r.header(BLK_T_IN, 0), len: 16 }]),
      (r: BlkRig) => r.d.indirectChain([{ addr: r.header(BLK_T_IN, 0), len: 16 }, { addr: r.statusByte(), len: 1, write: true }]),
    ]) {
      const r = new BlkRig({ features: featureBit(F_EVENT_IDX) });
      const head = build(r);
      r.d.publish(head);
      const before = r.mem.u8.slice();
      r.d.notify();
      r.runAll();
      expect(r.d.status & STATUS_DEVICE_NEEDS_RESET).toBe(STATUS_DEVICE_NEEDS_RESET);
      expect(r.d.irq.count('config')).toBe(1);
      expect(r.d.usedIdx()).toBe(0);
      // Only avail_event (EVENT_IDX) may have changed.
      const after = r.mem.u8;
      const changed: number[] = [];
      for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed.push(i);
      expect(changed.every((a) => a >= 0x19000 + 4 + 8 * r.d.size)).toBe(true);
    }
  });

  it('status bytes start unset in the harness (sanity check of the sentinel)', () => {
    const r = new BlkRig();
    const q = r.request(BLK_T_IN, 0, { writable: [512] });
    expect(r.status(q)).toBe(STATUS_UNSET);
  });
});
