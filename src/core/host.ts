// Wasm imports of the Bulkhead CPU core: the host side of src/machine/cpu-api.ts (CpuHost).
// Every call leaves wasm, so the core only calls these for port I/O, MMIO pages, interrupt
// acknowledge, the FERR# line and the TSC clock (RDTSC), never for ordinary RAM accesses.

/** IN: size 1, 2 or 4 bytes. */
@external("env", "portRead") export declare function hostPortRead(port: u32, size: u32): u32;
@external("env", "portWrite") export declare function hostPortWrite(port: u32, size: u32, value: u32): void;
/** Bulk `rep ins`: store `count` items at guest physical `phys` (contiguous RAM); returns items moved. */
@external("env", "portReadString") export declare function hostPortReadString(port: u32, size: u32, count: u32, phys: u32): u32;
@external("env", "portWriteString") export declare function hostPortWriteString(port: u32, size: u32, count: u32, phys: u32): u32;
@external("env", "mmioRead") export declare function hostMmioRead(phys: u32, size: u32): u32;
@external("env", "mmioWrite") export declare function hostMmioWrite(phys: u32, size: u32, value: u32): void;
/** INTA: the vector of the highest-priority pending interrupt. */
@external("env", "interruptAcknowledge") export declare function hostInterruptAcknowledge(): u32;
/**
 * The platform clock in TSC ticks (CpuCoreApi.setTscSource: nowNs() * tscHz / 1e9), read live on
 * RDTSC / RDMSR(IA32_TSC) / WRMSR(IA32_TSC) only; negative when the host set no source (the core
 * then counts retired instructions).
 */
@external("env", "tscNow") export declare function hostTscNow(): f64;
/** FERR# level (legacy x87 error reporting through IRQ 13). */
@external("env", "ferr") export declare function hostFerr(level: u32): void;
