/**
 * Recording and replaying the log of machine/replay-log.ts. The recorder appends each event as it
 * enters the machine (one synchronous write per event: a recording killed afterwards keeps it); the
 * player hands the events back at the positions they were recorded at. Both know how far they are,
 * and a snapshot taken during either carries that place (ReplayMark), so that a replay can start
 * from the snapshot. No Node API: the writes go through a ByteOutput.
 */
import type { ByteOutput } from './host/byte-output.ts';
import type { RunPosition } from './machine-api.ts';
import type { JsonObject } from '../migration/snapshot.ts';
import { StateError } from '../src/util/errors.ts';
import type { ParsedReplayLog, ReplayEnd, ReplayEvent, ReplayHeader } from './replay-log.ts';
import { LogDigest, comparePositions, formatEvent, formatHeader, formatPosition } from './replay-log.ts';

/** The key of a snapshot's clock.run under which the place in the log travels. */
export const RUN_REPLAY_KEY = 'replay';

/** Where in a log a run is: events applied so far, and the log's hash up to there. */
export interface ReplayMark {
  events: number;
  log: string;
}

export function markToJson(mark: ReplayMark): JsonObject {
  return { events: mark.events, log: mark.log };
}

/** The snapshot's place in a log (untrusted: StateError naming `where`). */
export function markFromJson(json: unknown, where: string): ReplayMark {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new StateError(where, 'expected {events, log}');
  const o = json as Record<string, unknown>;
  const events = Object.hasOwn(o, 'events') ? o['events'] : undefined;
  const log = Object.hasOwn(o, 'log') ? o['log'] : undefined;
  if (typeof events !== 'number' || !Number.isSafeInteger(events) || events < 0) throw new StateError(`${where}.events`, 'expected an event count');
  if (typeof log !== 'string' || !/^[0-9a-f]{16}$/.test(log)) throw new StateError(`${where}.log`, 'expected 16 hex digits');
  return { events, log };
}

/** A replay that cannot go on: the log does not fit this run. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError' as const;
}

export function isReplayError(e: unknown): e is ReplayError {
  return e instanceof Error && e.name === 'ReplayError';
}

export class ReplayRecorder {
  private readonly out: ByteOutput;
  private readonly digest = new LogDigest();
  private count = 0;
  private ended = false;

  /** Writes the header at once: a recording that cannot be written fails before the run starts. */
  constructor(out: ByteOutput, header: ReplayHeader) {
    this.out = out;
    this.write(formatHeader(header));
  }

  get mark(): ReplayMark {
    return { events: this.count, log: this.digest.hex() };
  }

  record(event: ReplayEvent): void {
    if (this.ended) return;
    this.write(formatEvent(event));
    this.count++;
    if (event.kind === 'end') this.ended = true;
  }

  end(at: RunPosition, end: ReplayEnd): void {
    this.record({ at, kind: 'end', end });
  }

  close(): void {
    this.out.close();
  }

  private write(line: string): void {
    this.digest.add(line);
    this.out.write(new TextEncoder().encode(line));
  }
}

export class ReplayPlayer {
  private readonly log: ParsedReplayLog;
  private index = 0;

  /**
   * A player from the log's start (`mark` null: the run must start where the recording did), or
   * from the place a snapshot recorded (the log must be the one the snapshot was taken against).
   */
  constructor(log: ParsedReplayLog, at: RunPosition, icountShift: number, mark: ReplayMark | null) {
    this.log = log;
    if (log.header.icountShift !== icountShift) {
      throw new ReplayError(`the log was recorded with -icount shift=${log.header.icountShift}, this machine has shift=${icountShift}`);
    }
    if (mark === null) {
      if (comparePositions(at, log.header.start) !== 0) {
        throw new ReplayError(
          `the log starts at ${formatPosition(log.header.start)}, the machine is at ${formatPosition(at)} (a log recorded after -incoming replays from that snapshot, or from one taken during the run)`,
        );
      }
      return;
    }
    if (mark.events >= log.hashes.length || log.hashes[mark.events] !== mark.log) {
      throw new ReplayError(`the snapshot was not taken during this log's run (its place, event ${mark.events}, hash ${mark.log}, is not in the log)`);
    }
    this.index = mark.events;
    const next = this.peek();
    if (next !== null && comparePositions(next.at, at) < 0) {
      throw new ReplayError(`the log's next event is at ${formatPosition(next.at)}, before the snapshot (${formatPosition(at)})`);
    }
  }

  get mark(): ReplayMark {
    return { events: this.index, log: this.log.hashes[this.index]! };
  }

  /** The next event, or null at the end of the log. */
  peek(): ReplayEvent | null {
    return this.log.events[this.index] ?? null;
  }

  /** The next event if it is at `at` (consumed), null if it is later; a ReplayError if the run passed it. */
  takeAt(at: RunPosition): ReplayEvent | null {
    const next = this.peek();
    if (next === null) return null;
    const n = next.at;
    if (n.insns === at.insns && n.ns === at.ns) {
      this.index++;
      return next;
    }
    if (at.insns <= n.insns && at.ns <= n.ns) return null;
    throw new ReplayError(`the run passed the log's event at ${formatPosition(n)} (it is at ${formatPosition(at)}): it diverged from the recording`);
  }
}
