/** Device types of the 'display' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const displayDeviceTypes: DeviceType[] = [];
