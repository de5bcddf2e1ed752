/**
 * Network backends for Bulkhead's NICs: the PacketPort interface, a learning virtual switch
 * with gateway services (ARP, ICMP echo, DHCP), bridges over message channels and a WebSocket
 * relay port. Pure ES2022; see docs/network.md.
 */
export * from './packet-port.js';
export * from './frame.js';
export { VirtualSwitch, SwitchPort, MAC_AGEING_MS, type SwitchOptions, type SwitchPortStats } from './switch.js';
export { DhcpServer, parseDhcp, encodeDhcp, DHCP, OPT, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, type DhcpMessage, type DhcpPoolOptions } from './dhcp.js';
export { NetworkServices, UDP_ECHO_PORT, type NetworkServicesOptions, type ServiceStats } from './services.js';
export { TcpSink, TCP_DISCARD_PORT, type TcpSinkStats } from './tcp-sink.js';
export { bridgePort, RemotePacketPort, PACKET_PORT_KIND, packetPortFromDescription, type MessageEndpoint, type PacketPortDescription, type PortMessage } from './remote.js';
export { WebSocketPort, type WebSocketLike, type WebSocketConstructor, type WebSocketPortOptions } from './websocket.js';
