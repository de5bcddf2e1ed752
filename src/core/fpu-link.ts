// Link point between the integer core and the x87 FPU (src/core/fpu/index.ts). The seam:
// the core decodes ModRM/EA of D8-DF, checks CR0.EM/TS (#NM) and calls fpuExec (in its x87 run
// loop, the inlined fast paths first: fpuRegisterFastInline before any EA decode,
// fpuMemoryFastInline); FWAIT checks CR0.MP&TS and calls fpuWait; reset calls fpuInit;
// CPUID.FPU follows fpuPresent().
export { fpuExec, fpuRegisterFastInline, fpuMemoryFastInline, fpuWait, fpuInit } from './fpu/index';
import { fpuPresent } from './fpu/index';
export function fpuPresentLink(): bool { return fpuPresent(); }
