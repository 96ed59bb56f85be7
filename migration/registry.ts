/**
 * The filter registry (docs/architecture.md section 9): the filters one build knows, by name. No global
 * instance: the machine (or `godwit snapshot convert`) creates one and fills it, usually with
 * `registry.registerAll(builtinFilters())` (migration/filters/builtin.ts).
 */
import type { Filter, Signature } from './filters/filter.ts';
import { isValidPortPath, sameSignature, showSignature, signatureKey } from './filters/filter.ts';
import { WiringError } from '../src/util/errors.ts';

/** Filter names: lowercase letters, digits and `-`, `>`, `+`, `:`, `.`, `_` (`kvm-apic->apic`, `apic:v3->v4`, `i8254+pcspk->kvm-pit`). */
const FILTER_NAME = /^[a-z0-9][a-z0-9._:>+-]{0,63}$/;

export class FilterRegistry {
  private readonly filters = new Map<string, Filter>();
  /** Filters by the signature of their anchor input (consumes[0]). */
  private readonly byAnchor = new Map<string, Filter[]>();

  /**
   * Adds a filter. A duplicate or malformed name, no inputs or outputs, a first input not at `.`,
   * a malformed relative path, or two ports of one side at the same path is a WiringError.
   */
  register(filter: Filter): void {
    const name = filter.name;
    if (!FILTER_NAME.test(name)) throw new WiringError(`bad filter name ${JSON.stringify(name)}`);
    if (this.filters.has(name)) throw new WiringError(`filter ${name} registered twice`);
    if (filter.consumes.length === 0 || filter.produces.length === 0) {
      throw new WiringError(`filter ${name}: it must consume and produce at least one node`);
    }
    if (filter.consumes[0]!.at !== '.') throw new WiringError(`filter ${name}: its first input must be at "."`);
    for (const side of [filter.consumes, filter.produces]) {
      const seen = new Set<string>();
      for (const port of side) {
        if (!isValidPortPath(port.at)) throw new WiringError(`filter ${name}: bad port path ${JSON.stringify(port.at)}`);
        if (seen.has(port.at)) throw new WiringError(`filter ${name}: two ports at ${port.at}`);
        if (!Number.isSafeInteger(port.version) || port.version < 0) {
          throw new WiringError(`filter ${name}: bad version in ${showSignature(port)}`);
        }
        seen.add(port.at);
      }
    }
    this.filters.set(name, filter);
    const key = signatureKey(filter.consumes[0]!);
    const list = this.byAnchor.get(key) ?? [];
    list.push(filter);
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.byAnchor.set(key, list);
  }

  registerAll(filters: Iterable<Filter>): this {
    for (const f of filters) this.register(f);
    return this;
  }

  get(name: string): Filter | undefined {
    return this.filters.get(name);
  }

  has(name: string): boolean {
    return this.filters.has(name);
  }

  /** Every filter, sorted by name (the planner's deterministic order). */
  all(): Filter[] {
    return [...this.filters.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Filters whose anchor input has signature `s`, sorted by name. */
  anchoredAt(s: Signature): readonly Filter[] {
    return this.byAnchor.get(signatureKey(s)) ?? [];
  }

  /** Every type some filter consumes or produces. */
  knownTypes(): Set<string> {
    const out = new Set<string>();
    for (const f of this.filters.values()) for (const p of [...f.consumes, ...f.produces]) out.add(p.type);
    return out;
  }

  /** The newest version of `type` any filter consumes or produces, or -1. */
  newestVersion(type: string): number {
    let newest = -1;
    for (const f of this.filters.values()) {
      for (const p of [...f.consumes, ...f.produces]) if (p.type === type && p.version > newest) newest = p.version;
    }
    return newest;
  }

  /** Pairs [filter, its inverse] (each pair once), for the round-trip tests and `inspect`. */
  inversePairs(): Array<[Filter, Filter]> {
    const out: Array<[Filter, Filter]> = [];
    for (const f of this.all()) {
      if (f.inverse === undefined) continue;
      const g = this.filters.get(f.inverse);
      if (g === undefined || g.inverse !== f.name || f.name > g.name) continue;
      out.push([f, g]);
    }
    return out;
  }

  /** Declared inverses that are missing or do not point back, or whose signatures do not mirror. */
  inverseProblems(): string[] {
    const out: string[] = [];
    for (const f of this.all()) {
      if (f.inverse === undefined) continue;
      const g = this.filters.get(f.inverse);
      if (g === undefined) {
        out.push(`${f.name}: inverse ${f.inverse} is not registered`);
      } else if (g.inverse !== f.name) {
        out.push(`${f.name}: inverse ${g.name} does not name it back`);
      } else if (!mirrors(f, g)) {
        out.push(`${f.name}: inverse ${g.name} does not consume what it produces`);
      }
    }
    return out;
  }
}

/** g consumes exactly what f produces (same signatures at the same relative paths), and back. */
function mirrors(f: Filter, g: Filter): boolean {
  const same = (a: Filter['consumes'], b: Filter['consumes']) =>
    a.length === b.length && a.every((p) => b.some((q) => q.at === p.at && sameSignature(p, q)));
  return same(f.produces, g.consumes) && same(g.produces, f.consumes);
}
