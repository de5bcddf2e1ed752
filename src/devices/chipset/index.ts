/** Device types of the 'chipset' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const chipsetDeviceTypes: DeviceType[] = [];
