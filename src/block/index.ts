/**
 * The block layer's public surface: the interface (api.ts) and every pure backend. The Node
 * file backend lives in src/node/file-block.ts, the IndexedDB overlay store in
 * src/workers/block-idb-store.ts.
 */
export * from './api.js';
export * from './validate.js';
export * from './memory.js';
export * from './blob.js';
export * from './url.js';
export * from './overlay-store.js';
export * from './overlay.js';
