/**
 * Network backends of a machine (QEMU's `-netdev` / `-device NIC,netdev=ID` split): the machine
 * config lists netdevs, each NIC names one with its `netdev` property, and this file turns that
 * into the NIC's PacketPort backend (src/net/packet-port.ts) before the devices are placed.
 *
 *   { id, kind: 'switch', switch? }      a port on a VirtualSwitch; several NICs (of this machine
 *                                        or of other machines in the same process) may share one
 *                                        switch. Without `switch` the machine gets a private one
 *                                        with NetworkServices (gateway 10.0.2.2, DHCP from
 *                                        10.0.2.15), as QEMU's default user network.
 *   { id, kind: 'websocket', url }       a WebSocketPort to a relay (one raw frame per binary
 *                                        message); needs MachineHost.webSocket. One NIC.
 *
 * A NIC with an empty `netdev` and no explicit backend has no medium (link down). A NIC without a
 * `mac` gets defaultMacFor(its id), so its address does not depend on the placement.
 * Pure ES2022: the WebSocket constructor and timers come from the host.
 */
import type { DeviceProps, DeviceType } from '../devices/api.js';
import { defaultMacFor } from '../devices/network/nic-common.js';
import { NetworkServices, type NetworkServicesOptions } from '../net/services.js';
import { VirtualSwitch, type SwitchPort } from '../net/switch.js';
import { WebSocketPort, type WebSocketConstructor } from '../net/websocket.js';
import type { PacketPort } from '../net/packet-port.js';

/** One network backend of the machine. */
export type NetdevConfig =
  | {
    id: string;
    kind: 'switch';
    /** The switch to plug into (shared between machines); default: a private switch with services. */
    switch?: VirtualSwitch;
    /**
     * Run NetworkServices (DHCP, ARP/ICMP gateway, UDP echo, TCP discard) on the switch:
     * default true for a private switch, false for a given one (its owner runs them once).
     */
    services?: boolean | NetworkServicesOptions;
  }
  | { id: string; kind: 'websocket'; url: string };

/** What the wiring needs from the host. */
export interface NetWiringEnv {
  /** WebSocket constructor for 'websocket' netdevs (the browser's, Node ≥ 22's global one). */
  webSocket?: WebSocketConstructor;
  /** Timer for WebSocket reconnection (setTimeout). */
  schedule?: (cb: () => void, ms: number) => void;
  /** Host milliseconds for the switches' MAC ageing. */
  nowMs?: () => number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** A NIC instance as the machine builder sees it (props already with defaults). */
export interface NicInstance {
  id: string;
  type: DeviceType;
  props: DeviceProps;
  backend: unknown;
}

/** One wired netdev. */
export interface WiredNetdev {
  config: NetdevConfig;
  /** The switch of a 'switch' netdev (given or private). */
  switch?: VirtualSwitch;
  /** The gateway services this machine runs on that switch, if any. */
  services?: NetworkServices;
  /** @internal The services' own switch port. */
  servicesPort?: SwitchPort;
  /** NIC id → its port. */
  ports: Map<string, PacketPort>;
}

/** The machine's network: netdevs by id. `dispose` unplugs every port (the machine stopped). */
export class NetWiring {
  readonly netdevs = new Map<string, WiredNetdev>();
  private disposed = false;

  /** The port a NIC got (undefined: unplugged or given an explicit backend). */
  portOf(nicId: string): PacketPort | undefined {
    for (const n of this.netdevs.values()) {
      const p = n.ports.get(nicId);
      if (p) return p;
    }
    return undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const n of this.netdevs.values()) {
      n.services?.destroy();
      n.servicesPort?.disconnect();
      for (const p of n.ports.values()) {
        if (p instanceof WebSocketPort) p.close();
        else (p as SwitchPort).disconnect?.();
      }
    }
  }
}

const ID_RE = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Give every NIC of `nics` (devices of class 'network') its backend from `netdevs`, filling
 * `props.mac` when empty. Mutates the instances. Throws on an unknown or malformed netdev, a
 * netdev named by a NIC that also has an explicit backend, or a WebSocket shared by two NICs.
 */
export function wireNetdevs(netdevs: readonly NetdevConfig[] | undefined, nics: NicInstance[], env: NetWiringEnv = {}): NetWiring {
  const wiring = new NetWiring();
  for (const n of netdevs ?? []) {
    if (!n || typeof n.id !== 'string' || !ID_RE.test(n.id)) throw new Error(`netdev: id '${String(n?.id)}' is not an identifier`);
    if (wiring.netdevs.has(n.id)) throw new Error(`netdev '${n.id}' is defined twice`);
    if (n.kind === 'switch') {
      const own = n.switch === undefined;
      const sw = n.switch ?? new VirtualSwitch({ nowMs: env.nowMs });
      const want = n.services ?? own;
      const servicesPort = want ? sw.connect(`${n.id}.services`) : undefined;
      const services = servicesPort ? new NetworkServices(servicesPort, typeof want === 'object' ? want : {}) : undefined;
      wiring.netdevs.set(n.id, { config: n, switch: sw, services, servicesPort, ports: new Map() });
    } else if (n.kind === 'websocket') {
      if (typeof n.url !== 'string' || !/^wss?:\/\//i.test(n.url)) throw new Error(`netdev '${n.id}': url must start with ws:// or wss://`);
      wiring.netdevs.set(n.id, { config: n, ports: new Map() });
    } else {
      throw new Error(`netdev '${(n as { id: string }).id}': unknown kind '${String((n as { kind: unknown }).kind)}' (switch, websocket)`);
    }
  }
  for (const nic of nics) {
    if (nic.type.class !== 'network') continue;
    if (typeof nic.props.mac !== 'string' || nic.props.mac.trim() === '') nic.props.mac = defaultMacFor(nic.id);
    const name = typeof nic.props.netdev === 'string' ? nic.props.netdev.trim() : '';
    if (name === '') continue; // explicit backend, or unplugged
    const nd = wiring.netdevs.get(name);
    if (!nd) {
      const known = [...wiring.netdevs.keys()];
      throw new Error(`${nic.id}: netdev '${name}' is not defined (${known.length ? `netdevs: ${known.join(', ')}` : 'the machine has no netdevs'})`);
    }
    if (nic.backend !== undefined) throw new Error(`${nic.id}: both a backend and netdev '${name}' given`);
    let port: PacketPort;
    if (nd.config.kind === 'switch') {
      port = nd.switch!.connect(nic.id);
    } else {
      if (nd.ports.size > 0) throw new Error(`netdev '${name}' (websocket) is already used by ${[...nd.ports.keys()].join(', ')}`);
      if (!env.webSocket) throw new Error(`netdev '${name}': this host has no WebSocket (Node ≥ 22, or the browser)`);
      port = new WebSocketPort(env.webSocket, nd.config.url, { schedule: env.schedule, log: (m) => env.log?.('warn', `netdev ${name}: ${m}`) });
    }
    nd.ports.set(nic.id, port);
    nic.backend = port;
  }
  for (const [id, nd] of wiring.netdevs) {
    if (nd.ports.size === 0) env.log?.('warn', `netdev '${id}' is not used by any NIC`);
  }
  return wiring;
}
