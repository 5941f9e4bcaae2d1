// The status section's resource histories read straight from the text into a node's history table
// (history-table.ts). At 32 nodes × 10 000 resources they are 320 000 <lrm_resource> elements with 350 000
// <lrm_rsc_op> in them, about 95 % of a 170 MB CIB: reading only the attributes kept, numbers from their digits, into
// typed arrays and offsets (no element, attribute or record objects) took the read from ~1.75 s to ~1.1 s and the
// peak RSS from ~760 to ~640 MB. Anything not in the plain shape Pacemaker writes (entities, single quotes, comments,
// other children, spaces around '=') is left to the general XML reader, which reads it — or says what is wrong.

import { HAS_EXPECTED_RC, HAS_LAST_RC_CHANGE, plainOpAt, type HistoryTableBuilder } from "./history-table.js";

/** The op attributes kept, each with its slot in a reused table of value positions. */
const OP_FIELDS = [
  "id",
  "operation",
  "interval",
  "rc-code",
  "op-status",
  "call-id",
  "last-rc-change",
  "last-run",
  "exit-reason",
  "migrate_source",
  "migrate_target",
  "op-digest",
  "op-restart-digest",
  "op-secure-digest",
  "op-force-restart",
  "op-secure-params",
  "crm_feature_set",
  "transition-key",
  "on_node",
] as const;
// (shutdown-lock is read only to leave its rare element to the general reader, which keeps it.)
const RSC_FIELDS = ["id", "class", "provider", "type", "container", "shutdown-lock"] as const;
const [ID, OPERATION, INTERVAL, RC, STATUS, CALL_ID, LAST_RC_CHANGE, LAST_RUN, EXIT_REASON, MIGRATE_SOURCE] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
];
const [MIGRATE_TARGET, OP_DIGEST, RESTART_DIGEST, SECURE_DIGEST, FORCE_RESTART, SECURE_PARAMS, FEATURE_SET] = [
  10, 11, 12, 13, 14, 15, 16,
];
const [TRANSITION_KEY, ON_NODE] = [17, 18];
const [CLASS, PROVIDER, TYPE, CONTAINER, SHUTDOWN_LOCK] = [1, 2, 3, 4, 5];
/** Fields most records lack: a record without any of them has the plain shape (see op()). */
const RARE = [
  EXIT_REASON,
  MIGRATE_SOURCE,
  MIGRATE_TARGET,
  RESTART_DIGEST,
  SECURE_DIGEST,
  FORCE_RESTART,
  SECURE_PARAMS,
  ON_NODE,
];
export const RARE_OP_ATTRIBUTES: readonly string[] = RARE.map((k) => OP_FIELDS[k]!);

/** Looks names up by their length and three of their characters, then compares them whole (in a loop: a call to
 * startsWith with a name not known in advance costs more than the loop). `ignored` names are known but not kept. */
class Names {
  readonly names: string[];
  readonly kept: number;
  private readonly table = new Int16Array(4096).fill(-1);
  constructor(kept: readonly string[], ignored: readonly string[]) {
    this.names = [...kept, ...ignored];
    this.kept = kept.length;
    this.names.forEach((n, i) => {
      const h = Names.hash(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1), n.charCodeAt(n.length >> 1));
      if (this.table[h] !== -1) throw new Error(`history reader: ${n} and ${this.names[this.table[h]!]} look alike`);
      this.table[h] = i;
    });
  }
  private static hash(len: number, first: number, last: number, middle: number): number {
    return ((len & 31) << 7) | ((first * 7 + last * 3 + middle * 5) & 127);
  }
  /** The index of the name at src[at, at + len), or -1. */
  find(src: string, at: number, len: number): number {
    const k =
      this.table[Names.hash(len, src.charCodeAt(at), src.charCodeAt(at + len - 1), src.charCodeAt(at + (len >> 1)))]!;
    return k >= 0 && this.names[k]!.length === len && sameText(src, at, this.names[k]!) ? k : -1;
  }
}
function sameText(src: string, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (src.charCodeAt(at + k) !== text.charCodeAt(k)) return false;
  return true;
}
const opNames = new Names(OP_FIELDS, [
  "operation_key",
  "transition-magic",
  "exec-time",
  "queue-time",
  "crm-debug-origin",
]);
const rscNames = new Names(RSC_FIELDS, []);
export const HISTORY_OPERATIONS = [
  "monitor",
  "start",
  "stop",
  "promote",
  "demote",
  "notify",
  "migrate_to",
  "migrate_from",
  "reload",
];

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;
/** A character that cannot be in an attribute name. */
const notInName = (c: number) =>
  isSpace(c) || c === 47 || c === 62 || c === 60 || c === 61 || c === 34 || c === 39 || c === 38;

/**
 * Reads history elements (`<lrm_resource …>`) and their records into a node's history table. `read` returns the
 * offset just past the element, or −1 when the text is not in the plain shape read here (the caller then reads it
 * with the general reader, and nothing of it is in the table). `leaveAt` is where the next text the general reader
 * must see is, at or after the element (−1: none): a '&' (a value holding one needs decoding), or a value the caller
 * wants checked; an element with a value reaching it is left to the general reader.
 */
export class HistoryReader {
  private readonly at = new Int32Array(2 * OP_FIELDS.length);
  private featureSet = "";
  private cls = "";
  private provider = "";
  private type = "";
  /** The resource id met at each place of the last node's table. */
  private readonly idAt: string[] = [];

  /** `id` gives the one string kept for a resource id. */
  constructor(
    private readonly src: string,
    private readonly id: (text: string) => string,
  ) {}

  read(from: number, leaveAt: number, into: HistoryTableBuilder): number {
    const src = this.src;
    const at = this.at;
    let j = from + "<lrm_resource".length;
    at.fill(-1, 0, 2 * RSC_FIELDS.length);
    j = this.attributes(j, leaveAt, rscNames);
    if (j < 0 || at[2 * SHUTDOWN_LOCK]! >= 0) return -1;
    const id = this.resourceId(into.t.entries);
    const cls = (this.cls = this.reuse(CLASS, this.cls)) || this.maybe(CLASS),
      provider = (this.provider = this.reuse(PROVIDER, this.provider)) || this.maybe(PROVIDER),
      type = (this.type = this.reuse(TYPE, this.type)) || this.maybe(TYPE),
      container = this.maybe(CONTAINER);
    const first = into.ops;
    let count = 0;
    let stoppedProbe = false;
    if (src.charCodeAt(j) === 47 /* / */) {
      if (src.charCodeAt(j + 1) !== 62) return -1;
      into.commit(id, cls, provider, type, container, 0, false);
      return j + 2;
    }
    j++; // past '>'
    for (;;) {
      while (isSpace(src.charCodeAt(j))) j++;
      if (src.startsWith("<lrm_rsc_op", j) && isSpace(src.charCodeAt(j + 11))) {
        at.fill(-1);
        j = this.attributes(j + 11, leaveAt, opNames);
        if (j < 0 || src.charCodeAt(j) !== 47 || src.charCodeAt(j + 1) !== 62) {
          into.forget(first, count);
          return -1;
        }
        j += 2;
        stoppedProbe = this.op(into, first + count) && count === 0;
        count++;
      } else if (src.startsWith("</lrm_resource", j)) {
        j += 14;
        while (isSpace(src.charCodeAt(j))) j++;
        if (src.charCodeAt(j) !== 62) {
          into.forget(first, count);
          return -1;
        }
        into.commit(id, cls, provider, type, container, count, stoppedProbe && count === 1);
        return j + 1;
      } else {
        into.forget(first, count);
        return -1;
      }
    }
  }

  /** Reads `name="value"` pairs from `j` up to '/' or '>' (returns where that is, or -1 for any other shape). */
  private attributes(j: number, leaveAt: number, names: Names): number {
    const src = this.src;
    const at = this.at;
    for (;;) {
      const before = j;
      while (isSpace(src.charCodeAt(j))) j++;
      const c = src.charCodeAt(j);
      if (c === 47 || c === 62) return j;
      if (j === before || j >= src.length) return -1;
      const eq = src.indexOf("=", j);
      if (eq <= j || src.charCodeAt(eq + 1) !== 34 /* " */) return -1;
      const close = src.indexOf('"', eq + 2);
      if (close < 0 || (leaveAt >= 0 && leaveAt < close)) return -1;
      const k = names.find(src, j, eq - j);
      if (k < 0) {
        for (let p = j; p < eq; p++) if (notInName(src.charCodeAt(p))) return -1;
      } else if (k < names.kept) {
        at[2 * k] = eq + 2;
        at[2 * k + 1] = close;
      }
      j = close + 1;
    }
  }

  /** Writes the record just read as record `k`; says whether it is a plain probe that found the resource stopped. */
  private op(into: HistoryTableBuilder, k: number): boolean {
    const at = this.at;
    const t = into.room(k);
    const lastRcChange = at[2 * LAST_RC_CHANGE]! >= 0 ? LAST_RC_CHANGE : LAST_RUN;
    const operation = into.operationCode(this.operation());
    t.operation[k] = operation;
    t.intervalMs[k] = this.number(INTERVAL);
    t.rc[k] = this.number(RC);
    t.status[k] = this.number(STATUS);
    t.callId[k] = this.number(CALL_ID);
    let has = 0;
    if (at[2 * lastRcChange]! >= 0) {
      t.lastRcChange[k] = this.number(lastRcChange);
      has |= HAS_LAST_RC_CHANGE;
    }
    const expectedRc = at[2 * TRANSITION_KEY]! >= 0 ? this.expectedRc() : undefined;
    if (expectedRc !== undefined) {
      t.expectedRc[k] = expectedRc;
      has |= HAS_EXPECTED_RC;
    }
    t.has[k] = has;
    t.idAt[k] = at[2 * ID]!;
    t.idEnd[k] = at[2 * ID + 1]!;
    t.digestAt[k] = at[2 * OP_DIGEST]!;
    t.digestEnd[k] = at[2 * OP_DIGEST + 1]!;
    const fs =
      at[2 * FEATURE_SET]! < 0
        ? undefined
        : (this.featureSet = this.reuse(FEATURE_SET, this.featureSet)) || this.maybe(FEATURE_SET)!;
    t.featureSet[k] = fs === undefined ? -1 : into.featureSetIndex(fs);
    let rare = t.callId[k] === -1; // (a pending record keeps its transition key)
    for (const f of RARE) rare ||= at[2 * f]! >= 0;
    if (rare) {
      t.rare.set(k, {
        ...plainOpAt(t, k),
        exitReason: this.maybe(EXIT_REASON),
        migrateSource: this.maybe(MIGRATE_SOURCE),
        migrateTarget: this.maybe(MIGRATE_TARGET),
        restartDigest: this.maybe(RESTART_DIGEST),
        secureDigest: this.maybe(SECURE_DIGEST),
        forceRestartParams: this.maybe(FORCE_RESTART),
        secureParams: this.maybe(SECURE_PARAMS),
        onNode: this.maybe(ON_NODE),
        pendingKey: t.callId[k] === -1 ? this.maybe(TRANSITION_KEY) : undefined,
      });
      return false;
    }
    return (
      t.operations[operation] === "monitor" &&
      t.intervalMs[k] === 0 &&
      t.rc[k] === 7 &&
      t.status[k] === 0 &&
      t.callId[k]! >= 0
    );
  }

  /** The resource id of the entry at place `e` in its node's table: the string the previous node had there when the
   * text is the same (nodes list their histories alike), else the one `id` keeps for it. */
  private resourceId(e: number): string {
    const s = this.at[2 * ID]!,
      end = this.at[2 * ID + 1]!;
    const last = this.idAt[e];
    if (s >= 0 && last !== undefined && last.length === end - s && sameText(this.src, s, last)) return last;
    return (this.idAt[e] = this.id(this.value(ID)));
  }
  private value(k: number): string {
    const s = this.at[2 * k]!;
    return s < 0 ? "" : this.src.slice(s, this.at[2 * k + 1]);
  }
  private maybe(k: number): string | undefined {
    const s = this.at[2 * k]!;
    return s < 0 ? undefined : this.src.slice(s, this.at[2 * k + 1]);
  }
  /** The value if it is `last` again (most are: one feature set, a few agents), else "" (then read afresh). */
  private reuse(k: number, last: string): string {
    const s = this.at[2 * k]!;
    if (s < 0) return "";
    return this.at[2 * k + 1]! - s === last.length && sameText(this.src, s, last) ? last : "";
  }
  private operation(): string {
    const s = this.at[2 * OPERATION]!,
      len = this.at[2 * OPERATION + 1]! - s;
    if (s < 0) return "";
    for (const o of HISTORY_OPERATIONS) if (o.length === len && sameText(this.src, s, o)) return o;
    return this.src.slice(s, s + len);
  }
  /** As Number(value ?? 0), reading plain digits in place. */
  private number(k: number): number {
    const s = this.at[2 * k]!,
      e = this.at[2 * k + 1]!;
    if (s < 0) return 0;
    const src = this.src;
    const negative = src.charCodeAt(s) === 45;
    let p = negative ? s + 1 : s;
    if (p === e || e - p > 15) return Number(src.slice(s, e));
    let n = 0;
    for (; p < e; p++) {
      const d = src.charCodeAt(p) - 48;
      if (d < 0 || d > 9) return Number(src.slice(s, e));
      n = n * 10 + d;
    }
    return negative ? -n : n;
  }
  /** The expected result in the transition key "action:transition:expected-rc:uuid" (read in place). */
  private expectedRc(): number | undefined {
    const src = this.src;
    const s = this.at[2 * TRANSITION_KEY]!,
      e = this.at[2 * TRANSITION_KEY + 1]!;
    const first = src.indexOf(":", s);
    const second = first < 0 || first >= e ? -1 : src.indexOf(":", first + 1);
    const third = second < 0 || second >= e ? -1 : src.indexOf(":", second + 1);
    if (third < 0 || third >= e) return undefined;
    const signed = src.charCodeAt(first + 1) === 45 ? 1 : 0;
    if (!digits(src, s, first) || !digits(src, first + 1 + signed, second) || !digits(src, second + 1, third))
      return undefined;
    if (third - second > 15) return Number(src.slice(second + 1, third));
    let n = 0;
    for (let p = second + 1; p < third; p++) n = n * 10 + src.charCodeAt(p) - 48;
    return n;
  }
}

function digits(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let k = from; k < to; k++) if (s.charCodeAt(k) < 48 || s.charCodeAt(k) > 57) return false;
  return true;
}
