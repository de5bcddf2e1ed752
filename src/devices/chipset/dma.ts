/**
 * The PC/AT pair of Intel 8237A DMA controllers (`i8257` in QEMU's naming) with the 74LS612
 * page registers: DMA1 at 0x00-0x0F moves bytes on channels 0-3, DMA2 at 0xC0-0xDF moves
 * 16-bit words on channels 5-7 (channel 4 cascades DMA1), page registers at 0x80-0x8F.
 *
 * Follows the Intel 8237A datasheet (order no. 231466): base/current address and word count
 * through the byte pointer flip-flop, command, mode (verify/write/read, auto-initialise,
 * address decrement, demand/single/block/cascade), request, single and all mask bits, status
 * (terminal count and request bits, TC bits clear on read), master clear. The IBM PC/AT
 * Technical Reference for the 16-bit controller's addressing (word address shifted left by
 * one, page bit 0 ignored, transfers wrap within 128 KiB) and the page port assignment.
 * Devices move data through the IsaDma interface (src/devices/api.ts); a transfer stops at
 * terminal count, where the channel is masked unless auto-initialise is set.
 *
 * Regions: 0 = DMA1 (0x00-0x0F), 1 = DMA2 (0xC0-0xDF, registers on even ports; A0 is not
 * decoded so odd ports alias them), 2 = page registers (0x80-0x8F; unused ones are scratch).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, IsaDma } from '../api.js';
import { checkState, DeviceStateError, hex, stNum } from './util.js';

const TYPE = 'i8257';
const STATE_VERSION = 1;

/** Page port offset (from 0x80) of each channel. */
const PAGE_PORT = [0x7, 0x3, 0x1, 0x2, 0xf, 0xb, 0x9, 0xa];

interface Channel {
  baseAddr: number;
  baseCount: number;
  curAddr: number;
  curCount: number;
  mode: number;
}

interface Controller {
  command: number;
  status: number; // TC bits 0-3
  request: number; // software requests, bits 0-3
  mask: number;
  flipFlop: boolean;
  temp: number;
}

function newChannel(): Channel {
  return { baseAddr: 0, baseCount: 0, curAddr: 0, curCount: 0, mode: 0 };
}

function newController(): Controller {
  return { command: 0, status: 0, request: 0, mask: 0x0f, flipFlop: false, temp: 0 };
}

export interface DmaTransferResult {
  moved: number;
  tc: boolean;
}

export class IsaDmaController implements DeviceModel, IsaDma {
  private channels: Channel[] = Array.from({ length: 8 }, newChannel);
  private ctl: Controller[] = [newController(), newController()];
  /** Page registers 0x80-0x8F (channel pages and scratch bytes). */
  private pages = new Uint8Array(16);

  constructor(private host: DeviceHost) {}

  reset(): void {
    this.channels = Array.from({ length: 8 }, newChannel);
    this.ctl = [newController(), newController()];
    this.pages.fill(0);
  }

  private masterClear(c: Controller): void {
    c.command = 0;
    c.status = 0;
    c.request = 0;
    c.temp = 0;
    c.flipFlop = false;
    c.mask = 0x0f;
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (size !== 1 || region > 2 || offset < 0 || offset >= (region === 1 ? 32 : 16)) {
      this.host.guestError(`i8257: ${size}-byte read of unknown register region ${region} offset ${offset}`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    if (region === 2) return this.pages[offset];
    const n = region;
    const reg = region === 1 ? offset >> 1 : offset;
    const c = this.ctl[n];
    if (reg < 8) {
      const ch = this.channels[n * 4 + (reg >> 1)];
      const v = reg & 1 ? ch.curCount : ch.curAddr;
      const b = c.flipFlop ? v >> 8 : v & 0xff;
      c.flipFlop = !c.flipFlop;
      return b;
    }
    switch (reg) {
      case 8: {
        const v = (c.status & 0x0f) | (c.request << 4);
        c.status &= ~0x0f;
        return v;
      }
      case 13:
        return c.temp;
      case 15:
        return 0xf0 | c.mask;
      default:
        this.host.guestError(`i8257: read of write-only register ${reg} of DMA${n + 1}`);
        return 0xff;
    }
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (size !== 1 || region > 2 || offset < 0 || offset >= (region === 1 ? 32 : 16)) {
      this.host.guestError(`i8257: ${size}-byte write of unknown register region ${region} offset ${offset}`);
      return;
    }
    const v = value & 0xff;
    if (region === 2) {
      this.pages[offset] = v;
      return;
    }
    const n = region;
    const reg = region === 1 ? offset >> 1 : offset;
    const c = this.ctl[n];
    if (reg < 8) {
      const ch = this.channels[n * 4 + (reg >> 1)];
      const key = reg & 1 ? 'Count' : 'Addr';
      const cur = ch[`cur${key}`];
      const nv = c.flipFlop ? (cur & 0x00ff) | (v << 8) : (cur & 0xff00) | v;
      ch[`cur${key}`] = nv;
      ch[`base${key}`] = nv;
      c.flipFlop = !c.flipFlop;
      return;
    }
    const chan = v & 3;
    switch (reg) {
      case 8:
        c.command = v;
        if (v & ~0x04) this.host.log.log('debug', `i8257: DMA${n + 1} command ${hex(v)} (only the disable bit is modelled)`);
        return;
      case 9:
        if (v & 4) c.request |= 1 << chan;
        else c.request &= ~(1 << chan);
        return;
      case 10:
        if (v & 4) c.mask |= 1 << chan;
        else c.mask &= ~(1 << chan);
        return;
      case 11:
        this.channels[n * 4 + chan].mode = v;
        return;
      case 12:
        c.flipFlop = false;
        return;
      case 13:
        this.masterClear(c);
        return;
      case 14:
        c.mask = 0;
        return;
      default: // 15: write all mask bits
        c.mask = v & 0x0f;
    }
  }

  /** Physical address of channel `n` for its current address. */
  private physAddr(n: number, addr: number): number {
    const page = this.pages[PAGE_PORT[n]];
    if (n < 4) return page * 0x10000 + addr;
    return (page & 0xfe) * 0x10000 + ((addr << 1) & 0x1ffff);
  }

  /** Is channel `n` ready to transfer (unmasked, controller enabled, not cascade)? */
  channelReady(n: number): boolean {
    if (n < 0 || n > 7 || n === 4) return false;
    const c = this.ctl[n >> 2];
    return !(c.command & 0x04) && !(c.mask & (1 << (n & 3))) && (this.channels[n].mode & 0xc0) !== 0xc0;
  }

  transfer(channel: number, data: Uint8Array, toMemory: boolean): Promise<{ moved: number; tc: boolean }> {
    return Promise.resolve(this.transferSync(channel, data, toMemory));
  }

  /** The transfer itself, synchronously (for devices in the CPU worker and for tests). */
  transferSync(channel: number, data: Uint8Array, toMemory: boolean): DmaTransferResult {
    if (!Number.isInteger(channel) || channel < 0 || channel > 7 || channel === 4) {
      this.host.guestError(`i8257: transfer on invalid channel ${channel}`);
      return { moved: 0, tc: false };
    }
    if (!this.channelReady(channel)) return { moved: 0, tc: false };
    const mem = this.host.memory;
    const ch = this.channels[channel];
    const c = this.ctl[channel >> 2];
    const bit = 1 << (channel & 3);
    const width = channel < 4 ? 1 : 2;
    const type = (ch.mode >> 2) & 3;
    if (type === 3) {
      this.host.guestError(`i8257: channel ${channel} mode ${hex(ch.mode)} has the illegal transfer type 3`);
      return { moved: 0, tc: false };
    }
    if ((type === 1 && !toMemory) || (type === 2 && toMemory)) {
      this.host.guestError(`i8257: channel ${channel} programmed for ${type === 1 ? 'write' : 'read'} but device ${toMemory ? 'writes memory' : 'reads memory'}`);
    }
    const verify = type === 0;
    const dec = (ch.mode & 0x20) !== 0;
    const available = ch.curCount + 1;
    const units = Math.min(available, Math.floor(data.length / width));
    for (let u = 0; u < units; u++) {
      const phys = this.physAddr(channel, ch.curAddr);
      for (let b = 0; b < width; b++) {
        const i = u * width + b;
        if (verify) {
          if (!toMemory) data[i] = 0;
        } else if (toMemory) {
          mem?.writeU8(phys + b, data[i]);
        } else {
          data[i] = mem ? mem.readU8(phys + b) : 0xff;
        }
      }
      ch.curAddr = (ch.curAddr + (dec ? -1 : 1)) & 0xffff;
      ch.curCount = (ch.curCount - 1) & 0xffff;
    }
    const tc = units === available;
    if (tc) {
      c.status |= bit;
      c.request &= ~bit;
      if (ch.mode & 0x10) {
        ch.curAddr = ch.baseAddr;
        ch.curCount = ch.baseCount;
      } else {
        c.mask |= bit;
      }
    }
    return { moved: units * width, tc };
  }

  saveState(): DeviceState {
    return {
      type: TYPE,
      version: STATE_VERSION,
      data: {
        channels: this.channels.map((c) => ({ ...c })),
        controllers: this.ctl.map((c) => ({ ...c })),
        pages: Array.from(this.pages),
      },
    };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    const chans = d.channels, ctls = d.controllers, pages = d.pages;
    if (!Array.isArray(chans) || chans.length !== 8 || !Array.isArray(ctls) || ctls.length !== 2) {
      throw new DeviceStateError('i8257: need 8 channels and 2 controllers');
    }
    if (!Array.isArray(pages) || pages.length !== 16) throw new DeviceStateError('i8257: need 16 page registers');
    this.channels = chans.map((c: Record<string, unknown>) => ({
      baseAddr: stNum(c, 'baseAddr', 0, 0xffff), baseCount: stNum(c, 'baseCount', 0, 0xffff),
      curAddr: stNum(c, 'curAddr', 0, 0xffff), curCount: stNum(c, 'curCount', 0, 0xffff), mode: stNum(c, 'mode', 0, 255),
    }));
    this.ctl = ctls.map((c: Record<string, unknown>) => ({
      command: stNum(c, 'command', 0, 255), status: stNum(c, 'status', 0, 15), request: stNum(c, 'request', 0, 15),
      mask: stNum(c, 'mask', 0, 15), flipFlop: c.flipFlop === true, temp: stNum(c, 'temp', 0, 255),
    }));
    this.pages = Uint8Array.from(pages.map((p) => Number(p) & 0xff));
  }
}

export const dmaType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'Intel 8237A DMA controllers ×2 (8-bit channels 0-3, 16-bit 5-7) with page registers',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: ['guest-memory'],
  properties: {},
  resources: () => ({
    ports: [
      { name: 'dma1', base: 0x00, length: 16, accessSizes: [1] },
      { name: 'dma2', base: 0xc0, length: 32, accessSizes: [1] },
      { name: 'dma-page', base: 0x80, length: 16, accessSizes: [1] },
    ],
    mmio: [],
    irqs: [],
  }),
  stateVersion: STATE_VERSION,
  create: (host) => new IsaDmaController(host),
};
