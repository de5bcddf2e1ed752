/** Device types of the 'sound' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const soundDeviceTypes: DeviceType[] = [];
