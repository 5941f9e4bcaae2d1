// `paceline status` of a cluster node: what the node core knows (membership, resources, fencing) plus what only
// the shell can measure (packets, event-loop lag), as the API's MembershipStatus. A projection: it decides nothing.

import { dcOf, hasLeft, heard, isQuorate, linkState, quorumVotes, sameView } from "../core/membership/member.js";
import type { NodeState } from "../core/node/node.js";
import type { TransportStats } from "../node/transport.js";
import { clusterResources } from "./cluster-resources.js";
import { monitorStatuses } from "./single-status.js";
import type { EventLine, MembershipStatus } from "./types.js";

export interface ShellFacts {
  pid: number;
  sinceMs: number;
  version: string;
  events: EventLine[];
  transport: TransportStats;
  eventLoopLagMs: { p50: number; p99: number; max: number };
}

export function nodeStatus(n: NodeState, now: number, x: ShellFacts): MembershipStatus {
  const p = n.mp;
  const s = n.member;
  const config = n.config;
  const st = x.transport;
  const arbiterVotes = p.arbiterVotes ?? 0;
  const g = s.arbiterGrant;
  const arbiterHeld = !!g && sameView(g.view, s.view) && now < g.untilMs;
  const expected = p.nodes.reduce((a, m) => a + m.votes, 0) + arbiterVotes;
  const fenced = (node: string, inc: number) => (n.co.fencedInc[node] ?? 0) >= inc && inc > 0;
  const present =
    s.view.members.reduce((a, m) => a + (p.nodes.find((x) => x.name === m)?.votes ?? 0), 0) +
    (arbiterHeld ? arbiterVotes : 0);
  return {
    cluster: config.cluster,
    node: s.me,
    incarnation: s.inc,
    pid: x.pid,
    sinceMs: x.sinceMs,
    version: x.version,
    view: { id: s.view.id, leader: s.view.leader, members: s.view.members },
    quorate: isQuorate(p, s, now),
    votes: { present, needed: quorumVotes(p), expected },
    dc: dcOf(p, s, now),
    arbiter: config.quorum.arbiter ? { address: config.quorum.arbiter, voteHeld: arbiterHeld } : undefined,
    nodes: config.nodes.map((node) => {
      if (node.name === s.me)
        return {
          name: node.name,
          state: "online" as const,
          inView: s.view.members.includes(node.name),
          incarnation: s.inc,
          links: node.links.map((address, link) => ({ link, address, state: "up" as const })),
          attributes: { ...s.attrs },
        };
      const peer = s.peers[node.name]!;
      const up = heard(p, peer, now);
      return {
        // Lost without saying goodbye: it may still run things until fenced or back (Pacemaker's UNCLEAN).
        // A fenced life is off for sure: offline, not unclean.
        name: node.name,
        state: up
          ? ("online" as const)
          : peer.inc === 0 || hasLeft(peer) || fenced(node.name, peer.inc)
            ? ("offline" as const)
            : ("unclean" as const),
        fenced: !up && fenced(node.name, peer.inc) ? true : undefined,
        inView: s.view.members.includes(node.name),
        incarnation: peer.inc,
        links: node.links.map((address, link) => ({
          link,
          address,
          state: linkState(p, peer, link, now),
          lastHeardMsAgo: Number.isFinite(peer.heardMs[link]!) ? now - peer.heardMs[link]! : undefined,
          rttMs: st.rttMs[node.name]?.[link],
        })),
        attributes: { ...peer.attrs },
      };
    }),
    packets: {
      sent: st.sent,
      received: st.received,
      bytesSent: st.bytesSent,
      bytesReceived: st.bytesReceived,
      rejected: st.rejected,
      recvBufferBytes: st.recvBufferBytes,
    },
    eventLoopLagMs: x.eventLoopLagMs,
    events: x.events,
    resources: clusterResources(config, n.co),
    admin: n.co.admin,
    monitors: monitorStatuses(n),
    fencing: {
      enabled: config.fencing.enabled,
      pending: Object.entries(n.co.fencing).map(([target, f]) => ({
        target,
        reason: f.reason,
        running: f.running,
        elapsedMs: now - f.sinceMs,
      })),
      history: [...n.co.fenceHistory],
    },
  };
}
