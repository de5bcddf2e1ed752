/**
 * comlink's Node adapter (comlink/dist/esm/node-adapter.mjs) with a type: it turns a
 * worker_threads Worker or MessagePort into a comlink Endpoint.
 */
import type { Endpoint } from 'comlink';
// @ts-expect-error the package ships this file without a declaration next to it
import adapter from 'comlink/dist/esm/node-adapter.mjs';

/** A worker_threads Worker / MessagePort / parentPort as a comlink endpoint. */
export const nodeEndpoint = adapter as (nep: {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(event: 'message', listener: (data: unknown) => void): unknown;
  off(event: 'message', listener: (data: unknown) => void): unknown;
  start?(): void;
}) => Endpoint;
