/** Device types of the 'console' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';

export const consoleDeviceTypes: DeviceType[] = [];
