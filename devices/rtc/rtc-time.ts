/**
 * Calendar and 32.768 kHz arithmetic for the MC146818 RTC: seconds since the epoch to and from the
 * time registers (BCD or binary, 12 or 24 hour), and exact ns <-> divider-tick conversions.
 * Pure functions; Date is used only as a calendar in UTC, never for the host's time.
 */

/** Register B: data mode binary (else BCD). */
export const REG_B_DM = 0x04;
/** Register B: 24-hour mode (else 12-hour with bit 7 of the hour meaning PM). */
export const REG_B_24H = 0x02;

/** CMOS offsets of the time registers. */
export const RTC_SECONDS = 0x00;
export const RTC_SECONDS_ALARM = 0x01;
export const RTC_MINUTES = 0x02;
export const RTC_MINUTES_ALARM = 0x03;
export const RTC_HOURS = 0x04;
export const RTC_HOURS_ALARM = 0x05;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
/** Century, in the IBM PC's CMOS layout (QEMU writes it there too). */
export const RTC_CENTURY = 0x32;

/** Latest time the RTC can hold: 9999-12-31 23:59:59 UTC. */
export const MAX_RTC_SECONDS = 253402300799;

const NS_PER_S = 1e9;
/** Divider-chain input, Hz. */
export const RTC_HZ = 32768;

function toReg(value: number, regB: number): number {
  return regB & REG_B_DM ? value & 0xff : (Math.floor(value / 10) % 10 << 4) | value % 10;
}

function fromReg(value: number, regB: number): number {
  return regB & REG_B_DM ? value : ((value >> 4) & 15) * 10 + (value & 15);
}

/** Write the time `secs` into the time registers of `cmos` in the format selected by regB. */
export function storeTime(cmos: Uint8Array, secs: number, regB: number): void {
  const d = new Date(Math.min(Math.max(secs, 0), MAX_RTC_SECONDS) * 1000);
  const hour = d.getUTCHours();
  cmos[RTC_SECONDS] = toReg(d.getUTCSeconds(), regB);
  cmos[RTC_MINUTES] = toReg(d.getUTCMinutes(), regB);
  if (regB & REG_B_24H) {
    cmos[RTC_HOURS] = toReg(hour, regB);
  } else {
    cmos[RTC_HOURS] = toReg(hour % 12 || 12, regB) | (hour >= 12 ? 0x80 : 0);
  }
  cmos[RTC_DAY_OF_WEEK] = toReg(d.getUTCDay() + 1, regB);
  cmos[RTC_DAY_OF_MONTH] = toReg(d.getUTCDate(), regB);
  cmos[RTC_MONTH] = toReg(d.getUTCMonth() + 1, regB);
  const year = d.getUTCFullYear();
  cmos[RTC_YEAR] = toReg(year % 100, regB);
  cmos[RTC_CENTURY] = toReg(Math.floor(year / 100), regB);
}

/** Read the time registers of `cmos` back into seconds since the epoch (bad values normalise). */
export function loadTime(cmos: Uint8Array, regB: number): number {
  const sec = fromReg(cmos[RTC_SECONDS]!, regB);
  const min = fromReg(cmos[RTC_MINUTES]!, regB);
  const rawHour = cmos[RTC_HOURS]!;
  let hour: number;
  if (regB & REG_B_24H) {
    hour = fromReg(rawHour, regB);
  } else {
    hour = (fromReg(rawHour & 0x7f, regB) % 12) + (rawHour & 0x80 ? 12 : 0);
  }
  const day = fromReg(cmos[RTC_DAY_OF_MONTH]!, regB);
  const month = fromReg(cmos[RTC_MONTH]!, regB);
  const year = fromReg(cmos[RTC_CENTURY]!, regB) * 100 + fromReg(cmos[RTC_YEAR]!, regB);
  const ms = Date.UTC(year, month - 1, day, hour, min, sec);
  if (!Number.isFinite(ms)) return 0;
  return Math.min(Math.max(Math.floor(ms / 1000), 0), MAX_RTC_SECONDS);
}

/** True if the alarm registers match the time registers (0xC0-0xFF in an alarm byte matches all). */
export function alarmMatches(cmos: Uint8Array, time: Uint8Array): boolean {
  const pairs: [number, number][] = [
    [RTC_SECONDS_ALARM, RTC_SECONDS],
    [RTC_MINUTES_ALARM, RTC_MINUTES],
    [RTC_HOURS_ALARM, RTC_HOURS],
  ];
  for (const [alarm, reg] of pairs) {
    const a = cmos[alarm]!;
    if ((a & 0xc0) !== 0xc0 && a !== time[reg]) return false;
  }
  return true;
}

/** Whole 32.768 kHz ticks in `deltaNs` ns (0 for negative). Exact for any delta below 2^53. */
export function ticks32(deltaNs: number): number {
  if (!(deltaNs > 0)) return 0;
  const r = deltaNs % NS_PER_S;
  const q = (deltaNs - r) / NS_PER_S;
  const x = r * RTC_HZ;
  return q * RTC_HZ + (x - (x % NS_PER_S)) / NS_PER_S;
}

/** The smallest delta in ns holding at least n 32.768 kHz ticks. */
export function nsFor32(n: number): number {
  if (!(n > 0)) return 0;
  const b = n % RTC_HZ;
  const a = (n - b) / RTC_HZ;
  const y = b * NS_PER_S + (RTC_HZ - 1);
  return a * NS_PER_S + (y - (y % RTC_HZ)) / RTC_HZ;
}

/** Periodic interrupt period in 32.768 kHz ticks for register A's rate bits, 0 when off. */
export function periodTicks(rate: number): number {
  rate &= 15;
  if (rate === 0) return 0;
  return rate <= 2 ? 1 << (rate + 6) : 1 << (rate - 1);
}
