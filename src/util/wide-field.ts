/**
 * Number fields that will hold values outside the 32-bit signed range (unsigned addresses at or
 * above 2 GiB, the fetch window's base) start at WIDE, -0, so that V8 stores them as doubles from the
 * object's construction on.
 *
 * Why it matters: V8 keeps a field holding only small integers in a small-integer representation.
 * The first store of a larger number changes the field's representation, which gives the object a
 * new hidden class, and every optimised function that was specialised to the old one (for the CPU:
 * the run loop and nearly every instruction handler) is thrown away and optimised again. A Linux
 * boot did that seven times as its kernel moved to addresses above 0xC0000000, and spent more time
 * recompiling than running (bench/sections/cpu.ts times the boot from process start). Starting
 * as a double costs nothing later: small integers are stored into a double field as they are.
 *
 * -0 compares, adds and converts (>>> 0, | 0, JSON) as 0 does, but Object.is and test equality tell
 * it apart: a field whose value anyone compares or saves is set to its real initial value in the
 * constructor (the representation stays double).
 */
export const WIDE = -0;
