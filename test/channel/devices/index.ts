/** Test device types for the channel suite, loaded by both placements via services.typeModules. */
import type { DeviceType } from '../../../src/devices/api.js';
import { testDmaType } from './test-dma.js';
import { testEchoType } from './test-echo.js';
import { testBackendType } from './test-backend.js';

export const deviceTypes: DeviceType[] = [testEchoType, testDmaType, testBackendType];
