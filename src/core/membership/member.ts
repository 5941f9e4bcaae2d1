// One node's membership logic: failure detection per link, agreed views, quorum with a lease, and the DC.
//
// Views are proposed by the lowest-named node among those this node can hear and that hear it back, and commit
// only once every proposed member has promised to take it.
//
// The quorum lease is counted from the holder's own clock: every heartbeat echoes the latest heartbeat number heard
// from each member, and a node's lease lasts `leaseMs` from when it *sent* the heartbeat a majority has echoed. A
// late, delayed or replayed echo can never stretch it past that. A member that echoed a node notes when it heard
// what it echoed; a view that drops that node acts only once every member's "heard + lease (with drift)" has
// passed, so a dropped node's lease has ended before anyone acts without it. After a clean failure that moment is
// about when the failure is detected (`dead` after the last heartbeat), not one lease later. Quorum (who is DC)
// also needs the echoes to come in this very view. A freeze (SIGSTOP, a stalled event loop) needs no special case:
// every lease and vote is dated by its holder's own sending, so heartbeats that waited in the socket meanwhile cannot
// make an ended lease look held. Deterministic: no clocks, timers or randomness here.

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

/** After hearing a heartbeat and echoing it, how long the sender's lease may still last on this node's clock: the
 * lease counts from the sending, which was earlier, but clocks may run at different rates (on both ends, and a
 * relayed wait runs on a third clock), hence the margin. */
export function leaseBoundMs(p: MembershipParams): number {
  return Math.ceil(leaseMs(p) * (1 + 4 * p.clockDrift)) + 1;
}

/** When nothing is known of what this node echoed before (its own previous life, a freeze): a whole lease from
 * now, plus the longest delay and a heartbeat for what may still be on its way. */
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
      echoMs: -Infinity,
      gotSeq: 0,
      gotSeqMs: -Infinity,
      echoedHeardMs: -Infinity,
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
    sentHb: [],
    noEcho: [],
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

/** Quorate now: a settled view that includes us, whose members (a majority of votes) echoed our heartbeats in this
 * very view within the lease. */
export function isQuorate(p: MembershipParams, s: MemberState, nowMs: number): boolean {
  if (s.left || !s.view.members.includes(s.me)) return false;
  // Promised to move to a newer view: this one no longer has our vote.
  if (promiseActive(p, s, nowMs)) return false;
  if (nowMs < s.settleUntilMs) return false;
  return nowMs < endOfMajority(p, s, (peer) => peer.supportMs, true);
}

/** This node still holds its quorum lease: a majority of votes echoed its heartbeats within the lease, in whatever
 * view. Unlike isQuorate it ignores a view change under way and the wait after a restart (neither means another
 * partition may act): it is what a node's resources hang on. */
export function holdsLease(p: MembershipParams, s: MemberState, nowMs: number): boolean {
  return nowMs < leaseEndMs(p, s);
}

/** When this node's lease ends if no further echo comes (own clock; -Infinity: not held). */
export function leaseEndMs(p: MembershipParams, s: MemberState): number {
  return endOfMajority(p, s, (peer) => peer.echoMs, false);
}

/** The time until which a majority of votes backs this node: itself, the peers (each `leaseMs` after the heartbeat
 * of ours it last echoed was sent) and the arbiter's lent vote. */
function endOfMajority(
  p: MembershipParams,
  s: MemberState,
  since: (peer: PeerState) => number,
  viewMembersOnly: boolean,
): number {
  if (s.left || !s.view.members.includes(s.me)) return -Infinity;
  if (p.twoNode && p.waitForAll && !s.seenAll) return -Infinity;
  const backers: Array<{ votes: number; untilMs: number }> = [{ votes: votesOf(p, [s.me]), untilMs: Infinity }];
  for (const [name, peer] of Object.entries(s.peers))
    if (!viewMembersOnly || s.view.members.includes(name))
      backers.push({ votes: votesOf(p, [name]), untilMs: since(peer) + leaseMs(p) });
  const g = s.arbiterGrant;
  if (g && sameView(g.view, s.view)) backers.push({ votes: p.arbiterVotes ?? 0, untilMs: g.untilMs });
  backers.sort((a, b) => b.untilMs - a.untilMs);
  let votes = 0;
  for (const b of backers) {
    votes += b.votes;
    if (votes >= quorumVotes(p)) return b.untilMs;
  }
  return -Infinity;
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

  /** Until when this node must not act without `names`: the lease of each may last `leaseBoundMs` after this node
   * heard the heartbeat of it that it last echoed (-Infinity: nothing to wait for). */
  leaseOfDroppedUntil(names: string[]): number {
    let until = -Infinity;
    for (const n of names) {
      const peer = this.s.peers[n];
      if (n !== this.s.me && peer && !hasLeft(peer)) until = Math.max(until, peer.echoedHeardMs + leaseBoundMs(this.p));
    }
    return until;
  }

  /** Leaving `view`: its members may count this node's support (and so act as a quorum without the nodes it left
   * out, whose leases they waited out) until a lease after it last echoed them; until then, no echo of those nodes. */
  leaving(view: View): void {
    const s = this.s;
    const backedUntil = this.leaseOfDroppedUntil(view.members);
    const holders = view.members.filter((m) => m !== s.me && s.peers[m] && !hasLeft(s.peers[m]));
    const names = this.p.nodes.map((n) => n.name).filter((n) => !view.members.includes(n));
    if (backedUntil <= this.now() || holders.length === 0 || names.length === 0) return;
    s.noEcho.push({ names, viewId: view.id, holders, untilMs: backedUntil });
  }

  /** This node may echo `name` now (see noEcho). */
  mayEcho(name: string): boolean {
    const s = this.s;
    s.noEcho = s.noEcho.filter((w) => w.untilMs > this.now() && w.holders.length > 0);
    return !s.noEcho.some((w) => w.names.includes(name));
  }

  /** `from` is in a view later than ones this node left: it no longer counts this node's support in them. */
  private movedOn(from: string, view: View): void {
    for (const w of this.s.noEcho) if (view.id > w.viewId) w.holders = w.holders.filter((h) => h !== from);
  }

  /** `support`: members known to back this very view already, and since when (their echo's time): a member counts
   * the leader whose commit it just read (the commit answers its acknowledgement, sent at `support`), so its
   * quorum does not lapse while the first heartbeats of the view are on their way. */
  install(view: View, settleLeftMs: number, support: Record<string, number> = {}): void {
    const s = this.s;
    const dropped = s.view.members.filter((m) => !view.members.includes(m));
    const droppedUntil = this.leaseOfDroppedUntil(dropped);
    this.leaving(s.view);
    // A handover already running (here or at any member) is not cut short by a later view.
    s.settleUntilMs = Math.max(s.settleUntilMs, this.now() + settleLeftMs, droppedUntil);
    s.view = view;
    s.installedMs = this.now();
    s.highestViewId = Math.max(s.highestViewId, view.id);
    s.proposal = undefined;
    s.promised = undefined;
    // Quorum support is counted afresh in the new view (the lease goes on); a heartbeat in it goes out at once.
    for (const [name, peer] of Object.entries(s.peers)) {
      const since = view.members.includes(name) ? (support[name] ?? -Infinity) : -Infinity;
      peer.supportMs = since;
      peer.echoMs = Math.max(peer.echoMs, since);
    }
    s.nextHeartbeatMs = this.now();
    const wait = s.settleUntilMs - this.now();
    const why =
      droppedUntil > this.now()
        ? "once the dropped members' quorum leases have run out"
        : "once any quorum lease from before (a dropped member's, or this node's previous life's) has run out";
    this.log(
      `view ${view.id} installed: ${view.members.join(", ")} (leader ${view.leader})${wait > 0 ? `; acting in ${wait} ms, ${why}` : ""}`,
    );
    this.out.push({ type: "view", view, quorate: isQuorate(this.p, s, this.now()) });
  }

  /** `relayedBy`: a goodbye this node missed, passed on by the leader in its proposal. */
  receive(link: number, msg: Message, relayedBy?: string): void {
    const s = this.s;
    const peer = s.peers[msg.from];
    if (!peer || msg.from === s.me) return; // not one of ours
    if (msg.inc < peer.inc) return; // a previous life of that node
    if (msg.inc > peer.inc) {
      if (peer.inc !== 0) this.log(`${msg.from} restarted (incarnation ${msg.inc})`);
      // What it echoed of our heartbeats went with its previous life; when we heard it (echoedHeardMs) stays.
      Object.assign(peer, {
        inc: msg.inc,
        heardMs: Array(this.p.links).fill(-Infinity),
        hears: [],
        supportMs: -Infinity,
        echoMs: -Infinity,
        gotSeq: 0,
        gotSeqMs: -Infinity,
        attrs: {},
      });
    }
    if (msg.inc <= peer.leftInc) return; // late packets of a life that said goodbye
    if (msg.t === "leave") {
      Object.assign(peer, {
        leftInc: msg.inc,
        heardMs: Array(this.p.links).fill(-Infinity),
        supportMs: -Infinity,
        echoMs: -Infinity,
        hears: [],
        attrs: {},
      });
      this.log(`${msg.from} left the cluster (clean shutdown${relayedBy ? `, as ${relayedBy} heard it` : ""})`);
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
        this.movedOn(msg.from, msg.view);
        if (msg.seq > peer.gotSeq) {
          peer.gotSeq = msg.seq;
          peer.gotSeqMs = this.now();
        }
        this.echoed(peer, msg);
        return;
      case "propose": {
        const v = msg.view;
        s.highestViewId = Math.max(s.highestViewId, v.id);
        if (!v.members.includes(s.me) || v.leader !== msg.from || v.id <= s.view.id) return;
        // Goodbyes the leader heard and this node missed (taken as if heard: every member holds the cluster key, so
        // the leader could have sent the goodbye itself; only nodes left out of the view, never this node).
        for (const [name, inc] of msg.goodbyes ?? [])
          if (name !== s.me && !v.members.includes(name)) this.receive(-1, { t: "leave", from: name, inc }, msg.from);
        const pr = s.promised;
        const promiseStands =
          pr &&
          this.now() - pr.atMs <= this.p.deadMs &&
          (pr.id > v.id || (pr.id === v.id && (pr.leader !== v.leader || pr.leaderInc !== v.leaderInc)));
        if (promiseStands) return;
        const again = pr && pr.id === v.id && pr.leader === v.leader && pr.leaderInc === v.leaderInc;
        s.promised = {
          id: v.id,
          leader: v.leader,
          leaderInc: v.leaderInc,
          atMs: this.now(),
          firstAtMs: pr && again ? pr.firstAtMs : this.now(),
          members: [...v.members],
        };
        // The acknowledgement answers the proposal: the leader may count it as an echo, sent when it proposed (if
        // our view has the leader: else nothing would make us wait out its lease when we act without it).
        const echo = s.view.members.includes(msg.from) && this.mayEcho(msg.from);
        if (echo) peer.echoedHeardMs = Math.max(peer.echoedHeardMs, this.now());
        const dropped = s.view.members.filter((m) => !v.members.includes(m));
        const until = Math.max(s.settleUntilMs, this.leaseOfDroppedUntil(dropped));
        this.send(msg.from, {
          t: "ack",
          from: s.me,
          inc: s.inc,
          viewId: v.id,
          leader: v.leader,
          leaderInc: v.leaderInc,
          had: s.view.id === 0 ? [] : s.view.members,
          settleLeftMs: Math.max(0, until - this.now()),
          echo,
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
        // An acknowledgement echoes the proposal: it backs this node's lease from when the proposal went out, if the
        // acker's view has this node (else nothing would make it wait out this lease when it acts without us).
        if (msg.echo) peer.echoMs = Math.max(peer.echoMs, pr.sentMs);
        if (pr.view.members.every((m) => m === s.me || pr.acks.includes(m))) {
          // Every acker counts its own dropped members in; this node adds its own.
          const dropped = s.view.members.filter((m) => !pr.view.members.includes(m));
          const until = Math.max(pr.settleUntilMs, s.settleUntilMs, this.leaseOfDroppedUntil(dropped));
          const settleLeftMs = Math.max(0, until - this.now());
          // The commit answers each member's acknowledgement: it may count as an echo of it.
          const echo = pr.acks.filter((m) => this.mayEcho(m) && s.peers[m]);
          for (const m of echo) s.peers[m]!.echoedHeardMs = Math.max(s.peers[m]!.echoedHeardMs, this.now());
          this.send("*", { t: "commit", from: s.me, inc: s.inc, view: pr.view, settleLeftMs, echo });
          this.install(pr.view, settleLeftMs);
        }
        return;
      }
      case "commit": {
        const v = msg.view;
        const pr = s.promised;
        // A lapsed promise is not taken up: this node has echoed the old view's members again since.
        if (
          !v.members.includes(s.me) ||
          v.id <= s.view.id ||
          !pr ||
          pr.id !== v.id ||
          pr.leader !== v.leader ||
          pr.leaderInc !== v.leaderInc ||
          !promiseActive(this.p, s, this.now())
        )
          return;
        this.install(v, msg.settleLeftMs, msg.echo.includes(s.me) ? { [msg.from]: pr.firstAtMs } : {});
        return;
      }
    }
  }

  /** A heartbeat that echoes one of ours (this life's) backs our lease from when we sent that one; our quorum too,
   * if it comes in our view from a member, while we have not promised to move on. */
  private echoed(peer: PeerState, msg: Extract<Message, { t: "hb" }>): void {
    const s = this.s;
    const e = msg.echo.find(([name, inc]) => name === s.me && inc === s.inc);
    const sent = e && s.sentHb.find((h) => h.seq === e[2]);
    if (!sent) return;
    peer.echoMs = Math.max(peer.echoMs, sent.atMs);
    if (sameView(msg.view, s.view) && s.view.members.includes(msg.from) && !promiseActive(this.p, s, this.now()))
      peer.supportMs = Math.max(peer.supportMs, sent.atMs);
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
    // Echo the members of our view; while promised to a view, not those it drops (our acknowledgement told its
    // leader how long to wait out their leases: no echo may stretch them). The others' leases go on undisturbed
    // while the view changes, however long it takes.
    const echo: Array<[string, number, number]> = [];
    const promised = promiseActive(this.p, s, this.now()) ? s.promised : undefined;
    for (const m of s.view.members) {
      const peer = s.peers[m];
      if (!peer || peer.gotSeq === 0 || !this.mayEcho(m) || (promised && !promised.members.includes(m))) continue;
      echo.push([m, peer.inc, peer.gotSeq]);
      peer.echoedHeardMs = Math.max(peer.echoedHeardMs, peer.gotSeqMs);
    }
    s.sentHb.push({ seq: s.seq, atMs: this.now() });
    while (s.sentHb.length > 0 && (s.sentHb.length > 256 || this.now() - s.sentHb[0]!.atMs > leaseMs(this.p)))
      s.sentHb.shift();
    this.send("*", {
      t: "hb",
      from: s.me,
      inc: s.inc,
      seq: s.seq,
      view: s.view,
      hears,
      settled,
      attrs: s.attrs,
      echo,
    });
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
    // Goodbyes of those left out that this node heard: a member that missed one would wait out that node's lease.
    const goodbyes: Array<[string, number]> = Object.entries(s.peers)
      .filter(([name, peer]) => !members.includes(name) && hasLeft(peer))
      .map(([name, peer]) => [name, peer.leftInc]);
    const proposal: Message = { t: "propose", from: s.me, inc: s.inc, view, ...(goodbyes.length ? { goodbyes } : {}) };
    for (const m of members) if (m !== s.me) this.send(m, proposal);
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

export function step(p: MembershipParams, s: MemberState, input: Input): { state: MemberState; outputs: Output[] } {
  s.nowMs = Math.max(s.nowMs, input.nowMs);
  const st = new Step(p, s);
  if (s.left) return { state: s, outputs: [] };
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
