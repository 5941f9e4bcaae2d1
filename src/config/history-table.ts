// A node's resource histories held column by column, as the CIB reader finds them. A status of 32 nodes × 10 000
// resources has 320 000 history entries with 350 000 records: as objects (an entry, its list, its records and their
// strings) they are over a million long-lived allocations, and keeping them cost the read more than reading them.
// Here they are numbers in typed arrays and offsets into the CIB text; an entry becomes objects only when asked
// (`entryAt`), and most are never asked for: a probe that found the resource stopped says all it has to say through
// `stoppedProbe`. Plain data (no class), so that structuredClone keeps it whole.

import type { LrmResource, OpRecord } from "./cluster-model.js";

export interface HistoryTable {
  /** The CIB text the *At/*End offsets below point into — in an object every node's table shares, so that a copy
   * (structuredClone) holds the text once, not once per node. */
  source: { text: string };
  entries: number;
  /** Per entry: its resource id (one string per id, shared across nodes) and agent (index into `agents`). */
  ids: string[];
  agent: Int32Array;
  agents: Array<Pick<LrmResource, "cls" | "provider" | "type" | "container">>;
  /** Per entry: its records are firstOp[e] … firstOp[e + 1] − 1. */
  firstOp: Int32Array;
  /** Per entry, 1: its one record is a probe that found the resource stopped, plainly recorded (nothing else in it
   * bears on a decision, so it need not be made into objects). */
  stoppedProbe: Uint8Array;
  /** Per record. Numbers as Number() read them; `has` bit 1: lastRcChange recorded, bit 2: expectedRc. */
  operation: Uint8Array;
  intervalMs: Float64Array;
  rc: Float64Array;
  status: Float64Array;
  callId: Float64Array;
  lastRcChange: Float64Array;
  expectedRc: Float64Array;
  has: Uint8Array;
  /** Per record: where its id and op-digest are in the text (−1: not recorded), and its feature set (index into
   * `featureSets`, −1: none). */
  idAt: Int32Array;
  idEnd: Int32Array;
  digestAt: Int32Array;
  digestEnd: Int32Array;
  featureSet: Int32Array;
  featureSets: string[];
  /** Operation names by code. */
  operations: string[];
  /** Records with fields most lack (exit reason, migration, reload and secure digests, on_node), whole. */
  rare: Map<number, OpRecord>;
  /** Entries in a shape the in-place reader leaves to the XML reader, whole (in their place in the order). */
  whole: Map<number, LrmResource>;
}

export const HAS_LAST_RC_CHANGE = 1;
export const HAS_EXPECTED_RC = 2;

/** The records of entry `e`, as objects. */
export function opsAt(t: HistoryTable, e: number): OpRecord[] {
  const ops: OpRecord[] = [];
  for (let k = t.firstOp[e]!; k < t.firstOp[e + 1]!; k++) ops.push(t.rare.get(k) ?? plainOpAt(t, k));
  return ops;
}

/** Record `k` without its rare fields. */
export function plainOpAt(t: HistoryTable, k: number): OpRecord {
  const f = t.featureSet[k]!;
  return {
    id: t.idAt[k]! < 0 ? "" : t.source.text.slice(t.idAt[k], t.idEnd[k]),
    operation: t.operations[t.operation[k]!]!,
    intervalMs: t.intervalMs[k]!,
    rc: t.rc[k]!,
    status: t.status[k]!,
    callId: t.callId[k]!,
    lastRcChange: t.has[k]! & HAS_LAST_RC_CHANGE ? t.lastRcChange[k] : undefined,
    opDigest: t.digestAt[k]! < 0 ? undefined : t.source.text.slice(t.digestAt[k], t.digestEnd[k]),
    featureSet: f < 0 ? undefined : t.featureSets[f],
    expectedRc: t.has[k]! & HAS_EXPECTED_RC ? t.expectedRc[k] : undefined,
  };
}

/** Entry `e` as the object a node's `lrm` list holds: made afresh at each call, except one the XML reader read (kept
 * whole, handed out as it is). Read it, do not change it. */
export function entryAt(t: HistoryTable, e: number): LrmResource {
  return t.whole.get(e) ?? { id: t.ids[e]!, ...t.agents[t.agent[e]!]!, ops: opsAt(t, e) };
}

/** Every history entry of a node: its table's (in document order), then its list's. */
export function lrmOf(ns: { lrm: LrmResource[]; history?: HistoryTable }): LrmResource[] {
  const t = ns.history;
  if (!t) return ns.lrm;
  const all: LrmResource[] = [];
  for (let e = 0; e < t.entries; e++) all.push(entryAt(t, e));
  all.push(...ns.lrm);
  return all;
}

/** A node's history entries for resource id `id` (only those are made into objects). */
export function entriesNamed(ns: { lrm: LrmResource[]; history?: HistoryTable }, id: string): LrmResource[] {
  const t = ns.history;
  const found: LrmResource[] = [];
  if (t) for (let e = 0; e < t.entries; e++) if (t.ids[e] === id) found.push(entryAt(t, e));
  for (const lr of ns.lrm) if (lr.id === id) found.push(lr);
  return found;
}

/** Grows the table as the reader goes; `finish` gives it cut to what was read. */
export class HistoryTableBuilder {
  private entryCap: number;
  private opCap: number;
  readonly t: HistoryTable;
  private readonly agentIndex = new Map<string, number>();
  private lastAgent = 0;
  /** `like`: another node's table, most likely about the size of this one (nodes run alike): room for that much and
   * an eighth more is made at once (growing 13 arrays by doubling, node after node, cost ~0.1 s at 32 × 10 000). */
  constructor(source: { text: string }, operations: readonly string[], like?: HistoryTable) {
    this.entryCap = Math.max(1024, Math.ceil((like?.entries ?? 0) * 1.125));
    this.opCap = Math.max(1024, Math.ceil((like?.firstOp[like.entries] ?? 0) * 1.125));
    this.t = {
      source,
      entries: 0,
      ids: [],
      agents: [],
      featureSets: [],
      operations: [...operations],
      rare: new Map(),
      whole: new Map(),
      ...columns(ENTRY_COLUMNS, this.entryCap),
      firstOp: new Int32Array(this.entryCap + 1),
      ...columns(RECORD_COLUMNS, this.opCap),
    };
  }
  /** How many records the table holds (those of an entry being read are not counted until it is committed). */
  get ops(): number {
    return this.t.firstOp[this.t.entries]!;
  }
  /** The table, with room for record number `k`. */
  room(k: number): HistoryTable {
    if (k >= this.opCap) this.growOps();
    return this.t;
  }
  /** Adds an entry whose records were written as the next `ops` records. */
  commit(
    id: string,
    cls: string | undefined,
    provider: string | undefined,
    type: string | undefined,
    container: string | undefined,
    ops: number,
    stoppedProbe: boolean,
  ): void {
    const t = this.t;
    if (t.entries + 1 >= this.entryCap) this.growEntries();
    // (The reader hands the same strings again for the same agent: most entries need no key.)
    const last = t.agents[this.lastAgent];
    let a = this.lastAgent;
    if (!last || last.cls !== cls || last.provider !== provider || last.type !== type || last.container !== container) {
      const key = `${cls}\u0000${provider}\u0000${type}\u0000${container}`;
      const known = this.agentIndex.get(key);
      if (known === undefined) {
        this.agentIndex.set(key, (a = t.agents.length));
        t.agents.push({ cls, provider, type, container });
      } else a = known;
      this.lastAgent = a;
    }
    t.ids.push(id);
    t.agent[t.entries] = a;
    t.stoppedProbe[t.entries] = stoppedProbe ? 1 : 0;
    t.firstOp[t.entries + 1] = t.firstOp[t.entries]! + ops;
    t.entries++;
  }
  /** Adds an entry read by the XML reader, whole. */
  commitWhole(lr: LrmResource): void {
    this.t.whole.set(this.t.entries, lr);
    this.commit(lr.id, lr.cls, lr.provider, lr.type, lr.container, 0, false);
  }
  /** Drops records written for an entry that is not committed after all. */
  forget(first: number, count: number): void {
    for (let k = first; k < first + count; k++) this.t.rare.delete(k);
  }
  operationCode(name: string): number {
    let c = this.t.operations.indexOf(name);
    if (c < 0) {
      if (this.t.operations.length >= 255)
        throw new Error(
          `the status section names more than 255 different operations (the 256th: "${name.slice(0, 40)}"); a CIB written by Pacemaker has about ten`,
        );
      c = this.t.operations.push(name) - 1;
    }
    return c;
  }
  featureSetIndex(fs: string): number {
    const list = this.t.featureSets;
    for (let i = list.length - 1; i >= 0; i--) if (list[i] === fs) return i;
    return list.push(fs) - 1;
  }
  /** The table cut to what was read (views: the room made beyond it stays with them, unused). */
  finish(): HistoryTable {
    const t = this.t;
    return {
      ...t,
      ...resized(t, ENTRY_COLUMNS, t.entries, true),
      firstOp: t.firstOp.subarray(0, t.entries + 1),
      ...resized(t, RECORD_COLUMNS, this.ops, true),
    };
  }
  private growEntries(): void {
    this.entryCap *= 2;
    Object.assign(this.t, resized(this.t, ENTRY_COLUMNS, this.entryCap, false));
    this.t.firstOp = grow(this.t.firstOp, this.entryCap + 1);
  }
  private growOps(): void {
    this.opCap *= 2;
    Object.assign(this.t, resized(this.t, RECORD_COLUMNS, this.opCap, false));
  }
}

/** The columns with one value per entry (firstOp has one more) and per record, and the kind of array each is. */
const ENTRY_COLUMNS = { agent: Int32Array, stoppedProbe: Uint8Array } as const;
const RECORD_COLUMNS = {
  operation: Uint8Array,
  intervalMs: Float64Array,
  rc: Float64Array,
  status: Float64Array,
  callId: Float64Array,
  lastRcChange: Float64Array,
  expectedRc: Float64Array,
  has: Uint8Array,
  idAt: Int32Array,
  idEnd: Int32Array,
  digestAt: Int32Array,
  digestEnd: Int32Array,
  featureSet: Int32Array,
} as const;
type Columns<C> = { [K in keyof C]: C[K] extends new (n: number) => infer A ? A : never };

function columns<C extends Record<string, new (n: number) => Int32Array | Uint8Array | Float64Array>>(
  kinds: C,
  length: number,
): Columns<C> {
  return Object.fromEntries(Object.entries(kinds).map(([k, Kind]) => [k, new Kind(length)])) as Columns<C>;
}

/** `kinds`' columns of `t` at `length`: views of the first `length` values (`cut`), or copies into longer arrays. */
function resized<C extends Record<string, new (n: number) => Int32Array | Uint8Array | Float64Array>>(
  t: HistoryTable,
  kinds: C,
  length: number,
  cut: boolean,
): Columns<C> {
  const table = t as unknown as Record<string, Int32Array | Uint8Array | Float64Array>;
  return Object.fromEntries(
    Object.keys(kinds).map((k) => [k, cut ? table[k]!.subarray(0, length) : grow(table[k]!, length)]),
  ) as Columns<C>;
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
