// Cluster membership: inputs, outputs and timing. A node runs `step(state, input)`; heartbeats, view proposals and
// commits are its only messages. Time comes in with every input (each node's own clock, which may drift).

export interface MembershipNode {
  name: string;
  votes: number;
}

export interface MembershipParams {
  nodes: MembershipNode[];
  /** Number of heartbeat links every node has. */
  links: number;
  intervalMs: number;
  warnMs: number;
  /** A peer silent on every link for this long is lost. */
  deadMs: number;
  /** After (re)start, how long to wait for peers before forming a view without them. */
  initialDeadMs: number;
  /** The longest a message may take to arrive (older ones are too late to matter); sizes the lease handover. */
  maxDelayMs: number;
  /** Clock-rate error allowed between nodes, e.g. 0.01 for 1 %. */
  clockDrift: number;
  /** Two-node cluster: one node alone keeps quorum (with wait-for-all at start). */
  twoNode: boolean;
  waitForAll: boolean;
  /** Votes of an arbiter (a `paceline arbiter` on a third machine that lends its vote to one view at a time);
   * 0 or absent: no arbiter. */
  arbiterVotes?: number;
}

export type LinkState = "up" | "warn" | "down";

export interface View {
  id: number;
  leader: string;
  /** The leader's incarnation: a restarted leader's views are new views even if it reuses an id. */
  leaderInc: number;
  members: string[];
}

export type Message =
  /** `attrs`: the sender's node attributes (like Pacemaker's attrd), carried whole in every heartbeat. `echo`: for
   * each member of the sender's view, [name, incarnation, the latest heartbeat number heard from it]. */
  | {
      t: "hb";
      from: string;
      inc: number;
      seq: number;
      view: View;
      hears: string[];
      settled: boolean;
      attrs: Record<string, string>;
      echo: Array<[string, number, number]>;
    }
  /** `goodbyes`: nodes left out of the view whose goodbye (`leave`, of that incarnation) the leader heard — a member
   * that missed it would otherwise wait out a lease the leaver gave up. */
  | { t: "propose"; from: string; inc: number; view: View; goodbyes?: Array<[string, number]> }
  /** `had`: the members of the view the acking node leaves (to know if anyone is dropped); `settleLeftMs`: how
   * long its own lease handover still runs. */
  | {
      t: "ack";
      from: string;
      inc: number;
      viewId: number;
      leader: string;
      leaderInc: number;
      had: string[];
      settleLeftMs: number;
      /** The acknowledgement echoes the leader (backs its lease from when it proposed). */
      echo: boolean;
    }
  /** `settleLeftMs`: nobody in the view acts before this much time has passed (lease handover). */
  | { t: "commit"; from: string; inc: number; view: View; settleLeftMs: number; echo: string[] }
  /** A clean shutdown: the sender has stopped counting itself quorate, so nobody waits out its lease. */
  | { t: "leave"; from: string; inc: number };

/** To the arbiter: "lend your vote to my view". Sent with every heartbeat while an arbiter is configured. */
export interface ArbiterRequest {
  t: "arb-req";
  from: string;
  inc: number;
  seq: number;
  view: View;
}
/** From the arbiter: granted = the vote is this view's for the arbiter's lease, counted from when it was asked. */
export interface ArbiterReply {
  t: "arb-reply";
  to: string;
  inc: number;
  seq: number;
  view: View;
  granted: boolean;
}

export type Input =
  | { type: "tick"; nowMs: number }
  | { type: "recv"; nowMs: number; link: number; msg: Message }
  /** This node shuts down cleanly: it tells its peers and takes no further part. */
  | { type: "leave"; nowMs: number }
  /** Sets (or, with no value, removes) one of this node's attributes. */
  | { type: "attr"; nowMs: number; name: string; value?: string }
  | { type: "arbiter-reply"; nowMs: number; reply: ArbiterReply };

export type Output =
  | { type: "send"; to: string | "*"; link: number | "all"; msg: Message }
  | { type: "view"; view: View; quorate: boolean }
  | { type: "log"; text: string }
  | { type: "to-arbiter"; msg: ArbiterRequest };

export interface PeerState {
  inc: number;
  /** When we last heard it, per link (-Infinity = never). */
  heardMs: number[];
  /** Who it says it hears. */
  hears: string[];
  /** Its view as of its last heartbeat. */
  view: View;
  settled: boolean;
  /** When we sent the heartbeat it last echoed in our current view, as a member (our clock; for quorum). */
  supportMs: number;
  /** When we sent the heartbeat it last echoed, in any view (our clock; the lease our resources hang on). */
  echoMs: number;
  /** The latest heartbeat number heard from its current life, and when: echoed in our next heartbeat. */
  gotSeq: number;
  gotSeqMs: number;
  /** When we heard the latest heartbeat of it that we echoed (its lease may last until then + leaseBoundMs). */
  echoedHeardMs: number;
  /** The incarnation that announced a clean shutdown (0 = none): its late packets are ignored. */
  leftInc: number;
  /** Its node attributes as of its last heartbeat. */
  attrs: Record<string, string>;
}

export interface MemberState {
  me: string;
  inc: number;
  startedMs: number;
  nowMs: number;
  seq: number;
  /** Our recent heartbeats (number → when sent, own clock), to date the echoes. */
  sentHb: Array<{ seq: number; atMs: number }>;
  nextHeartbeatMs: number;
  peers: Record<string, PeerState>;
  view: View;
  /** When this view was installed (own clock). */
  installedMs: number;
  /** Not quorate before this (own clock): a recent view change dropped members whose lease must run out first. */
  settleUntilMs: number;
  /** Nodes not to echo yet. A view this node left, that went on without those nodes, may still count this node's
   * support until `untilMs` (own clock): echoing them sooner could renew a lease that view waited out. The wait is
   * over sooner once every other member of that view (`holders`) has been heard in a later view: none counts it. */
  noEcho: Array<{ names: string[]; viewId: number; holders: string[]; untilMs: number }>;
  highestViewId: number;
  /** Every node has been seen at least once (wait-for-all). */
  seenAll: boolean;
  /** This node has left (clean shutdown): never quorate again in this incarnation. */
  left: boolean;
  /** This node's own attributes. */
  attrs: Record<string, string>;
  /** Recent requests to the arbiter (seq → when sent, own clock), to date its answers. */
  arbiterAsked: Array<{ seq: number; sentMs: number }>;
  /** The arbiter's vote is ours for this view until this time (own clock). */
  arbiterGrant?: { view: View; untilMs: number };
  /** Peers already warned about for naming nodes we do not know (differing configurations): warn once each. */
  warnedStrangers: string[];
  /** As leader: the view being proposed and who acknowledged it. */
  proposal?: {
    view: View;
    acks: string[];
    had: string[];
    settleUntilMs: number;
    sentMs: number;
  };
  /** As member: the proposal we promised to accept (we ack nothing older); `firstAtMs`: our first acknowledgement
   * of it (the leader's commit answers one of them, at the earliest that one). */
  promised?: { id: number; leader: string; leaderInc: number; atMs: number; firstAtMs: number; members: string[] };
}
