/**
 * Device types of the 'chipset' class, collected for the registry (src/devices/registry.ts),
 * and the extra interfaces the machine uses to wire them (see docs/chipset.md).
 */
import type { DeviceType } from '../api.js';
import { debugconType } from './debugcon.js';
import { dmaType } from './dma.js';
import { fwCfgType } from './fw-cfg.js';
import { i440fxType } from './pci/i440fx.js';
import { piix3Type } from './pci/piix3.js';
import { picType } from './pic.js';
import { pitType } from './pit.js';
import { port92Type } from './port92.js';
import { rtcType } from './rtc.js';

export const chipsetDeviceTypes: DeviceType[] = [
  picType,
  pitType,
  rtcType,
  i440fxType,
  piix3Type,
  port92Type,
  dmaType,
  fwCfgType,
  debugconType,
];

export * from './interfaces.js';
export { DualPic } from './pic.js';
export { Pit } from './pit.js';
export { Rtc, type RtcTimeSource } from './rtc.js';
export { fillPcCmos, updateCmosChecksum, type PcCmosConfig, type CmosDiskGeometry, type BootDeviceLetter, type FloppyDriveType } from './cmos-layout.js';
export { I440fxHost, I440FX_IDENTITY } from './pci/i440fx.js';
export { Piix3, PIIX3_IDENTITY, PIIX3_DEVFN } from './pci/piix3.js';
export { PciBus, type PirqRouter, type PciBarListener } from './pci/bus.js';
export { PciFunction, ROM_BAR, type PciBarMapping, type PciFunctionOptions, type PciHeaderDefaults } from './pci/config-space.js';
export { Port92 } from './port92.js';
export { IsaDmaController } from './dma.js';
export { FwCfg } from './fw-cfg.js';
export { FW_CFG, defaultE820, type FwCfgConfig, type E820Entry } from './fw-cfg-items.js';
export { DebugCon } from './debugcon.js';
