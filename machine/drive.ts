/**
 * `-drive` in QEMU's spelling, as plain data: `file=PATH,format=raw,if=none,id=ID[,readonly=on]
 * [,snapshot=on]`, and `if=virtio` as QEMU's shorthand for a drive plus a combined virtio-blk-pci
 * device. A drive is a host resource (an image file, or bytes in memory for the browser): the options
 * say which and how; the backend that serves it is opened by the front end (machine/host/drives.ts
 * for files) and given to the machine with the configuration (MachineConfig.drives), never taken
 * from a snapshot.
 *
 * Names: a drive without `id=` given with `if=virtio` is `virtio<N>`, N its `index=` or else its
 * position among the `if=virtio` drives of the command line (QEMU's name for it); its device gets the
 * drive's id, so it sits at /machine/peripheral/<drive id> whatever other devices the machine has.
 * `if=none` needs an id (a device names it with drive=ID).
 */
import type { BlockBackend } from '../src/block/block-backend.ts';
import { ConfigError } from '../src/util/errors.ts';
import type { DeviceSpec } from './device-spec.ts';
import { parseInteger, parseKeyValues } from './option-syntax.ts';

export interface DriveSpec {
  readonly id: string;
  readonly file: string;
  /** readonly=on: the guest sees a read-only disk. */
  readonly readOnly: boolean;
  /** snapshot=on: writes go to an overlay saved in snapshots; the file is never written. */
  readonly snapshot: boolean;
  /**
   * check-identity=off: restore a snapshot onto this drive even when its size or content fingerprint
   * differs from the disk the snapshot recorded (machine/disk-identity.ts). On by default.
   */
  readonly checkIdentity: boolean;
}

/** A drive with the backend that serves it (a host resource). */
export interface Drive extends DriveSpec {
  readonly backend: BlockBackend;
}

const ID = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

function onOff(option: string, key: string, value: string): boolean {
  if (value === 'on' || value === 'true' || value === 'yes') return true;
  if (value === 'off' || value === 'false' || value === 'no') return false;
  throw new ConfigError(`${option}: ${key} must be on or off (got '${value}')`);
}

/**
 * Parse one `-drive`; `virtioCount` is how many if=virtio drives came before it. Returns the drive
 * and, for if=virtio, the device it implies.
 */
export function parseDriveSpec(option: string, text: string, virtioCount: number): { drive: DriveSpec; device: DeviceSpec | null } {
  let file: string | null = null;
  let id: string | null = null;
  let iface = 'ide';
  let index: number | null = null;
  let readOnly = false;
  let snapshot = false;
  let checkIdentity = true;
  const seen = new Set<string>();
  for (const [key, value] of parseKeyValues(option, text, null)) {
    if (seen.has(key)) throw new ConfigError(`${option}: ${key}= given twice`);
    seen.add(key);
    if (key === 'file') {
      if (value === '') throw new ConfigError(`${option}: file= is empty`);
      file = value;
    } else if (key === 'format') {
      if (value !== 'raw') throw new ConfigError(`${option}: format=${value} is not supported (only raw images)`);
    } else if (key === 'if') {
      if (value !== 'none' && value !== 'virtio') throw new ConfigError(`${option}: if=${value} is not supported (use if=none with -device, or if=virtio)`);
      iface = value;
    } else if (key === 'id') {
      if (!ID.test(value)) throw new ConfigError(`${option}: id '${value}' must start with a letter and hold only letters, digits, '-', '.' and '_'`);
      id = value;
    } else if (key === 'index') {
      index = parseInteger(`${option} index`, value, 0, 31);
    } else if (key === 'readonly') {
      readOnly = onOff(option, key, value);
    } else if (key === 'snapshot') {
      snapshot = onOff(option, key, value);
    } else if (key === 'check-identity') {
      checkIdentity = onOff(option, key, value);
    } else if (key === 'media') {
      if (value !== 'disk') throw new ConfigError(`${option}: media=${value} is not supported (only disk)`);
    } else {
      throw new ConfigError(`${option}: unknown parameter '${key}'`);
    }
  }
  if (file === null) throw new ConfigError(`${option}: file=PATH is missing`);
  if (iface === 'ide') throw new ConfigError(`${option}: give if=none (with -device ...,drive=ID) or if=virtio; godwit has no IDE`);
  if (iface === 'none') {
    if (id === null) throw new ConfigError(`${option}: if=none needs id=ID (the name -device ...,drive=ID uses)`);
    if (index !== null) throw new ConfigError(`${option}: index= is only for if=virtio`);
    return { drive: { id, file, readOnly, snapshot, checkIdentity }, device: null };
  }
  const name = id ?? `virtio${index ?? virtioCount}`;
  const device: DeviceSpec = { driver: 'virtio-blk-pci', id: name, props: new Map([['drive', name]]) };
  return { drive: { id: name, file, readOnly, snapshot, checkIdentity }, device };
}

/** Add a drive to the list: two drives with one id are an error. */
export function addDriveSpec(list: readonly DriveSpec[], drive: DriveSpec, option: string): DriveSpec[] {
  if (list.some((d) => d.id === drive.id)) throw new ConfigError(`${option}: duplicate drive id '${drive.id}'`);
  return [...list, drive];
}

/**
 * The drive as the command line writes it (the recorded configuration): always if=none, since the
 * device an if=virtio drive implied is recorded among the devices.
 */
export function formatDriveSpec(d: DriveSpec): string {
  const parts = [`file=${d.file.replaceAll(',', ',,')}`, 'format=raw', 'if=none', `id=${d.id}`];
  if (d.readOnly) parts.push('readonly=on');
  if (d.snapshot) parts.push('snapshot=on');
  if (!d.checkIdentity) parts.push('check-identity=off');
  return parts.join(',');
}
