import { describe, expect, it } from 'vitest';
import { BufferedSerialSink, ByteRecorder } from '../../../machine/host/byte-output.ts';

function collector() {
  const chunks: number[][] = [];
  return { chunks, output: { write: (b: Uint8Array) => void chunks.push([...b]), close: () => void chunks.push([-1]) } };
}

describe('BufferedSerialSink', () => {
  it('buffers until full or flushed, then closes', () => {
    const c = collector();
    const sink = new BufferedSerialSink(c.output, false, 4);
    [1, 2, 3].forEach((b) => sink.put(b));
    expect(c.chunks).toEqual([]);
    sink.put(4);
    expect(c.chunks).toEqual([[1, 2, 3, 4]]);
    sink.put(5);
    sink.close();
    expect(c.chunks).toEqual([[1, 2, 3, 4], [5], [-1]]);
  });
  it('flushes each line when asked to', () => {
    const c = collector();
    const sink = new BufferedSerialSink(c.output, true);
    [0x61, 0x0a, 0x62].forEach((b) => sink.put(b));
    expect(c.chunks).toEqual([[0x61, 0x0a]]);
  });
});

describe('ByteRecorder', () => {
  it('keeps every byte', () => {
    const r = new ByteRecorder();
    for (let i = 0; i < 10000; i++) r.put(i & 0xff);
    expect(r.size).toBe(10000);
    expect(r.bytes()[9999]).toBe(9999 & 0xff);
  });
});
