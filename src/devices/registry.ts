/**
 * The device registry: the one list of device types, from which the machine builder, the
 * settings UI, the security panel and the conformance tests are generated. Adding a device
 * means one folder under its class and one entry in that class's index.ts.
 */
import type { DeviceClass, DeviceType } from './api.js';
import { chipsetDeviceTypes } from './chipset/index.js';
import { storageDeviceTypes } from './storage/index.js';
import { consoleDeviceTypes } from './console/index.js';
import { inputDeviceTypes } from './input/index.js';
import { displayDeviceTypes } from './display/index.js';
import { networkDeviceTypes } from './network/index.js';
import { soundDeviceTypes } from './sound/index.js';

export const deviceTypes: readonly DeviceType[] = [
  ...chipsetDeviceTypes,
  ...storageDeviceTypes,
  ...consoleDeviceTypes,
  ...inputDeviceTypes,
  ...displayDeviceTypes,
  ...networkDeviceTypes,
  ...soundDeviceTypes,
];

const byName = new Map<string, DeviceType>();
for (const t of deviceTypes) {
  if (byName.has(t.name)) throw new Error(`device registry: duplicate type name '${t.name}'`);
  byName.set(t.name, t);
}

/** The device type called `name`, or undefined. */
export function findDeviceType(name: string): DeviceType | undefined {
  return byName.get(name);
}

export function deviceTypesOfClass(cls: DeviceClass): DeviceType[] {
  return deviceTypes.filter((t) => t.class === cls);
}
