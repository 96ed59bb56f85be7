/**
 * QEMU's option syntax, shared by every option parser: sub-options are `key=value` pairs separated by
 * commas (`,,` is a literal comma), numbers are decimal or 0x hex, sizes take QEMU's suffixes.
 * Every mistake is a ConfigError naming the option.
 */
import { ConfigError } from '../src/util/errors.ts';

const MIB = 1 << 20;

/** Split `a=1,b=2,,x` into ['a=1', 'b=2,x']: QEMU's option syntax, `,,` is a literal comma. */
export function splitCommas(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ',') {
      if (text[i + 1] === ',') {
        current += ',';
        i++;
      } else {
        parts.push(current);
        current = '';
      }
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * Parse `key=value,...` into ordered pairs. A first item without `=` is given the key `implied`
 * (QEMU's "implied option": `-m 128` is `-m size=128`); without one it is an error.
 */
export function parseKeyValues(option: string, text: string, implied: string | null): [string, string][] {
  return parseKeyValueItems(option, splitCommas(text), implied);
}

/** parseKeyValues over items already split at commas. */
export function parseKeyValueItems(option: string, items: readonly string[], implied: string | null): [string, string][] {
  const pairs: [string, string][] = [];
  items.forEach((item, index) => {
    const eq = item.indexOf('=');
    if (eq < 0) {
      if (index === 0 && implied !== null) {
        pairs.push([implied, item]);
        return;
      }
      throw new ConfigError(`${option}: expected key=value, got '${item}'`);
    }
    pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
  });
  return pairs;
}

/** A non-negative integer in decimal or 0x hex, within [min, max]. */
export function parseInteger(option: string, text: string, min: number, max: number): number {
  const t = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^[0-9]+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(value)) throw new ConfigError(`${option}: '${text}' is not a number`);
  if (value < min || value > max) throw new ConfigError(`${option}: ${value} is out of range (${min}..${max})`);
  return value;
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1 << 10, m: MIB, g: 1 << 30, t: 2 ** 40 };

/** A size as QEMU's -m takes it: a number with an optional suffix B, K, M, G or T; MiB by default. */
export function parseSize(option: string, text: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([bkmgt]?)$/i.exec(text.trim());
  if (match === null) throw new ConfigError(`${option}: invalid size '${text}' (use e.g. 128, 128M or 1G)`);
  const unit = SIZE_UNITS[(match[2] || 'm').toLowerCase()]!;
  return Math.round(Number(match[1]) * unit);
}

