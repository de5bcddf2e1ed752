// The FPU's only window onto the rest of the Bulkhead CPU core: segmented guest memory
// (src/core/mem.ts), exceptions, control registers, EFLAGS and the FERR#/IRQ 13 line
// (src/core/cpu.ts), and AX for FNSTSW AX (src/core/state.ts). Adapting the FPU to changes in
// those modules is a change to this file alone. The unit tests replace this file with
// test/fpu/fake-link.ts (see test/fpu/build.ts).

export { rd8, rd16, rd32, wr8, wr16, wr32, probeWrite } from '../mem';
export {
  faultPending, raiseException, getCr0, readEflags, writeEflags, instrStartEip, segSelector,
  cpuMode, raiseIrq13,
} from '../cpu';
import { w16 } from '../state';

/** FNSTSW AX: write the low 16 bits of EAX. */
export function writeAx(v: u32): void { w16(0, v); }
