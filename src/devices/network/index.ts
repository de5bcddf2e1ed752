/** Device types of the 'network' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const networkDeviceTypes: DeviceType[] = [];
