// One node's membership logic: failure detection per link, agreed views, quorum with a lease, and the DC.
//
// Views are proposed by the lowest-named node among those this node can hear and that hear it back, and commit
// only once every proposed member has promised to take it. A node counts as quorate while it hears a majority of
// its view (in that same view) within the lease; a view that dropped members only starts acting after the
// longest time an excluded member could still believe itself quorate (the lease handover), so two quorate
// partitions never overlap in time. Deterministic: no clocks, timers or randomness here.

import type {
  ArbiterReply,
  Input,
  LinkState,
  MemberState,
  MembershipParams,
  Message,
  Output,
  PeerState,
  View,
} from "./types.js";

const sameMembers = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
export const sameView = (
  a: { id: number; leader: string; leaderInc: number },
  b: { id: number; leader: string; leaderInc: number },
) => a.id === b.id && a.leader === b.leader && a.leaderInc === b.leaderInc;

export function leaseMs(p: MembershipParams): number {
  return p.deadMs;
}

/** How long a view that dropped members waits before acting: the excluded side's lease must have run out. */
export function settleMs(p: MembershipParams): number {
  return Math.ceil((leaseMs(p) + p.maxDelayMs) * (1 + 2 * p.clockDrift) + p.intervalMs);
}

export function quorumVotes(p: MembershipParams): number {
  if (p.twoNode && p.nodes.length === 2) return 1;
  const total = p.nodes.reduce((a, n) => a + n.votes, 0) + (p.arbiterVotes ?? 0);
  return Math.floor(total / 2) + 1;
}

export function initMember(p: MembershipParams, me: string, inc: number, nowMs: number): MemberState {
  const peers: Record<string, PeerState> = {};
  for (const n of p.nodes) {
    if (n.name === me) continue;
    peers[n.name] = {
      inc: 0,
      heardMs: Array(p.links).fill(-Infinity),
      hears: [],
      view: { id: 0, leader: n.name, leaderInc: 0, members: [n.name] },
      settled: false,
      supportMs: -Infinity,
      leftInc: 0,
      attrs: {},
    };
  }
  return {
    me,
    inc,
    startedMs: nowMs,
    nowMs,
    seq: 0,
    nextHeartbeatMs: nowMs,
    peers,
    // A (re)started node waits out the lease handover too: its previous life may still count as quorate elsewhere
    // (alone in its configuration, there is nobody else to be quorate).
    view: { id: 0, leader: me, leaderInc: inc, members: [me] },
    installedMs: nowMs,
    settleUntilMs: p.nodes.length > 1 ? nowMs + settleMs(p) : nowMs,
    highestViewId: 0,
    seenAll: p.nodes.length === 1,
    left: false,
    attrs: {},
    arbiterAsked: [],
    warnedStrangers: [],
  };
}

function votesOf(p: MembershipParams, names: Iterable<string>): number {
  let v = 0;
  for (const n of names) v += p.nodes.find((x) => x.name === n)?.votes ?? 0;
  return v;
}

export function heard(p: MembershipParams, peer: PeerState, nowMs: number): boolean {
  return peer.heardMs.some((t) => nowMs - t <= p.deadMs);
}

export function linkState(p: MembershipParams, peer: PeerState, link: number, nowMs: number): LinkState {
  const age = nowMs - (peer.heardMs[link] ?? -Infinity);
  return age <= p.warnMs ? "up" : age <= p.deadMs ? "warn" : "down";
}

/** Quorate now: settled view that includes us, with a majority heard within the lease, in this very view. */
export function isQuorate(p: MembershipParams, s: MemberState, nowMs: number): boolean {
  if (s.left || !s.view.members.includes(s.me)) return false;
  // Promised to move to a newer view: this one no longer has our vote.
  if (promiseActive(p, s, nowMs)) return false;
  if (nowMs < s.settleUntilMs) return false;
  return holdsLease(p, s, nowMs);
}

/** This node still holds its quorum lease: it is in its view and a majority of votes has been heard in that very
 * view within the lease. Unlike isQuorate it ignores a pending view change and the wait after a restart (both
 * last a heartbeat or two, and neither means another partition may act): it is what a node's resources hang on. */
export function holdsLease(p: MembershipParams, s: MemberState, nowMs: number): boolean {
  if (s.left || !s.view.members.includes(s.me)) return false;
  if (p.twoNode && p.waitForAll && !s.seenAll) return false;
  const supporters = s.view.members.filter(
    (m) => m === s.me || nowMs - (s.peers[m]?.supportMs ?? -Infinity) <= leaseMs(p),
  );
  const g = s.arbiterGrant;
  const arbiter = g && sameView(g.view, s.view) && nowMs < g.untilMs ? (p.arbiterVotes ?? 0) : 0;
  return votesOf(p, supporters) + arbiter >= quorumVotes(p);
}

/** Promised to take a newer view, and the promise has not lapsed. */
export function promiseActive(p: MembershipParams, s: MemberState, nowMs: number): boolean {
  return !!s.promised && s.promised.id > s.view.id && nowMs - s.promised.atMs <= p.deadMs;
}

/** How long a node counts the arbiter's vote after asking: shorter than the arbiter keeps it (leaseMs from when
 * the request arrived, on the arbiter's clock) by more than the clock-rate error, so the node always lets go first. */
export function arbiterBeliefMs(p: MembershipParams): number {
  return Math.floor(leaseMs(p) * (1 - 3 * p.clockDrift));
}

/** The peer's current life announced a clean shutdown: dropping it needs no lease handover. */
export function hasLeft(peer: PeerState): boolean {
  return peer.leftInc !== 0 && peer.leftInc === peer.inc;
}

/** The designated coordinator: the view's leader, while the view is quorate. */
export function dcOf(p: MembershipParams, s: MemberState, nowMs: number): string | undefined {
  return isQuorate(p, s, nowMs) ? s.view.leader : undefined;
}

class Step {
  readonly out: Output[] = [];
  constructor(
    readonly p: MembershipParams,
    readonly s: MemberState,
  ) {}

  send(to: string | "*", msg: Message): void {
    this.out.push({ type: "send", to, link: "all", msg });
  }
  log(text: string): void {
    this.out.push({ type: "log", text });
  }
  now(): number {
    return this.s.nowMs;
  }

  alive(): string[] {
    const names = [
      this.s.me,
      ...Object.entries(this.s.peers)
        .filter(([, peer]) => heard(this.p, peer, this.now()))
        .map(([n]) => n),
    ];
    return names.sort();
  }

  /** `heard`: members known to support this very view already, and when: a member counts the leader whose commit
   * it just read (the commit is a heartbeat of this view), so its lease does not lapse while the first heartbeats
   * of the view are on their way. (An acknowledgement proves less: the acker's promise may lapse unanswered.) */
  install(view: View, settleLeftMs: number, heard: Record<string, number> = {}): void {
    const s = this.s;
    const removed = s.view.members.some((m) => m !== s.me && !view.members.includes(m) && !this.leftCleanly(m));
    // A handover already running (here or at any member) is not cut short by a later view.
    s.settleUntilMs = Math.max(
      s.settleUntilMs,
      this.now() + settleLeftMs,
      removed ? this.now() + settleMs(this.p) : -Infinity,
    );
    s.view = view;
    s.installedMs = this.now();
    s.highestViewId = Math.max(s.highestViewId, view.id);
    s.proposal = undefined;
    s.promised = undefined;
    // Support is counted afresh in the new view; a heartbeat in it goes out at once.
    for (const [name, peer] of Object.entries(s.peers))
      peer.supportMs = view.members.includes(name) ? (heard[name] ?? -Infinity) : -Infinity;
    s.nextHeartbeatMs = this.now();
    const wait = s.settleUntilMs - this.now();
    const why = removed
      ? "once the dropped members' quorum leases have run out"
      : "once any quorum lease from before (a dropped member's, or this node's previous life's) has run out";
    this.log(
      `view ${view.id} installed: ${view.members.join(", ")} (leader ${view.leader})${wait > 0 ? `; acting in ${wait} ms, ${why}` : ""}`,
    );
    this.out.push({ type: "view", view, quorate: isQuorate(this.p, s, this.now()) });
  }

  receive(link: number, msg: Message): void {
    const s = this.s;
    const peer = s.peers[msg.from];
    if (!peer || msg.from === s.me) return; // not one of ours
    if (msg.inc < peer.inc) return; // a previous life of that node
    if (msg.inc > peer.inc) {
      if (peer.inc !== 0) this.log(`${msg.from} restarted (incarnation ${msg.inc})`);
      Object.assign(peer, {
        inc: msg.inc,
        heardMs: Array(this.p.links).fill(-Infinity),
        hears: [],
        supportMs: -Infinity,
        attrs: {},
      });
    }
    if (msg.inc <= peer.leftInc) return; // late packets of a life that said goodbye
    if (msg.t === "leave") {
      Object.assign(peer, {
        leftInc: msg.inc,
        heardMs: Array(this.p.links).fill(-Infinity),
        supportMs: -Infinity,
        hears: [],
        attrs: {},
      });
      this.log(`${msg.from} left the cluster (clean shutdown)`);
      return;
    }
    if (link >= 0 && link < this.p.links) peer.heardMs[link] = this.now();
    if (!s.seenAll && Object.values(s.peers).every((x) => x.inc !== 0)) s.seenAll = true;
    if (!this.namesKnownNodes(msg)) return;
    switch (msg.t) {
      case "hb":
        peer.hears = msg.hears;
        peer.view = msg.view;
        peer.settled = msg.settled;
        peer.attrs = msg.attrs;
        s.highestViewId = Math.max(s.highestViewId, msg.view.id);
        // While promised to a newer view, support for the old one is not collected (it must not outlive the promise).
        if (sameView(msg.view, s.view) && s.view.members.includes(msg.from) && !promiseActive(this.p, s, this.now()))
          peer.supportMs = this.now();
        return;
      case "propose": {
        const v = msg.view;
        s.highestViewId = Math.max(s.highestViewId, v.id);
        if (!v.members.includes(s.me) || v.leader !== msg.from || v.id <= s.view.id) return;
        const pr = s.promised;
        const promiseStands =
          pr &&
          this.now() - pr.atMs <= this.p.deadMs &&
          (pr.id > v.id || (pr.id === v.id && (pr.leader !== v.leader || pr.leaderInc !== v.leaderInc)));
        if (promiseStands) return;
        s.promised = { id: v.id, leader: v.leader, leaderInc: v.leaderInc, atMs: this.now() };
        for (const x of Object.values(s.peers)) x.supportMs = -Infinity; // support for the old view ends here
        this.send(msg.from, {
          t: "ack",
          from: s.me,
          inc: s.inc,
          viewId: v.id,
          leader: v.leader,
          leaderInc: v.leaderInc,
          had: s.view.id === 0 ? [] : s.view.members,
          settleLeftMs: Math.max(0, s.settleUntilMs - this.now()),
        });
        return;
      }
      case "ack": {
        const pr = s.proposal;
        if (
          !pr ||
          msg.viewId !== pr.view.id ||
          msg.leader !== s.me ||
          msg.leaderInc !== s.inc ||
          !pr.view.members.includes(msg.from)
        )
          return;
        if (!pr.acks.includes(msg.from)) pr.acks.push(msg.from);
        for (const h of msg.had) if (!pr.had.includes(h)) pr.had.push(h);
        pr.settleUntilMs = Math.max(pr.settleUntilMs, this.now() + msg.settleLeftMs);
        if (pr.view.members.every((m) => m === s.me || pr.acks.includes(m))) {
          const dropped = pr.had.some((h) => !pr.view.members.includes(h) && !this.leftCleanly(h));
          const until = Math.max(
            pr.settleUntilMs,
            s.settleUntilMs,
            dropped ? this.now() + settleMs(this.p) : -Infinity,
          );
          const settleLeftMs = Math.max(0, until - this.now());
          this.send("*", { t: "commit", from: s.me, inc: s.inc, view: pr.view, settleLeftMs });
          this.install(pr.view, settleLeftMs);
        }
        return;
      }
      case "commit": {
        const v = msg.view;
        const pr = s.promised;
        if (
          !v.members.includes(s.me) ||
          v.id <= s.view.id ||
          !pr ||
          pr.id !== v.id ||
          pr.leader !== v.leader ||
          pr.leaderInc !== v.leaderInc
        )
          return;
        this.install(v, msg.settleLeftMs, { [msg.from]: this.now() });
        return;
      }
    }
  }

  /** Dropping a node that said goodbye needs no lease handover. */
  private leftCleanly(name: string): boolean {
    const peer = this.s.peers[name];
    return !!peer && hasLeft(peer);
  }

  setAttr(name: string, value: string | undefined): void {
    const s = this.s;
    const refused = attrProblem(s.attrs, name, value);
    if (refused) {
      this.log(`attribute ${name.slice(0, 64)} not set: ${refused}`);
      return;
    }
    const before = s.attrs[name];
    if (before === value) return;
    if (value === undefined) delete s.attrs[name];
    else s.attrs[name] = value;
    this.log(
      `attribute ${name} ${value === undefined ? "removed" : `= ${value}`}${before !== undefined ? ` (was ${before})` : ""}`,
    );
    s.nextHeartbeatMs = this.now(); // peers learn it now, not at the next interval
  }

  /** The arbiter's answer counts only for the view and the request it answers, for the time we may believe it. */
  arbiterReply(r: ArbiterReply): void {
    const s = this.s;
    const asked = s.arbiterAsked.find((a) => a.seq === r.seq);
    if (r.to !== s.me || r.inc !== s.inc || !asked || !r.granted || !sameView(r.view, s.view)) return;
    const untilMs = asked.sentMs + arbiterBeliefMs(this.p);
    const g = s.arbiterGrant;
    const held = g && sameView(g.view, s.view) && this.now() < g.untilMs;
    if (!held) this.log(`the arbiter lends its vote to view ${r.view.id}`);
    if (!held || untilMs > g!.untilMs) s.arbiterGrant = { view: r.view, untilMs };
  }

  /** A peer whose configuration lists other nodes than ours must not make us install a view we cannot reason about. */
  private namesKnownNodes(msg: Message): boolean {
    const s = this.s;
    const names =
      msg.t === "hb"
        ? [...msg.view.members, ...msg.hears]
        : msg.t === "ack"
          ? msg.had
          : msg.t === "leave"
            ? []
            : msg.view.members;
    const strangers = names.filter((n) => n !== s.me && !s.peers[n]);
    if (strangers.length === 0) return true;
    if (!s.warnedStrangers.includes(msg.from)) {
      s.warnedStrangers.push(msg.from);
      this.log(
        `ignoring ${msg.from}: it names node(s) ${[...new Set(strangers)].join(", ")} that are not in my configuration; the nodes' configurations differ`,
      );
    }
    return false;
  }

  /** This node did not run for `gapMs`: the others may have formed a view without it, and its socket may hold
   * their heartbeats from before that, which would look fresh now. Its lease is void, and it counts as quorate
   * again only after a whole handover, by which time every such stale heartbeat has been read and aged out. */
  thaw(gapMs: number): void {
    const s = this.s;
    for (const peer of Object.values(s.peers)) peer.supportMs = -Infinity;
    s.arbiterGrant = undefined;
    s.settleUntilMs = Math.max(s.settleUntilMs, this.now() + settleMs(this.p));
    this.log(
      `this node did not run for ${gapMs} ms: its quorum lease is void; waiting ${settleMs(this.p)} ms before counting itself quorate again`,
    );
  }

  heartbeat(): void {
    const s = this.s;
    if (this.now() < s.nextHeartbeatMs) return;
    s.nextHeartbeatMs = this.now() + this.p.intervalMs;
    s.seq++;
    const hears = Object.entries(s.peers)
      .filter(([, peer]) => heard(this.p, peer, this.now()))
      .map(([n]) => n)
      .sort();
    const settled = this.now() >= s.settleUntilMs;
    this.send("*", { t: "hb", from: s.me, inc: s.inc, seq: s.seq, view: s.view, hears, settled, attrs: s.attrs });
    if (this.p.arbiterVotes) {
      s.arbiterAsked.push({ seq: s.seq, sentMs: this.now() });
      if (s.arbiterAsked.length > 32) s.arbiterAsked.shift();
      this.out.push({ type: "to-arbiter", msg: { t: "arb-req", from: s.me, inc: s.inc, seq: s.seq, view: s.view } });
    }
  }

  lead(): void {
    const s = this.s;
    const alive = this.alive();
    if (alive[0] !== s.me) {
      s.proposal = undefined;
      return;
    }
    // Members: those we hear that hear us too; while starting up, wait for nodes we have never heard.
    const members = alive.filter((n) => n === s.me || s.peers[n]!.hears.includes(s.me));
    const neverHeard = Object.values(s.peers).some((peer) => peer.inc === 0);
    if (neverHeard && this.now() - s.startedMs < this.p.initialDeadMs && s.view.id === 0) return;
    const retryMs = 2 * this.p.intervalMs + 2 * this.p.maxDelayMs;
    // Our view stands if it has the right members and every member reports being in it (one may have missed
    // the commit: then it is proposed again).
    const agreed = members.every((m) => m === s.me || sameView(s.peers[m]!.view, s.view));
    if (
      s.view.leader === s.me &&
      sameMembers(s.view.members, members) &&
      (agreed || this.now() - s.installedMs < retryMs)
    ) {
      s.proposal = undefined;
      return;
    }
    const pr = s.proposal;
    if (pr && sameMembers(pr.view.members, members) && this.now() - pr.sentMs < retryMs) return;
    const view: View = { id: Math.max(s.highestViewId, s.view.id) + 1, leader: s.me, leaderInc: s.inc, members };
    s.highestViewId = view.id;
    s.proposal = {
      view,
      acks: [],
      had: s.view.id === 0 ? [] : [...s.view.members],
      settleUntilMs: s.settleUntilMs,
      sentMs: this.now(),
    };
    if (members.length === 1) {
      this.install(view, 0);
      return;
    }
    for (const m of members) if (m !== s.me) this.send(m, { t: "propose", from: s.me, inc: s.inc, view });
  }
}

/** Node attributes travel in every heartbeat, so they are bounded (the wire format refuses more). */
export const ATTR_LIMITS = { count: 32, nameChars: 64, valueChars: 256 } as const;
export function attrProblem(
  attrs: Record<string, string>,
  name: string,
  value: string | undefined,
): string | undefined {
  if (name.length === 0 || name.length > ATTR_LIMITS.nameChars)
    return `a name has 1 to ${ATTR_LIMITS.nameChars} characters`;
  if (value !== undefined && value.length > ATTR_LIMITS.valueChars)
    return `a value has at most ${ATTR_LIMITS.valueChars} characters`;
  if (value !== undefined && !(name in attrs) && Object.keys(attrs).length >= ATTR_LIMITS.count)
    return `a node has at most ${ATTR_LIMITS.count} attributes`;
  return undefined;
}

/** One input in, outputs out; the state is updated in place and returned. */
/** Not running for this long (SIGSTOP, a paused VM, a stalled event loop), peers may have dropped this node. */
export function freezeMs(p: MembershipParams): number {
  return Math.max(p.intervalMs, p.deadMs - p.intervalMs - p.maxDelayMs);
}

export function step(p: MembershipParams, s: MemberState, input: Input): { state: MemberState; outputs: Output[] } {
  const gapMs = input.nowMs - s.nowMs;
  s.nowMs = Math.max(s.nowMs, input.nowMs);
  const st = new Step(p, s);
  if (s.left) return { state: s, outputs: [] };
  if (gapMs > freezeMs(p) && p.nodes.length > 1) st.thaw(gapMs); // alone, nobody could have taken over
  if (input.type === "leave") {
    s.left = true;
    // Twice on every link: a lost goodbye only costs the normal failure detection.
    for (let i = 0; i < 2; i++) st.send("*", { t: "leave", from: s.me, inc: s.inc });
    st.log("leaving the cluster (clean shutdown)");
    return { state: s, outputs: st.out };
  }
  if (input.type === "arbiter-reply") st.arbiterReply(input.reply);
  if (input.type === "attr") st.setAttr(input.name, input.value);
  if (input.type === "recv") st.receive(input.link, input.msg);
  st.heartbeat();
  st.lead();
  return { state: s, outputs: st.out };
}
