/**
 * Entry of the 'network' device worker (browser). The first import locks the global scope down
 * (docs/isolation.md); the worker script is served with the 'network' Content-Security-Policy
 * (src/node/worker-csp.ts). Then it answers control calls over comlink and serves its channel.
 * A NIC's backend arrives as `{ kind: PACKET_PORT_KIND, port }` (a transferred MessagePort whose
 * other end the CPU side bridges to a switch port or a WebSocket relay: backend-bridge.ts);
 * packetPortFromDescription turns it into the NIC's PacketPort (src/net/remote.ts).
 */
import './lockdown/network.js';
import { startBrowserDeviceWorker } from './device-entry.js';
import { registerBackendAdapter } from '../channel/worker-host.js';
import { PACKET_PORT_KIND, packetPortFromDescription } from '../net/remote.js';

registerBackendAdapter(PACKET_PORT_KIND, packetPortFromDescription);
startBrowserDeviceWorker();
