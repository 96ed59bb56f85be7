/**
 * The virtio block device's entries of the device table, in its two shapes (docs/architecture.md
 * section 6):
 *
 *   -device virtio-blk-pci,drive=ID,id=NAME            combined: one object at /machine/peripheral/NAME
 *   -device virtio-pci,id=NAME -device virtio-blk,drive=ID,bus=NAME
 *                                                      split: the transport at /machine/peripheral/NAME,
 *                                                      the block device at .../NAME/virtio-backend
 *
 * A virtio-blk-pci without id= is named by its drive (/machine/peripheral/<drive id>), so its path
 * never depends on the order devices are created in.
 *
 * The guest sees the same PCI function either way. Properties (QEMU's names): drive=, serial= (the
 * GET_ID string), disable-legacy=on|off (off: a transitional device with the legacy I/O BAR, QEMU's
 * default on the pc machine), vectors= (MSI-X vectors, 2 by default: configuration and the queue;
 * 0 for none), addr= (the PCI slot). The transport's properties go on virtio-pci in the split shape,
 * the block device's on virtio-blk.
 */
import { ConfigError } from '../src/util/errors.ts';
import { VirtioBlk } from '../devices/virtio-blk/virtio-blk.ts';
import { VirtioBlkPci } from '../devices/virtio-blk-pci/virtio-blk-pci.ts';
import { VIRTIO_PCI_MAX_VECTORS, VirtioPci, type VirtioPciOptions } from '../devices/virtio-pci/virtio-pci.ts';
import type { VirtioBlkOptions } from '../devices/virtio-blk/blk-config.ts';
import type { DeviceSpec } from './device-spec.ts';
import type { DeviceType } from './device-table.ts';
import { parseInteger } from './option-syntax.ts';
import type { DeviceContext, Plug } from './plug.ts';

/** The block device's node under its transport (split shape). */
export const VIRTIO_BACKEND_NODE = 'virtio-backend';
/** QEMU's default for virtio-blk-pci: one vector for configuration changes, one for the queue. */
export const DEFAULT_VECTORS = 2;

const TRANSPORT_PROPS = ['disable-legacy', 'vectors', 'addr'];
const BLK_PROPS = ['drive', 'serial'];

function onOff(option: string, key: string, value: string): boolean {
  if (value === 'on' || value === 'true' || value === 'yes') return true;
  if (value === 'off' || value === 'false' || value === 'no') return false;
  throw new ConfigError(`${option}: ${key} must be on or off (got '${value}')`);
}

function checkProps(spec: DeviceSpec, option: string, allowed: readonly string[]): void {
  for (const [key, value] of spec.props) {
    if (!allowed.includes(key)) throw new ConfigError(`${option}: ${spec.driver}: unknown property '${key}' (known: ${allowed.join(', ')})`);
    if (key === 'disable-legacy') onOff(`${option} ${spec.driver}`, key, value);
    else if (key === 'vectors') parseInteger(`${option} ${spec.driver} vectors`, value, 0, VIRTIO_PCI_MAX_VECTORS);
    else if (key === 'addr') parseSlot(`${option} ${spec.driver} addr`, value);
    else if (key === 'serial' && (value.length > 20 || !/^[\x20-\x7e]*$/.test(value))) {
      throw new ConfigError(`${option}: ${spec.driver}: serial must be at most 20 printable ASCII characters`);
    }
  }
  if (allowed.includes('drive') && !spec.props.has('drive')) throw new ConfigError(`${option}: ${spec.driver} needs drive=ID (a -drive ...,id=ID)`);
}

/** `addr=SLOT` or `addr=SLOT.0` (function 0 only). */
function parseSlot(option: string, value: string): number {
  const text = value.endsWith('.0') ? value.slice(0, -2) : value;
  return parseInteger(option, text, 1, 31);
}

function transportOptions(ctx: DeviceContext, spec: DeviceSpec, option: string): VirtioPciOptions {
  const p = spec.props;
  const addr = p.get('addr');
  return {
    legacy: !onOff(option, 'disable-legacy', p.get('disable-legacy') ?? 'off'),
    vectors: p.has('vectors') ? parseInteger(option, p.get('vectors')!, 0, VIRTIO_PCI_MAX_VECTORS) : DEFAULT_VECTORS,
    devfn: ctx.pciDevfn(addr === undefined ? null : parseSlot(option, addr), `${option} ${spec.driver}`),
  };
}

function blkOptions(spec: DeviceSpec): VirtioBlkOptions {
  const serial = spec.props.get('serial');
  return serial === undefined ? {} : { serial };
}

export const virtioBlkPciType: DeviceType = {
  summary: 'virtio block device on PCI, one object (drive=ID, serial=, disable-legacy=, vectors=, addr=)',
  singleton: false,
  check(spec, option) {
    checkProps(spec, option, [...TRANSPORT_PROPS, ...BLK_PROPS]);
  },
  create(ctx, spec, path) {
    const option = `-device ${spec.id ?? spec.driver}`;
    const drive = ctx.drive(spec.props.get('drive')!, option);
    const device = new VirtioBlkPci(ctx.clock, ctx.mem, drive.backend, { ...transportOptions(ctx, spec, option), blk: blkOptions(spec) });
    return { path, object: device, pci: { function: device.fn, devfn: device.transport.devfn }, reset: () => device.reset() };
  },
  // Without id= (QEMU puts such a device in peripheral-anon, by creation order): named by its drive.
  path: (spec) => `/machine/peripheral/${spec.id ?? spec.props.get('drive')}`,
};

export const virtioPciType: DeviceType = {
  summary: 'virtio PCI transport of the split shape (disable-legacy=, vectors=, addr=); its device names it with bus=',
  singleton: false,
  check(spec, option) {
    if (spec.id === null) throw new ConfigError(`${option}: virtio-pci needs id=NAME (its device names it with bus=NAME)`);
    checkProps(spec, option, TRANSPORT_PROPS);
  },
  create(ctx, spec, path, children) {
    const option = `-device ${spec.id}`;
    if (children.length !== 1) {
      throw new ConfigError(`${option}: virtio-pci '${spec.id}' needs exactly one device on it (-device virtio-blk,drive=ID,bus=${spec.id}), has ${children.length}`);
    }
    const child = children[0]!;
    if (child.driver !== 'virtio-blk') throw new ConfigError(`${option}: ${child.driver} cannot sit on virtio-pci`);
    const drive = ctx.drive(child.props.get('drive')!, `-device ${child.driver}`);
    const blk = new VirtioBlk(ctx.clock, drive.backend, blkOptions(child));
    const transport = new VirtioPci(blk, ctx.mem, transportOptions(ctx, spec, option));
    const backend: Plug = { path: `${path}/${VIRTIO_BACKEND_NODE}`, object: blk };
    // The transport's reset resets the device (a status-0 reset of VirtioCommon).
    return { path, object: transport, pci: { function: transport.fn, devfn: transport.devfn }, reset: () => transport.reset(), children: [backend] };
  },
  path: (spec) => `/machine/peripheral/${spec.id}`,
};

export const virtioBlkType: DeviceType = {
  summary: 'virtio block device of the split shape, on a virtio-pci transport (drive=ID, bus=NAME, serial=)',
  singleton: false,
  check(spec, option) {
    if (!spec.props.has('bus')) throw new ConfigError(`${option}: virtio-blk needs bus=NAME (a -device virtio-pci,id=NAME)`);
    const props = new Map(spec.props);
    props.delete('bus');
    checkProps({ ...spec, props }, option, BLK_PROPS);
  },
  create(_ctx, spec) {
    // Built by its transport (virtio-pci's create); the board never builds it alone.
    throw new ConfigError(`-device virtio-blk: bus '${spec.props.get('bus')}' is not a virtio-pci device`);
  },
  bus: (spec) => spec.props.get('bus') ?? null,
  path: (spec) => `/machine/peripheral/${spec.props.get('bus')}/${VIRTIO_BACKEND_NODE}`,
};
