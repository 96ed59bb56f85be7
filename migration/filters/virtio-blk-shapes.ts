/**
 * virtio-blk in two shapes (docs/architecture.md section 6): the combined `virtio-blk-pci` object (one
 * node) and the split `virtio-pci` transport with its `virtio-blk` device at `./virtio-backend` (two
 * nodes). The same state, laid out two ways:
 *
 *   virtio-blk-pci v1                      virtio-pci v1 (.)            virtio-blk v1 (./virtio-backend)
 *   devfn, pci, isr                        devfn, pci, isr
 *   config_vector                          msix_config_vector
 *   queues[n].vector                       msix_queue_vectors[n]
 *   status, features, queue_select,        common{status, features, queue_select,
 *   config_generation, queues[n]{...}        config_generation, queues[n]{...}}
 *   requests{count, heads, deadlines,                                   count, heads, deadlines, broken
 *            broken}
 *
 * Nothing is lost either way, so split -> merge returns the original tree and so does merge -> split.
 * The PCI function's state (configuration space, MSI-X table and pending bits) moves whole.
 */
import type { Filter, FilterContext, FilterNode } from './filter.ts';
import { FieldReader, makeNode } from './fields.ts';
import type { StateNode, StateValue } from '../../src/visit/state-tree.ts';

const COMBINED = { type: 'virtio-blk-pci', version: 1, at: '.' } as const;
const TRANSPORT = { type: 'virtio-pci', version: 1, at: '.' } as const;
const BACKEND = { type: 'virtio-blk', version: 1, at: './virtio-backend' } as const;

/** Most queues a virtio device state may carry here (virtio-blk has one; QEMU allows 1024). */
const MAX_QUEUES = 1024;
/** Slots of the in-flight table: the largest queue virtio-blk offers. */
const MAX_INFLIGHT = 256;

const QUEUE_FIELDS = ['size', 'ready', 'desc', 'driver', 'device', 'last_avail_idx', 'used_idx', 'signalled_used', 'signalled_used_valid'] as const;

interface Queue {
  size: number;
  ready: boolean;
  desc: bigint;
  driver: bigint;
  device: bigint;
  last_avail_idx: number;
  used_idx: number;
  signalled_used: number;
  signalled_used_valid: boolean;
}

function readQueue(q: FieldReader): Queue {
  return {
    size: q.u16('size'),
    ready: q.bool('ready'),
    desc: q.u64('desc'),
    driver: q.u64('driver'),
    device: q.u64('device'),
    last_avail_idx: q.u16('last_avail_idx'),
    used_idx: q.u16('used_idx'),
    signalled_used: q.u16('signalled_used'),
    signalled_used_valid: q.bool('signalled_used_valid'),
  };
}

function queueFields(q: Queue): Record<string, StateValue> {
  const out: Record<string, StateValue> = {};
  for (const k of QUEUE_FIELDS) out[k] = q[k];
  return out;
}

interface Requests {
  count: number;
  heads: number[];
  deadlines: bigint[];
  broken: boolean;
}

function readRequests(r: FieldReader): Requests {
  const slots = r.arrayLength('heads', MAX_INFLIGHT);
  return { count: r.u16('count'), heads: r.u16Array('heads', slots), deadlines: r.u64Array('deadlines', slots), broken: r.bool('broken') };
}

function readFeatures(r: FieldReader): StateNode {
  const f = r.struct('features');
  const node = makeNode({ device_feature_select: f.u32('device_feature_select'), driver_feature_select: f.u32('driver_feature_select'), driver_features: f.u64('driver_features') });
  f.done();
  return node;
}

function split(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const r = new FieldReader(inputs[0]!.fields, ctx.path);
  const devfn = r.u8('devfn');
  const pci = r.group('pci');
  const isr = r.u8('isr');
  const status = r.u8('status');
  const features = readFeatures(r);
  const queueSelect = r.u16('queue_select');
  const configGeneration = r.u8('config_generation');
  const configVector = r.u16('config_vector');
  const n = r.arrayLength('queues', MAX_QUEUES);
  const vectors: number[] = [];
  const queues = r.structArray('queues', n).map((q) => {
    const queue = readQueue(q);
    vectors.push(q.u16('vector'));
    q.done();
    return makeNode(queueFields(queue));
  });
  const req = r.struct('requests');
  const requests = readRequests(req);
  req.done();
  r.done();
  const common = makeNode({ status, features, queue_select: queueSelect, config_generation: configGeneration, queues });
  return [
    { type: 'virtio-pci', version: 1, fields: makeNode({ devfn, pci, isr, msix_config_vector: configVector, msix_queue_vectors: vectors, common }) },
    { type: 'virtio-blk', version: 1, fields: makeNode({ count: requests.count, heads: requests.heads, deadlines: requests.deadlines, broken: requests.broken }) },
  ];
}

function merge(inputs: readonly FilterNode[], ctx: FilterContext): FilterNode[] {
  const t = new FieldReader(inputs[0]!.fields, ctx.path);
  const devfn = t.u8('devfn');
  const pci = t.group('pci');
  const isr = t.u8('isr');
  const configVector = t.u16('msix_config_vector');
  const n = t.arrayLength('msix_queue_vectors', MAX_QUEUES);
  const vectors = t.u16Array('msix_queue_vectors', n);
  const c = t.struct('common');
  const status = c.u8('status');
  const features = readFeatures(c);
  const queueSelect = c.u16('queue_select');
  const configGeneration = c.u8('config_generation');
  const queues = c.structArray('queues', n).map((q, i) => {
    const queue = readQueue(q);
    q.done();
    return makeNode({ ...queueFields(queue), vector: vectors[i]! });
  });
  c.done();
  t.done();
  const b = new FieldReader(inputs[1]!.fields, `${ctx.path}/virtio-backend`);
  const requests = readRequests(b);
  b.done();
  return [
    {
      type: 'virtio-blk-pci',
      version: 1,
      fields: makeNode({
        devfn,
        pci,
        isr,
        status,
        features,
        queue_select: queueSelect,
        config_generation: configGeneration,
        config_vector: configVector,
        queues,
        requests: makeNode({ count: requests.count, heads: requests.heads, deadlines: requests.deadlines, broken: requests.broken }),
      }),
    },
  ];
}

export const virtioBlkPciToSplit: Filter = {
  name: 'virtio-blk-pci->virtio-pci+virtio-blk',
  description: 'combined virtio-blk-pci (one node) to the virtio-pci transport with its virtio-blk at ./virtio-backend',
  consumes: [COMBINED],
  produces: [TRANSPORT, BACKEND],
  inverse: 'virtio-pci+virtio-blk->virtio-blk-pci',
  apply: split,
};

export const virtioSplitToBlkPci: Filter = {
  name: 'virtio-pci+virtio-blk->virtio-blk-pci',
  description: 'the virtio-pci transport with its virtio-blk at ./virtio-backend to the combined virtio-blk-pci',
  consumes: [TRANSPORT, BACKEND],
  produces: [COMBINED],
  inverse: 'virtio-blk-pci->virtio-pci+virtio-blk',
  apply: merge,
};
