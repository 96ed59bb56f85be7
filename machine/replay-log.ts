/**
 * The record/replay log (`-icount shift=N,rr=record|replay,rrfile=FILE`): every nondeterministic
 * event that entered the machine, with the position at which it entered (instructions retired
 * since power-on and virtual time: a boundary of the machine loop, RunLimits.pauseAt), so that a
 * replay stops at the same boundaries and applies the same events, bit for bit.
 *
 * The file is text, one JSON object per line (easy to read, diff and cut):
 *
 *   {"godwit-replay":1,"icount-shift":0,"start":{"insns":0,"ns":0}}
 *   {"insns":51234567,"ns":61234567,"serial":"6c730a"}          bytes COM1 took, in hex
 *   {"insns":70000000,"ns":80000000,"reset":"host-qmp-system-reset"}
 *   {"insns":93000000,"ns":99000000,"end":"quit","status":0}    where and why the recording ended
 *
 * A log is hostile input like any file: parseReplayLog checks every line (size, keys, types,
 * ranges, positions that never go back) and throws a ReplayLogError naming the line. No Node API.
 */
import type { RunPosition } from './machine-api.ts';
import { Murmur3X86_128 } from '../src/util/hash.ts';

export const REPLAY_LOG_VERSION = 1;
/** Longest line accepted (a serial event carries at most a FIFO's worth of bytes). */
export const MAX_REPLAY_LINE = 4096;
/** Largest log file read. */
export const MAX_REPLAY_LOG_BYTES = 256 * 1024 * 1024;
/** Largest number of bytes one serial event carries. */
export const MAX_SERIAL_EVENT_BYTES = 256;

export interface ReplayHeader {
  icountShift: number;
  /** Where the recording started: power-on (0, 0), or the position of the snapshot it restored. */
  start: RunPosition;
}

/** What the end of a recording was: a run result's reason and exit status. */
export interface ReplayEnd {
  reason: string;
  status: number;
}

export type ReplayEvent =
  | { at: RunPosition; kind: 'serial'; bytes: Uint8Array }
  | { at: RunPosition; kind: 'reset' }
  | { at: RunPosition; kind: 'end'; end: ReplayEnd };

export class ReplayLogError extends Error {
  override readonly name = 'ReplayLogError' as const;
}

export function isReplayLogError(e: unknown): e is ReplayLogError {
  return e instanceof Error && e.name === 'ReplayLogError';
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function formatHeader(h: ReplayHeader): string {
  return `${JSON.stringify({ 'godwit-replay': REPLAY_LOG_VERSION, 'icount-shift': h.icountShift, start: { insns: h.start.insns, ns: h.start.ns } })}\n`;
}

export function formatEvent(e: ReplayEvent): string {
  const at = { insns: e.at.insns, ns: e.at.ns };
  switch (e.kind) {
    case 'serial':
      return `${JSON.stringify({ ...at, serial: hex(e.bytes) })}\n`;
    case 'reset':
      return `${JSON.stringify({ ...at, reset: 'host-qmp-system-reset' })}\n`;
    case 'end':
      return `${JSON.stringify({ ...at, end: e.end.reason, status: e.end.status })}\n`;
  }
}

/** Compares two positions: negative when a is earlier. */
export function comparePositions(a: RunPosition, b: RunPosition): number {
  return a.insns - b.insns || a.ns - b.ns;
}

export function formatPosition(p: RunPosition): string {
  return `instruction ${p.insns}, ${p.ns} ns`;
}

const END_REASONS = new Set(['debug-exit', 'max-insns', 'triple-fault', 'halted', 'shutdown', 'quit', 'signal', 'error']);

function fail(line: number, what: string): never {
  throw new ReplayLogError(`line ${line}: ${what}`);
}

function objectOf(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(line, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(line, 'not a JSON object');
  return value as Record<string, unknown>;
}

function count(o: Record<string, unknown>, key: string, line: number): number {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return fail(line, `'${key}' must be an integer 0..2^53`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], line: number): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(line, `unexpected key '${k}'`);
}

function parseHeader(text: string): ReplayHeader {
  const o = objectOf(text, 1);
  if (!Object.hasOwn(o, 'godwit-replay')) fail(1, 'not a godwit replay log (no "godwit-replay" header)');
  if (o['godwit-replay'] !== REPLAY_LOG_VERSION) fail(1, `version ${JSON.stringify(o['godwit-replay'])} is not supported (this godwit reads ${REPLAY_LOG_VERSION})`);
  onlyKeys(o, ['godwit-replay', 'icount-shift', 'start'], 1);
  const icountShift = count(o, 'icount-shift', 1);
  const start = Object.hasOwn(o, 'start') ? o['start'] : undefined;
  if (typeof start !== 'object' || start === null || Array.isArray(start)) return fail(1, "'start' must be {insns, ns}");
  const s = start as Record<string, unknown>;
  onlyKeys(s, ['insns', 'ns'], 1);
  return { icountShift, start: { insns: count(s, 'insns', 1), ns: count(s, 'ns', 1) } };
}

function parseEvent(text: string, line: number): ReplayEvent {
  const o = objectOf(text, line);
  const at = { insns: count(o, 'insns', line), ns: count(o, 'ns', line) };
  if (Object.hasOwn(o, 'serial')) {
    onlyKeys(o, ['insns', 'ns', 'serial'], line);
    const data = o['serial'];
    if (typeof data !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(data) || data.length / 2 > MAX_SERIAL_EVENT_BYTES) {
      return fail(line, `'serial' must be 1..${MAX_SERIAL_EVENT_BYTES} bytes in lower-case hex`);
    }
    const bytes = new Uint8Array(data.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(data.slice(2 * i, 2 * i + 2), 16);
    return { at, kind: 'serial', bytes };
  }
  if (Object.hasOwn(o, 'reset')) {
    onlyKeys(o, ['insns', 'ns', 'reset'], line);
    if (o['reset'] !== 'host-qmp-system-reset') fail(line, "'reset' must be \"host-qmp-system-reset\"");
    return { at, kind: 'reset' };
  }
  if (Object.hasOwn(o, 'end')) {
    onlyKeys(o, ['insns', 'ns', 'end', 'status'], line);
    const reason = o['end'];
    if (typeof reason !== 'string' || !END_REASONS.has(reason)) fail(line, `'end' must be one of ${[...END_REASONS].join(', ')}`);
    const status = count(o, 'status', line);
    if (status > 255 * 2 ** 24) fail(line, "'status' is out of range");
    return { at, kind: 'end', end: { reason, status } };
  }
  return fail(line, 'expected one of the keys serial, reset, end');
}

export interface ParsedReplayLog {
  header: ReplayHeader;
  events: ReplayEvent[];
  /** hashes[i]: the identity of the log up to event i (exclusive); hashes[0] covers the header. */
  hashes: string[];
}

/**
 * The log's identity up to a point, as a snapshot records it: hash64 of its bytes from the start
 * through the last event applied. The recorder and the player compute it line by line.
 */
export class LogDigest {
  private readonly hash = new Murmur3X86_128();
  add(line: string): void {
    for (let i = 0; i < line.length; i++) this.hash.updateByte(line.charCodeAt(i) & 0xff);
  }
  hex(): string {
    return this.hash.hex64();
  }
}

/**
 * Parses a whole log (its bytes, from a file of at most MAX_REPLAY_LOG_BYTES). Events must follow
 * each other in position order, never before the start, and nothing may follow an end event.
 */
export function parseReplayLog(bytes: Uint8Array): ParsedReplayLog {
  if (bytes.length > MAX_REPLAY_LOG_BYTES) throw new ReplayLogError(`the log is ${bytes.length} bytes, more than ${MAX_REPLAY_LOG_BYTES}`);
  const lines: string[] = [];
  let startOfLine = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (i - startOfLine > MAX_REPLAY_LINE) throw new ReplayLogError(`line ${lines.length + 1}: longer than ${MAX_REPLAY_LINE} bytes`);
    lines.push(latin1(bytes, startOfLine, i));
    startOfLine = i + 1;
  }
  if (startOfLine < bytes.length) {
    // A last line without its newline: a recording killed while writing it. Refuse it: what it
    // would have said is unknown.
    throw new ReplayLogError(`line ${lines.length + 1}: incomplete (no newline at the end of the file)`);
  }
  if (lines.length === 0) throw new ReplayLogError('empty file (no header)');
  const header = parseHeader(lines[0]!);
  const digest = new LogDigest();
  digest.add(`${lines[0]!}\n`);
  const events: ReplayEvent[] = [];
  const hashes = [digest.hex()];
  let last = header.start;
  for (let n = 1; n < lines.length; n++) {
    const line = n + 1;
    if (events.length > 0 && events[events.length - 1]!.kind === 'end') fail(line, 'an event after the end');
    const e = parseEvent(lines[n]!, line);
    if (comparePositions(e.at, last) < 0 || e.at.ns < last.ns) fail(line, `position ${formatPosition(e.at)} is before that of the line above (${formatPosition(last)})`);
    last = e.at;
    events.push(e);
    digest.add(`${lines[n]!}\n`);
    hashes.push(digest.hex());
  }
  return { header, events, hashes };
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
