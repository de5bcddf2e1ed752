/**
 * Netdevs (src/machine/net-wiring.ts) and packet ports across the worker boundary
 * (src/workers/backend-bridge.ts): the wiring rules (QEMU's -netdev / -device NIC,netdev=ID),
 * a PacketPort exported over a real MessageChannel, and machines on the real core whose e1000
 * runs in the isolated network worker and moves frames between guest RAM and a shared switch.
 * The strict policy refuses the ne2k_pci machine and starts the e1000 one. No guest boots here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { wireNetdevs, type NicInstance } from '../../src/machine/net-wiring.js';
import { e1000Type, ne2kPciType, defaultMacFor } from '../../src/devices/network/index.js';
import { REG } from '../../src/devices/network/e1000-regs.js';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { WebSocketPort, type WebSocketLike } from '../../src/net/websocket.js';
import { PACKET_PORT_KIND, packetPortFromDescription } from '../../src/net/remote.js';
import { exportBackend, importBridged } from '../../src/workers/backend-bridge.js';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { SecurityRefusedError } from '../../src/machine/security.js';
import type { DeviceConfig, MachineConfig, Placement } from '../../src/machine/config.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { missingForBoot, readFirmware } from '../machine/firmware.js';
import { testFrame } from './helpers.js';

const nic = (type: typeof e1000Type, id: string, props: Record<string, string> = {}, backend?: unknown): NicInstance =>
  ({ id, type, props: { mac: '', netdev: '', ...props }, backend });

class FakeSocket implements WebSocketLike {
  static made: FakeSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) { FakeSocket.made.push(this); }
  send(): void {}
  close(): void { this.closed = true; }
}

describe('wireNetdevs', () => {
  it('a private switch netdev gets gateway services; NICs get ports and placement-independent MACs', () => {
    const a = nic(e1000Type, 'e1000.0', { netdev: 'n0' });
    const b = nic(ne2kPciType, 'ne2k_pci.0', { netdev: 'n0', mac: '52:54:00:aa:bb:cc' });
    const c = nic(e1000Type, 'e1000.1');
    const w = wireNetdevs([{ id: 'n0', kind: 'switch' }], [a, b, c]);
    const n0 = w.netdevs.get('n0')!;
    expect(n0.services).toBeInstanceOf(NetworkServices);
    expect(n0.switch!.portCount).toBe(3); // services + two NICs
    expect(a.backend).toBe(w.portOf('e1000.0'));
    expect(b.backend).toBe(w.portOf('ne2k_pci.0'));
    expect(a.props.mac).toBe(defaultMacFor('e1000.0'));
    expect(b.props.mac).toBe('52:54:00:aa:bb:cc');
    // No netdev: unplugged (no backend), but still a fixed MAC.
    expect(c.backend).toBeUndefined();
    expect(c.props.mac).toBe(defaultMacFor('e1000.1'));
    w.dispose();
    expect(n0.switch!.portCount).toBe(0);
    expect((a.backend as { linkUp: boolean }).linkUp).toBe(false);
  });

  it('a given switch is shared and gets no second DHCP server unless asked', () => {
    const sw = new VirtualSwitch();
    const a = nic(e1000Type, 'e1000.0', { netdev: 'lan' });
    const w1 = wireNetdevs([{ id: 'lan', kind: 'switch', switch: sw }], [a]);
    const b = nic(e1000Type, 'e1000.0', { netdev: 'lan', mac: '52:54:00:00:00:02' });
    const w2 = wireNetdevs([{ id: 'lan', kind: 'switch', switch: sw, services: true }], [b]);
    expect(w1.netdevs.get('lan')!.services).toBeUndefined();
    expect(w2.netdevs.get('lan')!.services).toBeDefined();
    expect(sw.portCount).toBe(3);
  });

  it('rejects unknown netdevs, duplicates, bad ids, backend+netdev and a shared WebSocket', () => {
    expect(() => wireNetdevs([], [nic(e1000Type, 'e1000.0', { netdev: 'n9' })])).toThrow("e1000.0: netdev 'n9' is not defined (the machine has no netdevs)");
    expect(() => wireNetdevs([{ id: 'n0', kind: 'switch' }, { id: 'n0', kind: 'switch' }], [])).toThrow("netdev 'n0' is defined twice");
    expect(() => wireNetdevs([{ id: '0bad', kind: 'switch' }], [])).toThrow('is not an identifier');
    expect(() => wireNetdevs([{ id: 'n0', kind: 'switch' }], [nic(e1000Type, 'e1000.0', { netdev: 'n0' }, {})])).toThrow("both a backend and netdev 'n0'");
    expect(() => wireNetdevs([{ id: 'w', kind: 'websocket', url: 'http://x' }], [])).toThrow('ws://');
    expect(() => wireNetdevs([{ id: 'w', kind: 'websocket', url: 'ws://relay/' }], [nic(e1000Type, 'e1000.0', { netdev: 'w' })])).toThrow('no WebSocket');
    const two = [nic(e1000Type, 'e1000.0', { netdev: 'w' }), nic(e1000Type, 'e1000.1', { netdev: 'w' })];
    expect(() => wireNetdevs([{ id: 'w', kind: 'websocket', url: 'ws://relay/' }], two, { webSocket: FakeSocket })).toThrow("netdev 'w' (websocket) is already used by e1000.0");
  });

  it('a websocket netdev opens one socket to the relay and closes it on dispose', () => {
    FakeSocket.made = [];
    const a = nic(e1000Type, 'e1000.0', { netdev: 'w' });
    const w = wireNetdevs([{ id: 'w', kind: 'websocket', url: 'ws://relay.example/' }], [a], { webSocket: FakeSocket });
    expect(a.backend).toBeInstanceOf(WebSocketPort);
    expect(FakeSocket.made.map((s) => s.url)).toEqual(['ws://relay.example/']);
    w.dispose();
    expect(FakeSocket.made[0].closed).toBe(true);
  });
});

describe('packet ports across the worker boundary', () => {
  it('exportBackend describes a PacketPort as { kind: packet-port, port }; the adapter carries frames and link', async () => {
    const sw = new VirtualSwitch();
    const far = sw.connect('far');
    const near = sw.connect('nic');
    const ex = exportBackend(near)!;
    const d = ex.description as { kind: string; port: unknown };
    expect(d.kind).toBe(PACKET_PORT_KIND);
    expect(ex.transfer).toEqual([d.port]);
    // Hand the port over a second channel, as the launcher transfers it to the worker.
    const hop = new MessageChannel();
    const arrived = new Promise<Record<string, unknown>>((r) => hop.port2.once('message', (m) => r(m as Record<string, unknown>)));
    hop.port1.postMessage(d, d.port ? [d.port as never] : []);
    const remote = packetPortFromDescription(await arrived)!;
    await vi.waitFor(() => expect(remote.linkUp).toBe(true));
    const got: Uint8Array[] = [];
    remote.onReceive((f) => got.push(f.slice()));
    const seen: Uint8Array[] = [];
    far.onReceive((f) => seen.push(f.slice()));
    const macFar = Uint8Array.from([0x52, 0x54, 0, 0, 0, 1]), macNic = Uint8Array.from([0x52, 0x54, 0, 0, 0, 2]);
    const out = testFrame(macFar, macNic, 1000, 3);
    remote.send(out);
    await vi.waitFor(() => expect(seen.length).toBe(1));
    expect(Array.from(seen[0])).toEqual(Array.from(out));
    const back = testFrame(macNic, macFar, 1400, 4);
    far.send(back);
    await vi.waitFor(() => expect(got.length).toBe(1));
    expect(Array.from(got[0])).toEqual(Array.from(back));
    near.setLink(false);
    await vi.waitFor(() => expect(remote.linkUp).toBe(false));
    ex.dispose();
    hop.port1.close();
  });

  it('a PacketPort nested in a record is bridged too', () => {
    const sw = new VirtualSwitch();
    const ex = exportBackend({ net: sw.connect('a'), label: 'x' })!;
    expect((ex.description as { kind: string }).kind).toBe('bridged');
    const back = importBridged(ex.description as Record<string, unknown>) as { net: { send: unknown }; label: string };
    expect(typeof back.net.send).toBe('function');
    expect(back.label).toBe('x');
    ex.dispose();
  });
});

const missing = missingForBoot();
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

/** A 64 KiB "BIOS" whose reset vector spins (jmp $): the machine runs, the test drives the NIC. */
function spinningBios(): Uint8Array {
  const img = new Uint8Array(0x10000);
  img.set([0xeb, 0xfe], 0xfff0);
  return img;
}

async function machine(placement: Placement, devices: DeviceConfig[], extra: Partial<MachineConfig> = {}): Promise<Machine> {
  const host = nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined });
  const m = await createMachine({ ramMiB: 32, bios: readFirmware('bios-256k.bin'), placement, devices, ...extra }, host);
  machines.push(m);
  return m;
}

describe.skipIf(missing !== undefined)(`NICs on netdevs in a machine${missing ? ` (skipped: ${missing})` : ''}`, () => {
  for (const placement of ['isolated', 'monolithic'] as const) {
    it(`${placement}: an e1000 on a shared switch sends from and receives into guest RAM`, async () => {
      const sw = new VirtualSwitch();
      const peer = sw.connect('peer');
      const seen: Uint8Array[] = [];
      peer.onReceive((f) => seen.push(f.slice()));
      const m = await machine(placement, [{ type: 'e1000', props: { netdev: 'lan', mac: '52:54:00:00:00:0e' } }], { netdevs: [{ id: 'lan', kind: 'switch', switch: sw }], bios: spinningBios() });
      // Running: device callbacks (frames from the wire) are delivered while the machine runs.
      m.start();
      const dev = m.device('e1000.0')!;
      expect(dev.local).toBe(placement === 'monolithic');
      const w = (o: number, v: number) => dev.model.mmioWrite!(0, o, 4, v >>> 0);
      const r = (o: number) => dev.model.mmioRead!(0, o, 4) >>> 0;
      await vi.waitFor(() => expect(r(REG.STATUS) & 2).toBe(2)); // STATUS.LU: the bridged link is up
      const ram = new DataView(m.memoryMap.ramView().buffer, m.memoryMap.ramView().byteOffset);
      const bytes = m.memoryMap.ramView();
      // Transmit: one legacy descriptor (EOP|IFCS|RS) at 0x10000, the frame at 0x11000.
      const macNic = Uint8Array.from([0x52, 0x54, 0, 0, 0, 0x0e]), macPeer = Uint8Array.from([0x52, 0x54, 0, 0, 0, 0x0f]);
      const frame = testFrame(macPeer, macNic, 600, 7);
      bytes.set(frame, 0x11000);
      ram.setUint32(0x10000, 0x11000, true);
      ram.setUint32(0x10004, 0, true);
      ram.setUint32(0x10008, frame.length | (0x0b << 24), true);
      ram.setUint32(0x1000c, 0, true);
      w(REG.TDBAL, 0x10000); w(REG.TDBAH, 0); w(REG.TDLEN, 8 * 16); w(REG.TDH, 0); w(REG.TDT, 0);
      w(REG.TCTL, (1 << 1) | (1 << 3) | (0x0f << 4) | (0x40 << 12));
      w(REG.TDT, 1);
      await vi.waitFor(() => expect(seen.length).toBe(1));
      expect(Array.from(seen[0])).toEqual(Array.from(frame));
      expect(ram.getUint32(0x1000c, true) & 1).toBe(1); // DD written back into guest RAM
      // Receive: 8 descriptors (RDLEN is a multiple of 128) at 0x20000, 2 KiB buffers from 0x30000.
      for (let i = 0; i < 8; i++) {
        ram.setUint32(0x20000 + i * 16, 0x30000 + i * 2048, true);
        for (const o of [4, 8, 12]) ram.setUint32(0x20000 + i * 16 + o, 0, true);
      }
      w(REG.RDBAL, 0x20000); w(REG.RDBAH, 0); w(REG.RDLEN, 8 * 16); w(REG.RDH, 0); w(REG.RDT, 7);
      w(REG.RCTL, (1 << 1) | (1 << 15) | (1 << 26)); // EN | BAM | SECRC
      // A read is a round trip: every posted write before it has reached the device (isolated: the
      // channel batches posted writes), so the receiver is on before the peer's frame arrives.
      expect(r(REG.RCTL) & 2).toBe(2);
      const reply = testFrame(macNic, macPeer, 1200, 9);
      peer.send(reply);
      await vi.waitFor(() => expect(bytes[0x20000 + 12] & 1).toBe(1)); // DD of descriptor 0
      expect(ram.getUint16(0x20000 + 8, true)).toBe(reply.length);
      expect(Array.from(bytes.subarray(0x30000, 0x30000 + reply.length))).toEqual(Array.from(reply));
      await m.stop();
      expect(sw.portCount).toBe(1); // the NIC's port was unplugged
    }, 60_000);
  }

  it('a NIC without netdev has no link; a private switch netdev runs the gateway services', async () => {
    const m = await machine('isolated', [{ type: 'e1000' }, { type: 'e1000', props: { netdev: 'n0' } }], { netdevs: [{ id: 'n0', kind: 'switch' }] });
    const r = (id: string) => m.device(id)!.model.mmioRead!(0, REG.STATUS, 4);
    await vi.waitFor(() => expect(r('e1000.1') & 2).toBe(2));
    expect(r('e1000.0') & 2).toBe(0);
    expect(m.network!.netdevs.get('n0')!.services).toBeInstanceOf(NetworkServices);
  }, 60_000);

  it('policy strict: the ne2k_pci machine is refused, the e1000 machine starts', async () => {
    const netdevs = [{ id: 'n0', kind: 'switch' as const }];
    const refused = machine('isolated', [{ type: 'ne2k_pci', props: { netdev: 'n0' } }], { policy: 'strict', netdevs });
    await expect(refused).rejects.toBeInstanceOf(SecurityRefusedError);
    await expect(refused).rejects.toThrow(/ne2k_pci/);
    const m = await machine('isolated', [{ type: 'e1000', props: { netdev: 'n0' } }], { policy: 'strict', netdevs });
    m.start();
    expect(m.state).toBe('running');
    expect(m.security.reasons).toEqual([]);
  }, 60_000);
});

describe('command line: --netdev, --device NIC,netdev=ID, --nic', () => {
  it('parses netdevs and NICs and rejects what QEMU would', async () => {
    const { parseArgs, checkNetdevs, UsageError } = await import('../../src/cli/options.js');
    const o = parseArgs(['--netdev', 'switch,id=n0', '--netdev', 'websocket,id=w0,url=ws://127.0.0.1:8086/', '--device', 'e1000,netdev=n0', '--nic', 'ne2k_pci']);
    expect(o.netdevs).toEqual([{ kind: 'switch', id: 'n0' }, { kind: 'websocket', id: 'w0', url: 'ws://127.0.0.1:8086/' }, { kind: 'switch', id: 'nic2' }]);
    expect(o.devices).toEqual([{ type: 'e1000', props: { netdev: 'n0' } }, { type: 'ne2k_pci', props: { netdev: 'nic2' } }]);
    expect(() => checkNetdevs(o)).not.toThrow();
    const bad = (args: string[]) => {
      try {
        checkNetdevs(parseArgs(args));
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad(['--netdev', 'tap,id=t0'])).toBe("--netdev: 'tap' is not a netdev kind (switch, websocket)");
    expect(bad(['--netdev', 'switch'])).toBe('--netdev switch: id=ID is required');
    expect(bad(['--netdev', 'switch,id=n0,url=ws://x'])).toBe("--netdev switch: unknown key 'url' (keys: id)");
    expect(bad(['--netdev', 'websocket,id=w0'])).toBe('--netdev websocket: url=ws://... or wss://... is required');
    expect(bad(['--netdev', 'switch,id=n0', '--netdev', 'switch,id=n0'])).toBe("--netdev: id 'n0' is used twice");
    expect(bad(['--device', 'e1000,netdev=n1'])).toBe("--device e1000: netdev 'n1' is not defined (add --netdev switch,id=n1)");
    expect(bad(['--nic', 'e1000,netdev=x'])).toBe('--nic: the NIC gets its own netdev; use --netdev and --device for netdev=');
  });
});
