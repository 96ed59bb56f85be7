/**
 * QEMU's socket character devices as -serial and -qmp take them, listening side only:
 *
 *   unix:PATH,server[,nowait]              unix:PATH,server=on[,wait=off]
 *   tcp:[HOST]:PORT,server[,nowait]        tcp:HOST:PORT,server=on[,wait=off]
 *
 * Without `wait=off` (or `nowait`) the run starts only once a client has connected, as in QEMU.
 * godwit does not connect out (QEMU's client mode, without `server`): that is refused.
 */
import { ConfigError } from '../src/util/errors.ts';
import { parseKeyValueItems, splitCommas } from './option-syntax.ts';

export type SocketAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export interface SocketOption {
  address: SocketAddress;
  /** Wait for the first client before the machine starts. */
  wait: boolean;
}

function onOff(option: string, key: string, value: string): boolean {
  if (value === 'on' || value === 'yes' || value === 'true') return true;
  if (value === 'off' || value === 'no' || value === 'false') return false;
  throw new ConfigError(`${option}: ${key} must be on or off (got '${value}')`);
}

function parseAddress(option: string, head: string): SocketAddress {
  if (head.startsWith('unix:')) {
    const path = head.slice(5);
    if (path === '') throw new ConfigError(`${option}: unix: needs a path`);
    return { kind: 'unix', path };
  }
  const rest = head.slice(4);
  const colon = rest.lastIndexOf(':');
  if (colon < 0) throw new ConfigError(`${option}: tcp: needs HOST:PORT (got '${head}')`);
  let host = rest.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = rest.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new ConfigError(`${option}: '${portText}' is not a TCP port (0..65535)`);
  return { kind: 'tcp', host: host === '' ? '0.0.0.0' : host, port };
}

/** True when the option's argument names a socket (`unix:` or `tcp:`). */
export function isSocketOption(arg: string): boolean {
  return arg.startsWith('unix:') || arg.startsWith('tcp:');
}

/** Parses `unix:...` or `tcp:...` with its flags; throws ConfigError naming the option. */
export function parseSocketOption(option: string, arg: string): SocketOption {
  const [head = '', ...flags] = splitCommas(arg);
  const address = parseAddress(option, head);
  let server = false;
  let wait = true;
  const pairs = parseKeyValueItems(
    option,
    flags.map((f) => (f === 'server' ? 'server=on' : f === 'nowait' ? 'wait=off' : f === 'wait' ? 'wait=on' : f === 'nodelay' ? 'nodelay=on' : f)),
    null,
  );
  for (const [key, value] of pairs) {
    if (key === 'server') server = onOff(option, key, value);
    else if (key === 'wait') wait = onOff(option, key, value);
    else if (key === 'nodelay' || key === 'telnet' || key === 'reconnect' || key === 'ipv4' || key === 'ipv6') {
      if (key === 'telnet' && onOff(option, key, value)) throw new ConfigError(`${option}: telnet=on is not supported`);
      if (key === 'reconnect') throw new ConfigError(`${option}: reconnect= is for client mode, which godwit does not have`);
    } else throw new ConfigError(`${option}: unknown parameter '${key}'`);
  }
  if (!server) throw new ConfigError(`${option}: only server mode is supported: add ,server (godwit listens; it does not connect out)`);
  return { address, wait };
}

/** The address as QEMU prints it in "waiting for connection on: disconnected:unix:PATH,server=on". */
export function formatSocketOption(s: SocketOption): string {
  const a = s.address;
  const where = a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host}:${a.port}`;
  return `${where},server=on${s.wait ? '' : ',wait=off'}`;
}
