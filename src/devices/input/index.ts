/** Device types of the 'input' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const inputDeviceTypes: DeviceType[] = [];
