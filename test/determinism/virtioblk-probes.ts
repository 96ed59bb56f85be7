/**
 * What state the virtioblk guest's disk is in, for choosing snapshot points: the transport of the
 * disk in either shape, and the stages its requests are in (made available but not taken, in flight,
 * signalled with the ISR set, completed but not signalled).
 */
import type { Machine } from '../../machine/machine.ts';
import type { VirtioBlkPci } from '../../devices/virtio-blk-pci/virtio-blk-pci.ts';
import type { VirtioPci } from '../../devices/virtio-pci/virtio-pci.ts';

export const DISK_PATH = '/machine/peripheral/disk0';

/** The disk's virtio-pci transport, in either shape. */
export function transportOf(m: Machine): VirtioPci {
  const o = m.board.objects.get(DISK_PATH)!;
  return o.typeName === 'virtio-blk-pci' ? (o as VirtioBlkPci).transport : (o as VirtioPci);
}

/** What stage the disk's requests are in, as the saved state and guest memory show it. */
export function stages(m: Machine): string[] {
  const t = transportOf(m);
  const q = t.common.queues[0]!;
  const out: string[] = [];
  if (q.ready && t.common.live) {
    const availIdx = m.board.mem.read16(Number(q.driver) + 2);
    if (availIdx !== q.lastAvailIdx) out.push('available');
    if (q.signalledUsedValid && q.usedIdx !== q.signalledUsed) out.push('completed-unsignalled');
  }
  const blk = t.device as unknown as { inflight: { count: number } };
  if (blk.inflight.count > 0) out.push('in-flight');
  if (t.isr !== 0) out.push('isr');
  return out;
}
