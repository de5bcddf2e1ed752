/** Device types of the 'storage' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const storageDeviceTypes: DeviceType[] = [];
