/**
 * The APIC bus: routes IPIs, IOAPIC redirections and MSIs to local APICs. Routing is shared by both
 * flavours so that they pick the same targets. Lowest-priority delivery chooses the destination APIC
 * with the lowest arbitration priority, ties going to the lowest CPU index (deterministic).
 */
import type { ApicEndpoint } from './apic-types.ts';
import type { ApicMessage } from '../../src/hw/apic-message.ts';
import { DM_LOWPRI, SH_ALL, SH_ALL_BUT_SELF, SH_NONE, SH_SELF } from '../../src/hw/apic-message.ts';

export class ApicBus {
  private readonly endpoints: ApicEndpoint[] = [];

  attach(endpoint: ApicEndpoint): void {
    this.endpoints.push(endpoint);
    this.endpoints.sort((a, b) => a.cpuIndex - b.cpuIndex);
  }

  /** Replace the endpoint of a CPU (a restore swaps in fresh objects). */
  replace(endpoint: ApicEndpoint): void {
    const i = this.endpoints.findIndex((e) => e.cpuIndex === endpoint.cpuIndex);
    if (i < 0) this.attach(endpoint);
    else this.endpoints[i] = endpoint;
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** The APICs a message is addressed to, in CPU order. */
  targets(msg: ApicMessage): ApicEndpoint[] {
    const out: ApicEndpoint[] = [];
    for (const ep of this.endpoints) {
      if (!ep.isHardwareEnabled()) continue;
      switch (msg.shorthand) {
        case SH_SELF:
          if (ep.cpuIndex === msg.source) out.push(ep);
          break;
        case SH_ALL:
          out.push(ep);
          break;
        case SH_ALL_BUT_SELF:
          if (ep.cpuIndex !== msg.source) out.push(ep);
          break;
        default:
          if (ep.matchesDestination(msg.dest, msg.destMode)) out.push(ep);
      }
    }
    return out;
  }

  deliver(msg: ApicMessage): void {
    const targets = this.targets(msg);
    if (msg.deliveryMode === DM_LOWPRI && msg.shorthand === SH_NONE) {
      let best: ApicEndpoint | null = null;
      for (const ep of targets) if (best === null || ep.arbitrationPriority() < best.arbitrationPriority()) best = ep;
      if (best !== null) best.accept(msg.deliveryMode, msg.vector, msg.trigger);
      return;
    }
    for (const ep of targets) ep.accept(msg.deliveryMode, msg.vector, msg.trigger);
  }
}
