/**
 * `bulkhead --qmp stdio`: the QEMU Machine Protocol over a line stream (docs/qmp.md,
 * QEMU docs/interop/qmp-spec.rst). The greeting goes out first, then the events the machine
 * emitted before the connection (start-time TAINTED, SECURITY_WARNING), then one JSON object per
 * line: an answer for each input line, in input order, and events as they happen. Commands run
 * one at a time; a malformed line gets an error answer and the stream goes on. `quit` answers
 * and then ends the session; end of input ends it too.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Machine } from '../machine/machine.js';
import { QMP_GREETING } from '../qmp/dispatcher.js';
import { parseQmpLine } from '../qmp/protocol.js';

export interface QmpSessionOptions {
  input: Readable;
  /** Write one line (without its newline). */
  writeLine(line: string): void;
  /** The session ended: 'quit' after the quit answer was written, 'eof' at end of input. */
  onEnd(reason: 'quit' | 'eof'): void;
  /** Called just before `quit` runs (it stops the machine before its answer is written). */
  beforeQuit?(): void;
}

/** Serve QMP for `machine` on a line stream until quit or end of input. */
export function serveQmp(machine: Machine, o: QmpSessionOptions): { close(): void } {
  let ended = false;
  const send = (v: unknown) => {
    if (!ended) o.writeLine(JSON.stringify(v));
  };
  send(QMP_GREETING);
  for (const e of machine.qmpEvents) send(e);
  const offEvents = machine.events.on('qmp', (e) => send(e));

  const rl = createInterface({ input: o.input, crlfDelay: Infinity, terminal: false });
  let queue: Promise<void> = Promise.resolve();
  const end = (reason: 'quit' | 'eof') => {
    if (ended) return;
    ended = true;
    offEvents();
    rl.close();
    o.onEnd(reason);
  };
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    queue = queue.then(async () => {
      if (ended) return;
      const parsed = parseQmpLine(line);
      if (!('execute' in parsed)) {
        send(parsed);
        return;
      }
      if (parsed.execute === 'quit') o.beforeQuit?.();
      const answer = await machine.qmp(parsed);
      send(answer);
      if (parsed.execute === 'quit' && 'return' in answer) end('quit');
    });
  });
  rl.on('close', () => {
    // Finish the commands already read, then end.
    void queue.then(() => end('eof'));
  });
  return { close: () => end('eof') };
}
