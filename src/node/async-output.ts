// Output that never makes the daemon's event loop wait. Its heartbeats leave from that loop: a write to a pipe whose
// reader is slow (journald under load, a busy terminal or test harness) or to a busy disk must not delay them —
// Node writes to a pipe synchronously, so a full pipe would stop the loop until the reader catches up. Lines go
// through a stream (written by libuv's threads); if the reader falls far behind, lines are dropped and counted
// rather than piled up without bound. Small state files are written the same way, the newest value winning.

import { createWriteStream, type WriteStream } from "node:fs";
import { rename, writeFile } from "node:fs/promises";

/** A bounded, ordered line writer on a file descriptor or a file (appended to). */
export class LineSink {
  private readonly stream: WriteStream;
  private queuedBytes = 0;
  private dropped = 0;
  private failed = false;
  private waiting: Array<() => void> = [];

  constructor(
    target: { fd: number } | { path: string },
    private readonly maxQueuedBytes = 1 << 20,
  ) {
    this.stream =
      "fd" in target
        ? createWriteStream("", { fd: target.fd, autoClose: false })
        : createWriteStream(target.path, { flags: "a", mode: 0o600 });
    this.stream.on("error", () => {
      this.failed = true; // the reader is gone or the disk refuses: the daemon goes on without this output
      for (const done of this.waiting.splice(0)) done();
    });
  }

  write(line: string): void {
    if (this.failed) return;
    if (this.queuedBytes > this.maxQueuedBytes) {
      this.dropped++;
      return;
    }
    if (this.dropped > 0) {
      const note = `(${this.dropped} log line(s) dropped here: the reader of this output fell behind)\n`;
      this.dropped = 0;
      this.push(note);
    }
    this.push(line.endsWith("\n") ? line : `${line}\n`);
  }

  private push(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.queuedBytes += bytes;
    this.stream.write(text, () => {
      this.queuedBytes -= bytes;
      if (this.queuedBytes === 0) for (const done of this.waiting.splice(0)) done();
    });
  }

  /** Resolves once everything written so far has left — or after `timeoutMs`: a reader that stopped reading must
   * not keep the daemon from exiting. */
  flush(timeoutMs = 1000): Promise<void> {
    if (this.failed || this.queuedBytes === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Replaces a small file atomically (temporary file, then rename) off the event loop; writes never overlap, and
 * a value written while one is under way replaces any still waiting. */
export class LatestFile {
  private busy = false;
  private next: string | undefined;

  constructor(
    private readonly path: string,
    private readonly onError: (e: Error) => void,
  ) {}

  write(text: string): void {
    this.next = text;
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    while (this.next !== undefined) {
      const text = this.next;
      this.next = undefined;
      try {
        await writeFile(`${this.path}.tmp`, text, { mode: 0o600 });
        await rename(`${this.path}.tmp`, this.path);
      } catch (e) {
        this.onError(e as Error);
      }
    }
    this.busy = false;
  }
}
