// The VIP sampler's loop, in a worker thread of its own: the test's main thread blocks in synchronous calls (the CLI
// through spawnSync, `ip` through execFileSync) for tens of milliseconds at a time, which held a sampler on it back
// to one sample every ~27 ms on a loaded machine. Here it keeps its cadence whatever the test does. The main thread
// parks a process in each namespace and writes its PID into shared memory; this loop reads that namespace's local
// addresses from /proc/PID/net/fib_trie.

import { readFileSync } from "node:fs";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

export interface SamplerWorkerData {
  nodes: string[];
  vip: string;
  sampleMs: number;
  maxSpreadMs: number;
  /** Int32 per node: the parked PID (0: none yet); then per node: 1 if excluded; then the stop flag. */
  shared: SharedArrayBuffer;
}

export interface SamplerResult {
  samples: number;
  spread: number;
  seen: number;
  overlaps: string[];
  overlapTimes: number[];
  /** From the first sample to the last (the cadence achieved, without the worker's start). */
  sampledMs: number;
}

// (The test runner also runs every file under test/ as a test: on the main thread this file does nothing.)
if (!isMainThread) sample(workerData as SamplerWorkerData);

function sample({ nodes, vip, sampleMs, maxSpreadMs, shared }: SamplerWorkerData): void {
  const cells = new Int32Array(shared);
  const stopIndex = 2 * nodes.length;
  const local = new RegExp(`\\|-- ${vip.replace(/\./g, "\\.")}\\n\\s+/32 host LOCAL`);
  const pause = new Int32Array(new SharedArrayBuffer(4));

  const holdsNow = (i: number): boolean => {
    const pid = Atomics.load(cells, i);
    if (pid === 0) return false; // its parked process is being replaced
    try {
      return local.test(readFileSync(`/proc/${pid}/net/fib_trie`, "utf8"));
    } catch {
      return false; // it just died; the main thread parks another
    }
  };

  const r: SamplerResult = { samples: 0, spread: 0, seen: 0, overlaps: [], overlapTimes: [], sampledMs: 0 };
  const firstMs = performance.now();
  // A fixed cadence: a late wake-up is made up by a shorter wait next time, up to one period of debt.
  let nextMs = performance.now();
  while (Atomics.load(cells, stopIndex) === 0) {
    const at = Date.now();
    const t0 = performance.now();
    const holders = nodes.filter((_, i) => Atomics.load(cells, nodes.length + i) === 0 && holdsNow(i));
    const spreadMs = performance.now() - t0;
    r.samples++;
    if (holders.length > 0) r.seen++;
    if (spreadMs > maxSpreadMs) r.spread++;
    else if (holders.length > 1) {
      r.overlaps.push(`${new Date(at).toISOString().slice(11, 23)} ${holders.join("+")}`);
      r.overlapTimes.push(at);
    }
    nextMs = Math.max(nextMs + sampleMs, performance.now() - sampleMs);
    Atomics.wait(pause, 0, 0, Math.max(0, nextMs - performance.now()));
  }
  r.sampledMs = performance.now() - firstMs;
  parentPort!.postMessage(r);
}
