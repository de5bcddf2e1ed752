/**
 * Console text and watchers: keeps what each console (debugcon, traced ports, serial) has
 * shown as Latin-1 text (bounded), and resolves watchers when a string appears on one of them.
 * Timeouts are driven by the caller (the machine arms them with the host's sleep()), so they
 * fire whether or not the guest is running.
 */

export interface ConsoleMatch {
  source: string;
  text: string;
}

interface Watcher {
  text: string;
  sources: string[] | undefined;
  resolve(m: ConsoleMatch): void;
  reject(e: Error): void;
}

const KEEP = 1 << 20;

export class ConsoleWatch {
  private readonly texts = new Map<string, string>();
  private watchers: Watcher[] = [];

  /** Append bytes shown on `source`; resolve watchers whose text now appears. */
  feed(source: string, bytes: Uint8Array, _nowMs: number): void {
    let add = '';
    for (let i = 0; i < bytes.length; i++) add += String.fromCharCode(bytes[i]);
    const before = this.texts.get(source) ?? '';
    let all = before + add;
    if (all.length > KEEP) all = all.slice(all.length - KEEP);
    this.texts.set(source, all);
    if (this.watchers.length === 0) return;
    const keep: Watcher[] = [];
    for (const w of this.watchers) {
      if ((!w.sources || w.sources.includes(source)) && this.tailIncludes(all, add.length, w.text)) {
        w.resolve({ source, text: w.text });
      } else {
        keep.push(w);
      }
    }
    this.watchers = keep;
  }

  /** Whether `text` appears in `all` within the last `added` chars plus text.length-1 before. */
  private tailIncludes(all: string, added: number, text: string): boolean {
    const from = Math.max(0, all.length - added - text.length + 1);
    return all.indexOf(text, from) >= 0;
  }

  text(source: string): string {
    return this.texts.get(source) ?? '';
  }

  sources(): string[] {
    return [...this.texts.keys()];
  }

  /** A watcher for `text`; `expire` rejects it (a no-op once it has resolved). */
  watch(text: string, sources?: string[]): { promise: Promise<ConsoleMatch>; expire(reason: string): void } {
    for (const [source, all] of this.texts) {
      if ((!sources || sources.includes(source)) && all.includes(text)) {
        return { promise: Promise.resolve({ source, text }), expire: () => {} };
      }
    }
    let w!: Watcher;
    const promise = new Promise<ConsoleMatch>((resolve, reject) => {
      w = { text, sources, resolve, reject };
      this.watchers.push(w);
    });
    const expire = (reason: string) => {
      const i = this.watchers.indexOf(w);
      if (i < 0) return;
      this.watchers.splice(i, 1);
      w.reject(new Error(reason));
    };
    return { promise, expire };
  }

  failAll(reason: string): void {
    const ws = this.watchers;
    this.watchers = [];
    for (const w of ws) w.reject(new Error(`${reason} (while waiting for ${JSON.stringify(w.text)})`));
  }
}
