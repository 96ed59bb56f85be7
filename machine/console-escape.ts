/**
 * QEMU's console escapes on the terminal side of `-serial stdio` (its mux chardev): after C-a,
 *   x    quits (QEMU prints "QEMU: Terminated"),
 *   h    prints the list of escapes,
 *   C-a  sends one C-a to the guest;
 * any other key after C-a is dropped. The escape state spans reads, so a C-a at the end of one read
 * applies to the first byte of the next. No Node API.
 */

export const ESCAPE_CHAR = 0x01;

export const ESCAPE_HELP =
  'C-a h    print this help\r\n' +
  'C-a x    exit emulator\r\n' +
  'C-a C-a  sends C-a\r\n';

export interface EscapeActions {
  /** Bytes for the guest. */
  input(bytes: Uint8Array): void;
  quit(): void;
  help(): void;
}

export class ConsoleEscapes {
  private readonly actions: EscapeActions;
  private pending = false;

  constructor(actions: EscapeActions) {
    this.actions = actions;
  }

  push(bytes: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (this.pending) {
        this.pending = false;
        start = i + 1;
        if (c === ESCAPE_CHAR) this.actions.input(Uint8Array.of(ESCAPE_CHAR));
        else if (c === 0x78 /* x */) {
          this.actions.quit();
          return;
        } else if (c === 0x68 /* h */) this.actions.help();
        continue;
      }
      if (c === ESCAPE_CHAR) {
        if (i > start) this.actions.input(bytes.subarray(start, i));
        this.pending = true;
        start = i + 1;
      }
    }
    if (start < bytes.length && !this.pending) this.actions.input(bytes.subarray(start));
  }
}
