/** Device types of the 'storage' class, collected for the registry (src/devices/registry.ts). */
import type { DeviceType } from '../api.js';
import { isaFdcType } from './fdc/isa-fdc.js';
import { floppyType } from './fdc/floppy.js';
import { ideCdType, ideHdType } from './ide/drives.js';
import { piix3IdeType } from './ide/piix3-ide.js';

export const storageDeviceTypes: DeviceType[] = [piix3IdeType, ideHdType, ideCdType, isaFdcType, floppyType];
