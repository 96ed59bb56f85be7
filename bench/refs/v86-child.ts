/**
 * v86 (the npm package) driven in a child process of the benchmark, one job per process so that each
 * measurement starts from a fresh heap, as godwit's CLI does. BIOS: Debian's SeaBIOS
 * (bios-256k.bin). Usage: node v86-child.mjs JOB_JSON, with V86_DIR naming the package's directory.
 * Serial output goes to stdout line by line (the boot figure times those lines from the parent);
 * a job's result is one last line `RESULT {json}`.
 *
 *   {"job":"mips","kernel":PATH,"rounds":N,"jit":BOOL}   the guest's run from its entry to its exit:
 *     v86's multiboot loader starts the kernel when its option ROM reads port 0xF4 and the guest
 *     ends by writing port 0xF4 (isa-debug-exit), so both are hooked and timed; v86 runs nothing
 *     else in between. Result {ms, serial}.
 *   {"job":"linux","bzimage":P,"initrd":P,"cmdline":S,"jit":BOOL}   boots; the parent watches stdout.
 *   {"job":"snapshot","kernel":P,"cmdline":S,"ramMiB":N,"runs":N,"dir":D,"warmUp":B}   memfill until
 *     ready, then per run (after a warm-up run unless warmUp is false): save_state + write (temporary file, fsync, rename, fsync of the directory), and
 *     read + restore_state into a fresh emulator built beforehand with the same options. Result
 *     {saveMs[], saveStateMs[], loadMs[], restoreStateMs[], bytes, beaconAfterRestore}.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface V86Like {
  add_listener(event: string, f: (arg: unknown) => void): void;
  save_state(): Promise<ArrayBuffer>;
  restore_state(state: ArrayBuffer): Promise<void>;
  run(): Promise<void> | void;
  stop(): Promise<void> | void;
  v86: { cpu: { io: { ports: Array<{ read32: () => number; write8: (v: number) => void; write16: (v: number) => void; write32: (v: number) => void }> } } };
}
type V86Ctor = new (options: Record<string, unknown>) => V86Like;

const BIOS = '/usr/share/seabios/bios-256k.bin';
const DEBUG_EXIT_PORT = 0xf4;

function arrayBuffer(file: string): ArrayBuffer {
  const b = fs.readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

function print(line: string): void {
  fs.writeSync(1, `${line}\n`);
}

async function load(): Promise<V86Ctor> {
  const dir = process.env['V86_DIR'];
  if (dir === undefined) throw new Error('V86_DIR is not set');
  const mod = (await import(pathToFileURL(join(dir, 'build/libv86.mjs')).href)) as { V86: V86Ctor };
  return mod.V86;
}

function baseOptions(jit: boolean, ramMiB: number): Record<string, unknown> {
  return {
    wasm_path: join(process.env['V86_DIR']!, 'build/v86.wasm'),
    bios: { buffer: arrayBuffer(BIOS) },
    memory_size: ramMiB << 20,
    disable_jit: !jit,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    autostart: false,
  };
}

function create(V86: V86Ctor, options: Record<string, unknown>): Promise<V86Like> {
  return new Promise((resolve) => {
    const e = new V86(options);
    e.add_listener('emulator-loaded', () => resolve(e));
  });
}

/** Calls onLine for each complete serial line; also echoes it on stdout when `echo`. */
function serialLines(e: V86Like, onLine: (line: string) => void, echo: boolean): void {
  let line = '';
  e.add_listener('serial0-output-byte', (b) => {
    const c = String.fromCharCode(b as number);
    if (c !== '\n') {
      line += c;
      return;
    }
    const l = line.replace(/\r$/, '');
    line = '';
    if (echo) print(l);
    onLine(l);
  });
}

async function mips(V86: V86Ctor, job: { kernel: string; rounds: number; jit: boolean }): Promise<unknown> {
  const e = await create(V86, { ...baseOptions(job.jit, 128), multiboot: { buffer: arrayBuffer(job.kernel) }, cmdline: `rounds=${job.rounds}` });
  const port = e.v86.cpu.io.ports[DEBUG_EXIT_PORT]!;
  let start = 0;
  let serial = '';
  serialLines(e, (l) => (serial += `${l}\n`), false);
  return new Promise((resolve) => {
    const read32 = port.read32;
    port.read32 = function (this: unknown) {
      start = performance.now();
      return read32.call(this);
    };
    const exit = (): void => {
      const ms = performance.now() - start;
      void e.stop();
      resolve({ ms, serial });
      throw 'HALT';
    };
    port.write8 = exit;
    port.write16 = exit;
    port.write32 = exit;
    void e.run();
  });
}

async function linux(V86: V86Ctor, job: { bzimage: string; initrd: string; cmdline: string; jit: boolean }): Promise<unknown> {
  const e = await create(V86, {
    ...baseOptions(job.jit, 128),
    bzimage: { buffer: arrayBuffer(job.bzimage) },
    initrd: { buffer: arrayBuffer(job.initrd) },
    cmdline: job.cmdline,
  });
  serialLines(e, () => {}, true);
  void e.run();
  return new Promise(() => {}); // the parent kills us once it saw its line
}

function writeSynced(dir: string, name: string, data: Uint8Array): void {
  const temp = join(dir, `.${name}.tmp`);
  const fd = fs.openSync(temp, 'w');
  try {
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, Math.min(1 << 30, data.length - done));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, join(dir, name));
  const dfd = fs.openSync(dir, 'r');
  fs.fsyncSync(dfd);
  fs.closeSync(dfd);
}

async function snapshot(V86: V86Ctor, job: { kernel: string; cmdline: string; ramMiB: number; runs: number; dir: string; warmUp?: boolean }): Promise<unknown> {
  const options = { ...baseOptions(true, job.ramMiB), multiboot: { buffer: arrayBuffer(job.kernel) }, cmdline: job.cmdline };
  const e = await create(V86, options);
  await new Promise<void>((resolve) => {
    serialLines(e, (l) => l === 'memfill: ready' && resolve(), false);
    void e.run();
  });
  await e.stop();
  const name = `v86-${job.ramMiB}.state`;
  const file = join(job.dir, name);
  const r = { saveMs: [] as number[], saveStateMs: [] as number[], loadMs: [] as number[], restoreStateMs: [] as number[], bytes: 0, beaconAfterRestore: false };
  let last: V86Like | null = null;
  for (let run = job.warmUp === false ? 1 : 0; run <= job.runs; run++) {
    const t0 = performance.now();
    const state = await e.save_state();
    const t1 = performance.now();
    writeSynced(job.dir, name, new Uint8Array(state));
    const t2 = performance.now();
    r.bytes = state.byteLength;
    const fresh = await create(V86, options);
    const t3 = performance.now();
    const bytes = fs.readFileSync(file);
    const t4 = performance.now();
    await fresh.restore_state(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
    const t5 = performance.now();
    if (run > 0) {
      r.saveStateMs.push(t1 - t0);
      r.saveMs.push(t2 - t0);
      r.restoreStateMs.push(t5 - t4);
      r.loadMs.push(t5 - t3);
    }
    if (last !== null) await last.stop();
    last = fresh;
  }
  // The restored guest runs on: its beacon line shows on the serial port.
  r.beaconAfterRestore = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 20_000);
    serialLines(last!, (l) => l === '.' && (clearTimeout(timer), resolve(true)), false);
    void last!.run();
  });
  fs.rmSync(file, { force: true });
  return r;
}

async function main(): Promise<void> {
  // v86's multiboot test exit throws the string "HALT" out of its port handler.
  process.on('uncaughtException', (x: unknown) => {
    if (x !== 'HALT') {
      console.error(`v86-child: ${x instanceof Error ? x.stack : String(x)}`);
      process.exit(1);
    }
  });
  // The parent writes the job; its fields are checked by use (a wrong job fails in v86 or fs).
  const job = JSON.parse(process.argv[2] ?? '{}') as { job: string } & Record<string, unknown>;
  const V86 = await load();
  let result: unknown;
  if (job.job === 'mips') result = await mips(V86, job as unknown as Parameters<typeof mips>[1]);
  else if (job.job === 'linux') result = await linux(V86, job as unknown as Parameters<typeof linux>[1]);
  else if (job.job === 'snapshot') result = await snapshot(V86, job as unknown as Parameters<typeof snapshot>[1]);
  else throw new Error(`unknown job ${job.job}`);
  print(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(`v86-child: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
