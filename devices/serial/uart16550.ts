/**
 * NS16550A UART (COM1 at 0x3F8, IRQ 4 on a PC). Offsets 0-7 relative to the base.
 *
 * Transmission is instantaneous into a byte sink; THRE and TEMT are set again at once and the THR
 * empty interrupt is raised right after the write, as QEMU does without backpressure. Reception
 * comes from receive(), which the machine calls at batch boundaries; it accepts only what fits (the
 * 16-byte FIFO, or one byte without FIFO) and the caller keeps the rest. The receive timeout
 * interrupt (data below the trigger level) is signalled at once instead of four character times
 * later, which keeps it deterministic and is indistinguishable to a driver.
 *
 * The interrupt line is driven only when MCR.OUT2 is set, as on a PC's ISA wiring.
 */
import type { PortDevice } from '../../src/bus/io-bus.ts';
import type { IrqLine } from '../../src/irq.ts';
import type { StateObject } from '../../src/qom/object.ts';
import type { Visitor } from '../../src/visit/visitor.ts';

/** Register offsets. */
export const UART_RX = 0; // RBR (read), THR (write), DLL (DLAB)
export const UART_IER = 1; // IER, DLM (DLAB)
export const UART_IIR = 2; // IIR (read), FCR (write)
export const UART_LCR = 3;
export const UART_MCR = 4;
export const UART_LSR = 5;
export const UART_MSR = 6;
export const UART_SCR = 7;

/** IER: received data available. */
export const IER_RDI = 0x01;
/** IER: transmitter holding register empty. */
export const IER_THRI = 0x02;
/** IER: receiver line status. */
export const IER_RLSI = 0x04;
/** IER: modem status. */
export const IER_MSI = 0x08;

/** IIR: no interrupt pending. */
export const IIR_NO_INT = 0x01;
/** IIR id: modem status. */
export const IIR_MSI = 0x00;
/** IIR id: THR empty. */
export const IIR_THRI = 0x02;
/** IIR id: received data available. */
export const IIR_RDI = 0x04;
/** IIR id: receiver line status. */
export const IIR_RLSI = 0x06;
/** IIR id: character timeout. */
export const IIR_CTI = 0x0c;
/** IIR: FIFOs enabled (both bits). */
export const IIR_FE = 0xc0;

/** FCR: enable FIFOs. */
export const FCR_FE = 0x01;
/** FCR: clear receive FIFO. */
export const FCR_RFR = 0x02;
/** FCR: clear transmit FIFO. */
export const FCR_XFR = 0x04;
/** FCR: receive trigger level bits. */
export const FCR_ITL_MASK = 0xc0;

/** LCR: divisor latch access. */
export const LCR_DLAB = 0x80;

/** MCR: data terminal ready. */
export const MCR_DTR = 0x01;
/** MCR: request to send. */
export const MCR_RTS = 0x02;
/** MCR: OUT1. */
export const MCR_OUT1 = 0x04;
/** MCR: OUT2 (gates the interrupt line on a PC). */
export const MCR_OUT2 = 0x08;
/** MCR: loopback. */
export const MCR_LOOP = 0x10;

/** LSR: data ready. */
export const LSR_DR = 0x01;
/** LSR: overrun error. */
export const LSR_OE = 0x02;
/** LSR: parity error. */
export const LSR_PE = 0x04;
/** LSR: framing error. */
export const LSR_FE = 0x08;
/** LSR: break interrupt. */
export const LSR_BI = 0x10;
/** LSR: transmitter holding register empty. */
export const LSR_THRE = 0x20;
/** LSR: transmitter empty. */
export const LSR_TEMT = 0x40;
/** LSR: error in receive FIFO. */
export const LSR_RFE = 0x80;
/** LSR bits that make a receiver line status interrupt. */
export const LSR_INT_ANY = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

/** MSR: delta CTS. */
export const MSR_DCTS = 0x01;
/** MSR: delta DSR. */
export const MSR_DDSR = 0x02;
/** MSR: trailing edge of RI. */
export const MSR_TERI = 0x04;
/** MSR: delta DCD. */
export const MSR_DDCD = 0x08;
/** MSR: clear to send. */
export const MSR_CTS = 0x10;
/** MSR: data set ready. */
export const MSR_DSR = 0x20;
/** MSR: ring indicator. */
export const MSR_RI = 0x40;
/** MSR: data carrier detect. */
export const MSR_DCD = 0x80;
/** MSR delta bits. */
export const MSR_ANY_DELTA = 0x0f;

/** FIFO depth of the 16550A. */
export const FIFO_SIZE = 16;
/** Modem input lines outside loopback: a null-modem cable to a ready host (CTS, DSR, DCD). */
const IDLE_MODEM_LINES = MSR_DCD | MSR_DSR | MSR_CTS;

function triggerLevel(fcr: number): number {
  switch (fcr & FCR_ITL_MASK) {
    case 0x00:
      return 1;
    case 0x40:
      return 4;
    case 0x80:
      return 8;
    default:
      return 14;
  }
}

export class Uart16550 implements PortDevice, StateObject {
  readonly typeName = 'isa-serial';
  readonly stateVersion = 1;
  private readonly irq: IrqLine;
  private readonly sink: (byte: number) => void;

  divider = 0x0c;
  rbr = 0;
  ier = 0;
  iir = IIR_NO_INT;
  lcr = 0;
  mcr = MCR_OUT2;
  lsr = LSR_TEMT | LSR_THRE;
  msr = IDLE_MODEM_LINES;
  scr = 0;
  fcr = 0;
  thrIpending = 0;
  timeoutIpending = 0;
  /** Receive FIFO ring: data, index of the oldest byte, number of bytes. */
  readonly rxData = new Uint8Array(FIFO_SIZE);
  rxHead = 0;
  rxNum = 0;

  constructor(irq: IrqLine, sink: (byte: number) => void) {
    this.irq = irq;
    this.sink = sink;
  }

  reset(): void {
    this.divider = 0x0c;
    this.rbr = 0;
    this.ier = 0;
    this.iir = IIR_NO_INT;
    this.lcr = 0;
    this.mcr = MCR_OUT2;
    this.lsr = LSR_TEMT | LSR_THRE;
    this.msr = IDLE_MODEM_LINES;
    this.scr = 0;
    this.fcr = 0;
    this.thrIpending = 0;
    this.timeoutIpending = 0;
    this.rxData.fill(0);
    this.rxHead = 0;
    this.rxNum = 0;
    this.updateIrq();
  }

  private fifoEnabled(): boolean {
    return (this.fcr & FCR_FE) !== 0;
  }

  /** The interrupt the UART signals now (IIR low nibble), by priority. */
  private pendingId(): number {
    if (this.ier & IER_RLSI && this.lsr & LSR_INT_ANY) return IIR_RLSI;
    if (this.ier & IER_RDI && this.timeoutIpending) return IIR_CTI;
    if (this.ier & IER_RDI && this.lsr & LSR_DR && (!this.fifoEnabled() || this.rxNum >= triggerLevel(this.fcr))) {
      return IIR_RDI;
    }
    if (this.ier & IER_THRI && this.thrIpending) return IIR_THRI;
    if (this.ier & IER_MSI && this.msr & MSR_ANY_DELTA) return IIR_MSI;
    return IIR_NO_INT;
  }

  private updateIrq(): void {
    const id = this.pendingId();
    this.iir = id | (this.iir & 0xf0);
    this.irq.set(id !== IIR_NO_INT && (this.mcr & MCR_OUT2) !== 0 ? 1 : 0);
  }

  /** Bytes receive() would accept now. Nothing arrives from outside in loopback mode. */
  canReceive(): number {
    if (this.mcr & MCR_LOOP) return 0;
    if (this.fifoEnabled()) return FIFO_SIZE - this.rxNum;
    return this.lsr & LSR_DR ? 0 : 1;
  }

  /** Console input: returns how many leading bytes were taken; the caller keeps the rest. */
  receive(bytes: Uint8Array | readonly number[]): number {
    const n = Math.min(this.canReceive(), bytes.length);
    for (let i = 0; i < n; i++) this.receiveByte(bytes[i]! & 0xff);
    if (n > 0) this.updateIrq();
    return n;
  }

  private receiveByte(byte: number): void {
    if (this.fifoEnabled()) {
      if (this.rxNum >= FIFO_SIZE) {
        this.lsr |= LSR_OE;
      } else {
        this.rxData[(this.rxHead + this.rxNum) % FIFO_SIZE] = byte;
        this.rxNum++;
      }
      this.lsr |= LSR_DR;
      this.timeoutIpending = this.rxNum < triggerLevel(this.fcr) ? 1 : 0;
    } else {
      if (this.lsr & LSR_DR) this.lsr |= LSR_OE;
      this.rbr = byte;
      this.lsr |= LSR_DR;
    }
  }

  /** Modem status inputs (MSR bits 7:4): from MCR in loopback, otherwise idle-ready lines. */
  private modemLines(): number {
    if (!(this.mcr & MCR_LOOP)) return IDLE_MODEM_LINES;
    return (
      (this.mcr & MCR_RTS ? MSR_CTS : 0) |
      (this.mcr & MCR_DTR ? MSR_DSR : 0) |
      (this.mcr & MCR_OUT1 ? MSR_RI : 0) |
      (this.mcr & MCR_OUT2 ? MSR_DCD : 0)
    );
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const val = value & 0xff;
    switch (offset & 7) {
      case UART_RX:
        if (this.lcr & LCR_DLAB) {
          this.divider = (this.divider & 0xff00) | val;
          return;
        }
        this.transmit(val);
        return;
      case UART_IER: {
        if (this.lcr & LCR_DLAB) {
          this.divider = (this.divider & 0x00ff) | (val << 8);
          return;
        }
        const changed = (this.ier ^ val) & 0x0f;
        this.ier = val & 0x0f;
        // Turning THRI on while THR is empty raises the interrupt even if it had been read away.
        if (changed & IER_THRI) this.thrIpending = this.ier & IER_THRI && this.lsr & LSR_THRE ? 1 : 0;
        if (changed) this.updateIrq();
        return;
      }
      case UART_IIR:
        this.writeFcr(val);
        return;
      case UART_LCR:
        this.lcr = val;
        return;
      case UART_MCR: {
        const before = this.modemLines();
        this.mcr = val & 0x1f;
        const after = this.modemLines();
        const changed = before ^ after;
        let delta = 0;
        if (changed & MSR_CTS) delta |= MSR_DCTS;
        if (changed & MSR_DSR) delta |= MSR_DDSR;
        if (before & MSR_RI && !(after & MSR_RI)) delta |= MSR_TERI;
        if (changed & MSR_DCD) delta |= MSR_DDCD;
        this.msr = after | ((this.msr | delta) & MSR_ANY_DELTA);
        this.updateIrq();
        return;
      }
      case UART_LSR:
      case UART_MSR:
        return; // read-only (factory test registers): ignored
      default:
        this.scr = val;
        return;
    }
  }

  private transmit(byte: number): void {
    this.thrIpending = 0;
    this.lsr &= ~(LSR_THRE | LSR_TEMT);
    this.updateIrq();
    if (this.mcr & MCR_LOOP) {
      this.receiveByte(byte);
    } else {
      this.sink(byte);
    }
    this.lsr |= LSR_THRE | LSR_TEMT;
    this.thrIpending = 1;
    this.updateIrq();
  }

  private writeFcr(value: number): void {
    let val = value;
    if (val === this.fcr) return;
    // Changing the enable bit flushes both FIFOs.
    if ((val ^ this.fcr) & FCR_FE) val |= FCR_XFR | FCR_RFR;
    if (val & FCR_RFR) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutIpending = 0;
      this.rxHead = 0;
      this.rxNum = 0;
    }
    if (val & FCR_XFR) {
      this.lsr |= LSR_THRE;
      this.thrIpending = 1;
    }
    this.fcr = val & 0xc9;
    if (this.fcr & FCR_FE) this.iir |= IIR_FE;
    else this.iir &= ~IIR_FE;
    this.updateIrq();
  }

  ioRead(offset: number, _size: number): number {
    switch (offset & 7) {
      case UART_RX:
        if (this.lcr & LCR_DLAB) return this.divider & 0xff;
        return this.readRbr();
      case UART_IER:
        if (this.lcr & LCR_DLAB) return (this.divider >> 8) & 0xff;
        return this.ier;
      case UART_IIR: {
        const ret = this.iir;
        if ((ret & 0x0f) === IIR_THRI) {
          this.thrIpending = 0;
          this.updateIrq();
        }
        return ret;
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR: {
        const ret = this.lsr;
        if (this.lsr & (LSR_BI | LSR_OE)) {
          this.lsr &= ~(LSR_BI | LSR_OE);
          this.updateIrq();
        }
        return ret;
      }
      case UART_MSR: {
        const ret = this.msr;
        if (this.msr & MSR_ANY_DELTA) {
          this.msr &= 0xf0;
          this.updateIrq();
        }
        return ret;
      }
      default:
        return this.scr;
    }
  }

  private readRbr(): number {
    let ret: number;
    if (this.fifoEnabled()) {
      if (this.rxNum === 0) {
        ret = 0;
      } else {
        ret = this.rxData[this.rxHead]!;
        this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
        this.rxNum--;
      }
      if (this.rxNum === 0) {
        this.lsr &= ~(LSR_DR | LSR_BI);
        this.timeoutIpending = 0;
      } else {
        // Data left below the trigger level times out at once (see the header comment).
        this.timeoutIpending = this.rxNum < triggerLevel(this.fcr) ? 1 : 0;
      }
    } else {
      ret = this.rbr;
      this.lsr &= ~(LSR_DR | LSR_BI);
    }
    this.updateIrq();
    return ret;
  }

  visit(v: Visitor): void {
    this.divider = v.u16('divider', this.divider);
    this.rbr = v.u8('rbr', this.rbr);
    this.ier = v.u8('ier', this.ier);
    this.iir = v.u8('iir', this.iir);
    this.lcr = v.u8('lcr', this.lcr);
    this.mcr = v.u8('mcr', this.mcr);
    this.lsr = v.u8('lsr', this.lsr);
    this.msr = v.u8('msr', this.msr);
    this.scr = v.u8('scr', this.scr);
    this.fcr = v.u8('fcr', this.fcr);
    this.thrIpending = v.u8('thr_ipending', this.thrIpending);
    this.timeoutIpending = v.u8('timeout_ipending', this.timeoutIpending);
    v.struct('recv_fifo', () => {
      v.u8Array('data', this.rxData);
      this.rxHead = v.u8('head', this.rxHead);
      this.rxNum = v.u8('num', this.rxNum);
    });
    if (v.mode === 'load') this.sanitize();
  }

  private sanitize(): void {
    this.ier &= 0x0f;
    this.mcr &= 0x1f;
    this.fcr &= 0xc9;
    this.iir = (this.iir & 0x0f) | (this.fcr & FCR_FE ? IIR_FE : 0);
    this.thrIpending = this.thrIpending ? 1 : 0;
    this.timeoutIpending = this.timeoutIpending ? 1 : 0;
    this.rxHead %= FIFO_SIZE;
    if (this.rxNum > FIFO_SIZE) this.rxNum = FIFO_SIZE;
  }

  /** Re-derive IIR and the interrupt line from the loaded registers. */
  postLoad(): void {
    const id = this.pendingId();
    this.iir = id | (this.iir & 0xf0);
    this.irq.restore(id !== IIR_NO_INT && (this.mcr & MCR_OUT2) !== 0 ? 1 : 0);
  }
}
