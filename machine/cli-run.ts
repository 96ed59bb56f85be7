/**
 * The CLI's logic, free of Node and of the Machine class so that tests can drive it: parse the
 * command line, read the files, run a machine, print, write --stats, and return the exit status.
 *
 * Exit statuses: the run's (RunResult.exitStatus); 2 for a bad command line or configuration, with
 * one line `godwit: <message>` on stderr; 3 for an internal error (`godwit: internal error: ...`,
 * with the stack only when GODWIT_DEBUG=1).
 */
import { isConfigError } from '../src/util/errors.ts';
import { ConfigError } from '../src/util/errors.ts';
import { USAGE } from './cli-help.ts';
import { parseCommandLine } from './config.ts';
import type { ByteOutput, SerialSink } from './host/byte-output.ts';
import { BufferedSerialSink, ByteRecorder, NULL_OUTPUT } from './host/byte-output.ts';
import type { CliIo } from './host/node-io.ts';
import type { MachineHost, RunnableMachine, RunResult } from './machine-api.ts';
import type { MachineConfig } from './machine-config.ts';
import type { Options } from './options.ts';
import { readMachineConfig } from './read-config.ts';
import { formatStats, runStats } from './stats.ts';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

export interface CliDeps {
  io: CliIo;
  createMachine(config: MachineConfig, host: MachineHost): RunnableMachine;
  /**
   * The kernel `godwit demo` boots: the file to read, and the name the guest sees (a multiboot
   * command line starts with it), which must not depend on where the package is installed.
   */
  demoKernel: { path: string; name: string };
  version: string;
}

/** Open what the run writes to before it starts, so a bad path fails at once, not after the run. */
function openOutputs(options: Options, io: CliIo): { serial: ByteOutput; stats: ByteOutput | null } {
  const open = (path: string, what: string): ByteOutput => {
    try {
      return io.openOutput(path);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new ConfigError(`cannot write ${what} '${path}': ${typeof code === 'string' ? code : String(e)}`);
    }
  };
  const s = options.serial;
  const serial = s.kind === 'stdio' ? io.stdout : s.kind === 'file' ? open(s.path, 'serial output') : NULL_OUTPUT;
  const stats = options.statsPath === null ? null : open(options.statsPath, 'stats');
  return { serial, stats };
}

function refusePlanned(options: Options): void {
  if (options.savePath !== null) throw new ConfigError('--stop-at/--save are not supported yet');
  if (options.incomingPath !== null) throw new ConfigError('-incoming is not supported yet');
}

function describeError(e: unknown, env: CliIo['env']): string {
  const message = e instanceof Error ? e.message : String(e);
  const firstLine = message.split('\n')[0] ?? '';
  const stack = env['GODWIT_DEBUG'] === '1' && e instanceof Error && e.stack !== undefined ? `\n${e.stack}` : '';
  return `godwit: internal error: ${firstLine}${stack}\n`;
}

export function runCli(argv: readonly string[], deps: CliDeps): number {
  const { io } = deps;
  let sink: SerialSink | null = null;
  let statsOutput: ByteOutput | null = null;
  try {
    const options = parseCommandLine(argv);
    if (options.command === 'help') {
      io.stdout.write(new TextEncoder().encode(USAGE));
      return 0;
    }
    if (options.command === 'version') {
      io.stdout.write(new TextEncoder().encode(`godwit ${deps.version}\n`));
      return 0;
    }
    refusePlanned(options);
    const demo = options.command === 'demo';
    const kernelPath = demo ? deps.demoKernel.path : options.kernel;
    if (kernelPath === null) throw new ConfigError('nothing to run: give -kernel PATH (see --help)');
    let config = readMachineConfig(options, io.readFile, kernelPath);
    if (demo && config.kernel !== null) config = { ...config, kernel: { name: deps.demoKernel.name, data: config.kernel.data } };
    const outputs = openOutputs(options, io);
    statsOutput = outputs.stats;
    const serialSink = new BufferedSerialSink(outputs.serial, options.serial.kind === 'stdio' && io.stdoutIsTty);
    sink = serialSink;
    const recorder = options.statsPath === null ? null : new ByteRecorder();
    const host: MachineHost = {
      serialOut: recorder === null ? (b) => serialSink.put(b) : (b) => (recorder.put(b), serialSink.put(b)),
      log: (message) => io.stderr(`godwit: ${message}\n`),
    };
    const machine = deps.createMachine(config, host);
    const limits = options.maxInsns === null ? {} : { maxInsns: options.maxInsns };
    const result: RunResult = machine.run(limits);
    serialSink.close();
    sink = null;
    if (result.reason !== 'debug-exit' && result.message !== '') io.stderr(`godwit: ${result.message}\n`);
    if (outputs.stats !== null) {
      const stats = runStats(machine.stats(), recorder!.bytes(), result);
      outputs.stats.write(new TextEncoder().encode(formatStats(stats)));
      outputs.stats.close();
      statsOutput = null;
    }
    return result.exitStatus;
  } catch (e) {
    try {
      sink?.close();
      statsOutput?.close();
    } catch {
      // The output is gone; the error below is what matters.
    }
    if (isConfigError(e)) {
      io.stderr(`godwit: ${e.message.split('\n')[0]}\n`);
      return EXIT_USAGE;
    }
    io.stderr(describeError(e, io.env));
    return EXIT_INTERNAL;
  }
}
