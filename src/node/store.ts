// Crash-safe local state: write a temporary file, fsync it, rename it over the old one, fsync the directory.
// A kill -9 at any instant leaves either the old or the new file, never a torn one.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { LeaseRecord } from "../core/controller/types.js";

export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export type LoadOutcome<T> =
  { kind: "missing" } | { kind: "ok"; value: T } | { kind: "corrupt"; movedTo: string; error: string };

/** Reads JSON state; a file that does not parse is moved aside (kept for a human) rather than trusted or lost. */
export function readJsonState<T>(path: string, isValid: (v: unknown) => v is T): LoadOutcome<T> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw e;
  }
  let error: string;
  try {
    const value: unknown = JSON.parse(text);
    if (isValid(value)) return { kind: "ok", value };
    error = "unexpected structure";
  } catch (e) {
    error = (e as Error).message;
  }
  const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, "")}`;
  renameSync(path, movedTo);
  return { kind: "corrupt", movedTo, error };
}

/** Saves the latest value; writes are synchronous (small files) so a crash right after an event loses nothing. */
export class StateFile<T> {
  private lastText?: string;
  constructor(readonly path: string) {}
  save(value: T): boolean {
    const text = JSON.stringify(value);
    if (text === this.lastText) return false;
    writeFileAtomic(this.path, text);
    this.lastText = text;
    return true;
  }
}

/** lease.json: written by the daemon while it holds its quorum lease, read by its successor and the supervisor. */
export const isLeaseRecord = (v: unknown): v is LeaseRecord => {
  const x = v as Partial<LeaseRecord> | null;
  return typeof x?.heldAtMs === "number" && typeof x.keepUntilMs === "number";
};

/** The daemon's state directory: made private (700) if new; refused, with the reason, if another user owns it or
 * group or others may write in it (they could swap its files or the admin socket). */
export function privateStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    throw new Error(`state directory ${dir} belongs to uid ${st.uid}, not to this daemon's user (uid ${uid})`);
  if (st.mode & 0o022)
    throw new Error(
      `state directory ${dir} is writable by ${st.mode & 0o020 ? "its group" : "others"} (mode ${(st.mode & 0o777).toString(8)}): chmod 700 ${dir}`,
    );
}
