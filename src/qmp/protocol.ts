/**
 * QMP wire shapes (QEMU Machine Protocol, docs/interop/qmp-spec.rst): the greeting, commands
 * `{"execute", "arguments"?, "id"?}`, answers `{"return", "id"?}` or
 * `{"error": {"class", "desc"}, "id"?}`, and events `{"event", "data"?, "timestamp"}`.
 */

export type QmpErrorClass = 'GenericError' | 'CommandNotFound' | 'DeviceNotFound' | 'DeviceNotActive';

export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

export type QmpAnswer =
  | { return: unknown; id?: unknown }
  | { error: { class: QmpErrorClass; desc: string }; id?: unknown };

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

/** An error a command handler throws to answer with a QMP error of that class. */
export class QmpError extends Error {
  constructor(readonly errorClass: QmpErrorClass, desc: string) {
    super(desc);
  }
}

/** QMP's timestamp form from milliseconds since the epoch. */
export function qmpTimestamp(epochMs: number): QmpEvent['timestamp'] {
  const seconds = Math.floor(epochMs / 1000);
  const microseconds = Math.floor((epochMs - seconds * 1000) * 1000);
  return { seconds, microseconds };
}

/** Parse one line of QMP input; a malformed line yields an error answer, never a throw. */
export function parseQmpLine(line: string): QmpCommand | QmpAnswer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { error: { class: 'GenericError', desc: `JSON parse error: ${(e as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: { class: 'GenericError', desc: 'QMP input must be a JSON object' } };
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.execute !== 'string') {
    return { error: { class: 'GenericError', desc: "QMP input lacks member 'execute'" }, id: obj.id };
  }
  if (obj.arguments !== undefined && (typeof obj.arguments !== 'object' || obj.arguments === null || Array.isArray(obj.arguments))) {
    return { error: { class: 'GenericError', desc: "QMP input member 'arguments' must be an object" }, id: obj.id };
  }
  return { execute: obj.execute, arguments: obj.arguments as Record<string, unknown> | undefined, id: obj.id };
}
