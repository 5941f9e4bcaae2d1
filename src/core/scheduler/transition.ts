// From placement to a transition: which resources start, stop, move, restart or recover; which nodes are fenced;
// what mandatory ordering blocks or forces; and what the cluster looks like once the transition has run.

import type { Placement } from "./placement.js";
import { INF } from "./scores.js";
import { frozen, isStonith, NO_NODES, primitivesOf, type SNode, type SRsc, type WorkingSet } from "./working-set.js";

export type Verb =
  "Start" | "Stop" | "Move" | "Migrate" | "Restart" | "Recover" | "Reload" | "Promote" | "Demote" | "Re-promote";

export interface Action {
  verb: Verb;
  rsc: string;
  from: string | null;
  to: string | null;
  blocked: boolean;
  /** A blocked promotion of a copy not running yet whose start can still be carried out. */
  startable?: boolean;
}
export interface Fence {
  node: string;
  action: "reboot" | "off" | "on";
}
export interface Placed {
  rsc: string;
  node: string;
  role: "Started" | "Promoted";
  flags: string[];
}
export interface NodeOutcome {
  node: string;
  state: string;
}

export interface Transition {
  actions: Action[];
  fences: Fence[];
  placed: Placed[];
  nodes: NodeOutcome[];
}

interface Plan {
  r: SRsc;
  current: readonly string[]; // nodes where it is active now (and will need a stop unless it stays)
  next: string | null;
  stop: Set<string>;
  start: boolean;
  startBlocked: boolean;
  /** Something it is ordered after moves or restarts: it cannot migrate live. */
  noMigrate?: boolean;
  /** A blocked start that Pacemaker would not even show (an interleaved instance without a partner). */
  unplaced?: boolean;
  stopBlocked: boolean;
  restart: boolean;
}

const NOWHERE: readonly string[] = Object.freeze([]);
function stopOn(p: Plan, node: string): void {
  if (p.stop === NO_NODES) p.stop = new Set();
  p.stop.add(node);
}
/** Stopped where it runs (on `nodes`) and started again. */
function restart(p: Plan, nodes: readonly string[] = p.current): void {
  for (const c of nodes) stopOn(p, c);
  p.start = true;
  p.restart = true;
}

export function buildTransition(ws: WorkingSet, placement: Placement): Transition {
  const fences: Fence[] = ws.nodes.filter((n) => n.fence).map((n) => ({ node: n.name, action: n.fence! }));
  const fenced = new Set(fences.map((f) => f.node));
  const plans = new Map<string, Plan>();
  const prims = ws.resources.flatMap(primitivesOf);
  for (const r of prims) {
    const next = placement.assigned.get(r.id) ?? null;
    const current = r.running.size ? [...r.running.keys()] : NOWHERE;
    const plan: Plan = {
      r,
      current,
      next,
      stop: NO_NODES, // (most plans stop nothing: stopOn gives a plan its own set)
      start: false,
      startBlocked: false,
      stopBlocked: false,
      restart: false,
    };
    if (frozen(r)) {
      plans.set(r.id, plan);
      continue;
    }
    // Active on several nodes counts without those being fenced (fencing settles them).
    const activeElsewhere = current.filter((c) => !fenced.has(c)).length > 1;
    for (const c of current) {
      const st = r.running.get(c)!;
      if (fenced.has(c)) continue; // fencing stops it
      if (c !== next || st.failed || r.needsRestart.has(c) || activeElsewhere) {
        stopOn(plan, c);
        const node = ws.nodeByName.get(c)!;
        if (st.blocked || (node.unclean && !fenced.has(c)) || (!node.online && !fenced.has(c) && node.unclean))
          plan.stopBlocked = true;
      }
    }
    if (next !== null && (!current.includes(next) || plan.stop.has(next) || fenced.has(next))) plan.start = true;
    plans.set(r.id, plan);
  }

  // Without quorum (no-quorum-policy stop or freeze), what needs quorum may not start; with stop, it stops too.
  if (!ws.haveQuorum && ws.noQuorumPolicy !== "ignore") {
    for (const p of plans.values()) {
      if (frozen(p.r)) continue;
      if (ws.noQuorumPolicy === "freeze") {
        // Frozen: what runs stays; nothing new starts, not even fencing devices.
        if (p.start && p.current.length === 0) p.startBlocked = true;
        continue;
      }
      const requires = p.r.meta.requires ?? (ws.stonithEnabled ? "fencing" : "quorum");
      if (ws.noQuorumPolicy === "demote") {
        // demote: promotable instances stay, unpromoted; everything else stops (fencing devices too).
        if (isCloneInstance(p.r) && (p.r.parent?.clone ?? p.r.parent?.parent?.clone)?.promotable) continue;
      } else if (requires === "nothing") continue;
      for (const c of p.current) if (!fenced.has(c)) stopOn(p, c);
      if (p.next !== null) {
        p.start = true;
        p.startBlocked = true;
      }
    }
  }

  // A node still joining (pending) cannot be probed yet: what it may be running is unknown, so nothing that was
  // never seen there starts anywhere until it has been asked.
  const pendingNodes = ws.nodes.filter((n) => n.pending && n.online && !n.remoteConnection);
  for (const p of plans.values())
    if (p.start && !p.startBlocked && pendingNodes.some((n) => !p.r.probed.has(n.name))) p.startBlocked = true;

  // A resource that cannot be stopped cannot be started elsewhere either.
  for (const p of plans.values()) {
    if (p.stopBlocked && p.start && p.next && !p.current.includes(p.next)) {
      p.start = false;
      p.next = p.current[0] ?? null;
    }
  }

  // Mandatory ordering, including a group's internal order: what "first" does decides what "then" may do.
  const orders: Array<{
    first: string;
    then: string;
    symmetrical: boolean;
    firstAction: string;
    thenAction: string;
    optional?: boolean;
    requireAll?: boolean;
    /** Between two members of one copy of a cloned group: a member restarting restarts the members after it. */
    withinCopy?: boolean;
    /** An optional order whose "then" has restart-type=restart. */
    restartThen?: boolean;
  }> = [];
  /** Stand-ins for "any one of these" (an ordered set with require-all=false). */
  const anySets = new Map<string, string[]>();
  const anyOf = (ids: string[]): string => {
    const key = `any of ${ids.join(", ")}`;
    anySets.set(key, ids);
    return key;
  };
  for (const o of ws.input.orders) {
    // An optional order only orders what happens anyway, but a restart of "first" still restarts "then".
    if (o.kind === "Optional" && o.first && o.then)
      orders.push({
        first: o.first,
        then: o.then,
        symmetrical: o.symmetrical,
        firstAction: o.firstAction,
        thenAction: o.thenAction,
        optional: true,
        restartThen: orderedRsc(ws, o.then)?.meta["restart-type"] === "restart",
      });
    if (o.kind !== "Mandatory") continue;
    if (o.first && o.then)
      orders.push({
        first: o.first,
        then: o.then,
        symmetrical: o.symmetrical,
        firstAction: o.firstAction,
        thenAction: o.thenAction,
        requireAll: o.requireAll,
      });
    for (const set of o.sets ?? []) {
      if (!set.sequential) continue;
      for (let i = 1; i < set.resources.length; i++)
        orders.push({
          first: set.resources[i - 1]!,
          then: set.resources[i]!,
          symmetrical: o.symmetrical,
          firstAction: set.action ?? "start",
          thenAction: set.action ?? "start",
        });
    }
    if (o.sets && o.sets.length > 1) {
      for (let i = 1; i < o.sets.length; i++) {
        const a = o.sets[i - 1]!,
          b = o.sets[i]!;
        // A set with require-all=false is satisfied by any one of its members.
        const firstsOf = a.requireAll === false ? [anyOf(a.resources)] : a.resources;
        for (const x of firstsOf)
          for (const y of b.resources)
            orders.push({
              first: x,
              then: y,
              symmetrical: o.symmetrical,
              firstAction: a.action ?? "start",
              thenAction: b.action ?? "start",
            });
      }
    }
  }
  for (const r of ws.resources) {
    const groups = r.kind === "group" ? [r] : r.kind === "clone" ? r.children.filter((c) => c.kind === "group") : [];
    for (const g of groups)
      for (let i = 1; i < g.children.length; i++)
        orders.push({
          first: g.children[i - 1]!.id,
          then: g.children[i]!.id,
          symmetrical: true,
          firstAction: "start",
          thenAction: "start",
          withinCopy: g !== r,
        });
  }
  /** The plans that stand for a resource at one end of an order: a group's last member (as first) or first member
   * (as then); every instance of a clone. */
  const ends = (id: string, end: "first" | "then"): Plan[] => {
    const members = anySets.get(id);
    if (members) return members.flatMap((m) => ends(m, end));
    const r = orderedRsc(ws, id);
    if (!r) return [];
    const units = r.kind === "clone" ? r.children : [r];
    return units
      .map((u) => {
        const prims = primitivesOf(u);
        const p = end === "first" ? prims[prims.length - 1] : prims[0];
        return p && plans.get(p.id);
      })
      .filter((x): x is Plan => !!x);
  };
  // A frozen resource counts as running only where it runs healthily.
  const willRun = (p: Plan) =>
    frozen(p.r) ? p.current.some((c) => !p.r.running.get(c)!.failed) : p.next !== null && !(p.start && p.startBlocked);
  for (let changed = true, rounds = 0; changed && rounds < 100; rounds++) {
    changed = false;
    for (const o of orders) {
      // "Promote first, then start": nothing of "then" starts (or stays) unless a copy of "first" will be promoted.
      if (o.firstAction === "promote" && o.thenAction === "start" && !o.optional) {
        const firsts = ends(o.first, "first");
        const promotes = firsts.some(
          (f) => placement.promoted.has(f.r.id) && f.next !== null && !(f.start && f.startBlocked),
        );
        if (firsts.length === 0 || promotes) continue;
        for (const then of ends(o.then, "then")) {
          if (frozen(then.r)) continue;
          if (then.start && !then.startBlocked) {
            then.startBlocked = true;
            changed = true;
          }
          if (o.symmetrical && then.current.some((c) => !then.stop.has(c)) && then.next !== null) {
            for (const c of then.current) stopOn(then, c);
            then.start = true;
            then.startBlocked = true;
            changed = true;
          }
        }
        continue;
      }
      // restart-type=restart (deprecated, still honoured by Pacemaker 2.1): an optional order makes "then" follow
      // "first" — first's action taking place requires then's, so a "then" that keeps running is restarted.
      if (o.restartThen && (o.thenAction === "stop" || o.thenAction === "start")) {
        const acts = (f: Plan) =>
          o.firstAction === "stop"
            ? f.stop.size > 0 || f.current.some((c) => fenced.has(c)) // (fencing stops it: still a stop)
            : o.firstAction === "start" && f.start && !f.startBlocked;
        if (ends(o.first, "first").some(acts))
          for (const then of ends(o.then, "then")) {
            if (frozen(then.r) || then.current.length === 0 || then.next === null || then.start) continue;
            if (isCloneInstance(then.r)) continue;
            restart(then);
            changed = true;
          }
      }
      if (o.firstAction !== "start" || o.thenAction !== "start") continue;
      const firsts = ends(o.first, "first"),
        thens = ends(o.then, "then");
      if (firsts.length === 0) continue;
      // A clone counts as running once clone-min of its instances run (default 1).
      const firstRsc = orderedRsc(ws, o.first);
      const cloneMin = firstRsc?.clone ? Math.max(1, parseInt(firstRsc.meta["clone-min"] ?? "1", 10) || 1) : 1;
      const firstWillRun = firsts.filter(willRun).length >= cloneMin;
      // first (re)starts while nothing of it stays up → then, already running, restarts after it.
      const firstStable = firsts.some((f) => f.current.length > 0 && f.stop.size === 0);
      // (A live migration is not a restart.)
      const migrates = (f: Plan) =>
        f.stop.size === 1 &&
        f.next !== null &&
        !f.current.includes(f.next) &&
        canMigrate(ws, f.r, [...f.stop][0]!) &&
        !f.current.some((c) => f.r.running.get(c)?.failed);
      // A copy of a cloned "first" restarting where it runs (or stopped there for want of what it follows) takes the
      // clone through its stop and start: what follows the whole clone restarts with it.
      const copyHeldBack =
        firsts.length > 1 &&
        firsts.some((f) => f.stop.size > 0 && f.start && f.next !== null && f.current.includes(f.next));
      const firstRestarts =
        copyHeldBack ||
        (!firstStable &&
          firsts.some((f) => f.start && !f.startBlocked && !migrates(f) && (f.stop.size > 0 || !isCloneInstance(f.r))));
      // "then" cannot be stopped (frozen, or its own stop is blocked) → "first" cannot stop before it; the loop
      // carries this down the whole order chain (a group's members below a blocked one keep running).
      if (
        o.symmetrical &&
        thens.some((t) => (frozen(t.r) && t.current.length > 0) || (t.stopBlocked && t.stop.size > 0))
      ) {
        for (const f of firsts)
          if (f.stop.size > 0 && !f.stopBlocked) {
            f.stopBlocked = true;
            if (f.start && f.next && !f.current.includes(f.next)) {
              f.start = false;
            }
            changed = true;
          }
      }
      const thenRsc = orderedRsc(ws, o.then);
      const interleaved = !!(thenRsc?.clone?.interleave && firstRsc?.clone) && o.requireAll !== false;
      for (const then of thens) {
        if (frozen(then.r)) continue;
        if (!o.optional && !then.noMigrate && firsts.some((f) => f.stop.size > 0 && f.start && !migrates(f))) {
          then.noMigrate = true;
          changed = true;
        }
        // Interleaved clones: each instance follows the first's instance on its own node (unless clone-min counts).
        const firstOk =
          interleaved && cloneMin <= 1 ? firsts.some((f) => willRun(f) && f.next === then.next) : firstWillRun;
        // An interleaved instance with no partner on its node is simply not placed there.
        if (
          interleaved &&
          cloneMin <= 1 &&
          !firsts.some((f) => f.next === then.next) &&
          then.current.length === 0 &&
          then.start
        )
          then.unplaced = true;
        if (o.optional) {
          const firstRecovers = firsts.some(
            (f) => f.stop.size > 0 && f.start && !f.startBlocked && f.current.some((c) => f.r.running.get(c)?.failed),
          );
          if (
            firstRecovers &&
            then.current.length > 0 &&
            then.next !== null &&
            !then.start &&
            !isCloneInstance(then.r)
          ) {
            restart(then);
            changed = true;
          }
          continue;
        }
        if (then.start && !then.startBlocked && !firstOk) {
          then.startBlocked = true;
          changed = true;
        }
        if (!firstOk && then.current.length > 0 && o.symmetrical) {
          for (const c of then.current)
            if (!then.stop.has(c)) {
              stopOn(then, c);
              changed = true;
            }
          if (then.next !== null && !then.start) {
            then.start = true;
            then.startBlocked = true;
            changed = true;
          }
        }
        // A reload waits for nothing: once what it is ordered after starts, the reload becomes a full restart.
        if (
          then.next !== null &&
          then.r.needsReload.has(then.next) &&
          then.current.includes(then.next) &&
          !then.start &&
          firsts.some((f) => f.start && !f.startBlocked)
        ) {
          restart(then, [then.next]);
          changed = true;
        }
        // Interleaved copies: the copy of "first" on this node restarting restarts this node's copy of "then".
        const partner = interleaved ? firsts.find((f) => f.next !== null && f.next === then.next) : undefined;
        if (
          partner &&
          partner.stop.has(partner.next!) &&
          partner.start &&
          !partner.startBlocked &&
          then.current.includes(then.next!) &&
          !then.start &&
          o.symmetrical
        ) {
          restart(then, [then.next!]);
          changed = true;
        }
        if (
          firstRestarts &&
          then.current.length > 0 &&
          then.next !== null &&
          !then.start &&
          o.symmetrical &&
          (!isCloneInstance(then.r) || o.withinCopy)
        ) {
          restart(then);
          changed = true;
        }
      }
    }
  }

  // Stopping a duplicate copy of an anonymous cloned group stops the services it shares with the copy that stays
  // on that node, so that copy restarts (as Pacemaker does for groups; a plain primitive copy does not).
  for (const r of ws.resources) {
    if (r.kind !== "clone" || r.clone!.unique || r.children[0]?.kind !== "group") continue;
    for (const orphan of r.children.filter((c) => c.orphan)) {
      // Only a whole duplicate group (its first member included) takes the shared services down with it.
      const head = plans.get(primitivesOf(orphan)[0]?.id ?? "");
      if (!head || head.stop.size === 0) continue;
      for (const op of primitivesOf(orphan)) {
        const stopping = plans.get(op.id);
        for (const n of stopping?.stop ?? []) {
          for (const inst of r.children.filter((c) => !c.orphan)) {
            for (const m of primitivesOf(inst)) {
              const p = plans.get(m.id);
              if (!p || frozen(m) || m.baseId !== op.baseId || !p.current.includes(n) || p.next !== n || p.start)
                continue;
              restart(p, [n]);
            }
          }
        }
      }
    }
  }

  // A remote or guest node whose connection stops and starts again (not a live migration) restarts what runs on it.
  for (const n of ws.nodes) {
    if (!n.remoteConnection) continue;
    const conn = plans.get(n.remoteConnection);
    if (!conn || !(conn.stop.size > 0 && conn.start && !conn.startBlocked)) continue;
    const from = [...conn.stop][0]!;
    if (from !== conn.next && canMigrate(ws, conn.r, from)) continue;
    for (const p of plans.values()) {
      if (frozen(p.r) || !p.current.includes(n.name) || p.next !== n.name || p.start) continue;
      restart(p, [n.name]);
    }
  }

  // A resource that must run with another (INFINITY colocation) cannot run once that other cannot start.
  for (let changed = true, rounds = 0; changed && rounds < 50; rounds++) {
    changed = false;
    for (const c of ws.input.colocations) {
      if (c.score < 1_000_000 || !c.rsc || !c.withRsc) continue;
      const dep = plans.get(c.rsc);
      // The other is a primitive, or a clone: then any of its copies that will run will do.
      const withClone = ws.byId.get(c.withRsc);
      const prims =
        withClone?.kind === "clone"
          ? withClone.children.map((i) => plans.get(primitivesOf(i)[0]?.id ?? "")).filter((x): x is Plan => !!x)
          : [plans.get(c.withRsc)].filter((x): x is Plan => !!x);
      if (!dep || prims.length === 0 || frozen(dep.r)) continue;
      const primRuns = prims.some((prim) => prim.next !== null && !(prim.start && prim.startBlocked));
      if (primRuns || dep.next === null || (dep.start && dep.startBlocked)) continue;
      for (const cur of dep.current) stopOn(dep, cur);
      dep.start = true;
      dep.startBlocked = true;
      changed = true;
    }
  }

  unfenceNodes(ws, plans, fences);

  // A copy promoted where a resource it must be promoted with (mandatory colocation of the promoted role) will not
  // run: the promotion is chosen but cannot be carried out — shown blocked, the copy stays unpromoted.
  const promoteBlocked = new Set<string>();
  for (const p of plans.values()) {
    if (!placement.promoted.has(p.r.id) || !p.next) continue;
    const owners = [p.r.id, p.r.baseId, p.r.parent?.id, p.r.parent?.baseId];
    for (const c of ws.input.colocations) {
      if (!owners.includes(c.rsc) || (c.score ?? 0) < INF || !/^(promoted|master)$/i.test(c.rscRole ?? "")) continue;
      const primary = ws.byId.get(c.withRsc ?? "");
      if (!primary) continue;
      const runsThere = primitivesOf(primary).some((q) => {
        const qp = plans.get(q.id);
        return qp && (frozen(q) ? qp.current.includes(p.next!) : qp.next === p.next && !(qp.start && qp.startBlocked));
      });
      if (!runsThere) promoteBlocked.add(p.r.id);
    }
  }

  const actions: Action[] = [];
  for (const p of plans.values()) {
    const { r } = p;
    if (frozen(r)) continue;
    const cur = p.current.filter((c) => !fenced.has(c));
    const failed = p.current.some((c) => r.running.get(c)!.failed);
    const startNode = p.start ? p.next : null;
    const willPromote = placement.promoted.has(r.id);
    const at = (node: string, promoted: boolean) => (promoted ? `${node}/Promoted` : node);
    const was = (node: string) => at(node, r.running.get(node)?.role === "Promoted");
    const push = (verb: Verb, from: string | null, to: string | null, blocked: boolean) =>
      actions.push({ verb, rsc: r.id, from, to, blocked });
    if (cur.length === 0 && p.current.length > 0 && startNode) {
      // Its node is being fenced: it moves once the fence succeeds (or starts again on a guest node brought back).
      const again = startNode === p.current[0];
      push(failed || again ? "Recover" : "Move", was(p.current[0]!), at(startNode, willPromote), p.startBlocked);
      continue;
    }
    if (cur.length === 0) {
      if (startNode && !(p.startBlocked && p.unplaced)) {
        push(
          willPromote ? "Promote" : "Start",
          null,
          at(startNode, willPromote),
          p.startBlocked || promoteBlocked.has(r.id),
        );
        if (willPromote && !p.startBlocked && promoteBlocked.has(r.id)) actions.at(-1)!.startable = true;
      } else if (p.current.length === 0 && bundleReplicaLost(ws, plans, r))
        push("Start", null, bundleGuestOf(ws, r)!, true); // its replica cannot run: the start waits, blocked
      // Fencing its node stops it: shown as a stop, as Pacemaker does.
      else for (const c of p.current) push("Stop", was(c), null, false);
      continue;
    }
    if (p.stop.size === 0) {
      // Same node, no restart: only the role may change.
      const node = cur[0]!;
      const isPromoted = r.running.get(node)?.role === "Promoted";
      if (p.next === node && isPromoted && !willPromote) push("Demote", at(node, true), node, false);
      if (p.next === node && !isPromoted && willPromote)
        push("Promote", node, at(node, true), promoteBlocked.has(r.id));
      // New reloadable parameters: the agent reloads them in place (a restart, when one comes, does it instead).
      if (p.next === node && r.needsReload.has(node) && !failed)
        push("Reload", was(node), at(node, willPromote), false);
      continue;
    }
    if (!startNode || p.startBlocked || (p.stopBlocked && p.stop.size > 0)) {
      // Stopping, and not starting again (a blocked start after a stop is not shown, as in Pacemaker). A restart or
      // move whose stop is blocked cannot start either: it shows as its blocked stop.
      for (const c of [...p.stop]) push("Stop", was(c), null, p.stopBlocked);
      continue;
    }
    const blocked = p.stopBlocked || p.startBlocked;
    if (cur.length > 1) {
      // Active on several nodes: named after the first of them (in the order the status lists them).
      if (cur[0] === startNode)
        push(failed ? "Recover" : "Restart", was(startNode), at(startNode, willPromote), blocked);
      else push("Move", was(cur[0]!), at(startNode, willPromote), blocked);
      continue;
    }
    const from = cur[0]!;
    // A half-done live migration to where it is going anyway is simply completed.
    if (
      startNode !== from &&
      !r.stoppedOn.has(startNode) &&
      r.migrations.some((m) => m.ok && m.source === from && m.target === startNode)
    ) {
      push("Migrate", was(from), at(startNode, willPromote), blocked);
      continue;
    }
    if (from === startNode) push(failed ? "Recover" : "Restart", was(from), at(startNode, willPromote), blocked);
    else
      push(
        failed ? "Recover" : canMigrate(ws, r, from) && !p.restart && !p.noMigrate ? "Migrate" : "Move",
        was(from),
        at(startNode, willPromote),
        blocked,
      );
  }

  // The cluster once the transition has run.
  const placed: Placed[] = [];
  for (const p of plans.values()) {
    const { r } = p;
    if ((r.implicit && !ws.bundles.replicaInstance.has(r.id)) || ws.bundles.hidden.has(r.id)) continue;
    // A bundle's replica is listed while the resource inside it is active, in that resource's role.
    const inside = ws.bundles.replicaInstance.get(r.id);
    let replicaRole: Placed["role"] | undefined;
    if (inside) {
      const ip = plans.get(inside);
      const innerActive = ip
        ? frozen(ip.r)
          ? ip.current.includes(r.id)
          : ip.next === r.id && !(ip.start && ip.startBlocked)
        : false;
      if (!innerActive) continue;
      const promoted =
        ip?.next && !frozen(ip.r)
          ? placement.promoted.has(inside)
          : ws.byId.get(inside)?.running.get(r.id)?.role === "Promoted";
      replicaRole = promoted ? "Promoted" : "Started";
    }
    const flags = new Set<string>();
    if (frozen(r)) {
      // "blocked" is shown instead of "unmanaged" when a failure blocked it.
      if (r.blocked) flags.add("blocked");
      else if (!r.managed && !r.heldForFencing) flags.add("unmanaged");
      for (const c of p.current) {
        if (fenced.has(c)) continue;
        const st = r.running.get(c)!;
        const f = new Set(flags);
        if (st.failed) f.add("failed");
        if (st.blocked) {
          f.add("blocked");
          f.delete("unmanaged");
        }
        if (st.failureIgnored) f.add("failure-ignored");
        if (r.orphan) f.add("orphaned");
        if (/^stopped$/i.test(r.targetRole)) f.add("disabled");
        const node = ws.nodeByName.get(c)!;
        if (node.unclean && !fenced.has(c)) f.add("unclean");
        placed.push({
          rsc: placeName(r),
          node: replicaRole ? (plans.get(ws.guestOf.get(r.id) ?? "")?.current[0] ?? c) : c,
          role: replicaRole ?? (st.role === "Promoted" ? "Promoted" : "Started"),
          flags: [...f].sort(),
        });
      }
      continue;
    }
    const stays = new Set<string>();
    for (const c of p.current) {
      if (fenced.has(c)) continue;
      // (A start still recorded as in flight keeps it shown where it was starting when it outlives the stop's result,
      // as crm_simulate leaves it.)
      const st = r.running.get(c);
      if (!p.stop.has(c) || p.stopBlocked || (st?.pending === "start" && pendingOutlivesSimulatedResult(st.pendingKey)))
        stays.add(c);
    }
    if (p.start && !p.startBlocked && p.next) stays.add(p.next);
    for (const n of stays) {
      const st = r.running.get(n);
      const f: string[] = [];
      const stillOld = st && (!p.start || p.next !== n || p.stopBlocked) && (!p.stop.has(n) || p.stopBlocked);
      if (stillOld && st.failed) f.push("failed");
      if (stillOld && st.blocked) f.push("blocked");
      if (stillOld && st.failureIgnored) f.push("failure-ignored");
      const node = ws.nodeByName.get(n)!;
      if (stillOld && node.unclean) f.push("unclean");
      if (stillOld && r.orphan) f.push("orphaned");
      if (stillOld && /^stopped$/i.test(r.targetRole)) f.push("disabled");
      const settled = n === p.next && !p.stopBlocked && !(p.start && p.startBlocked);
      if (replicaRole) {
        // Listed on the host of its container (its connection may run from another node).
        const container = plans.get(ws.guestOf.get(r.id) ?? "");
        const host = container?.next ?? container?.current[0] ?? n;
        placed.push({ rsc: r.id, node: host, role: replicaRole, flags: [...new Set(f)].sort() });
        continue;
      }
      const role = settled
        ? placement.promoted.has(r.id) && !promoteBlocked.has(r.id)
          ? "Promoted"
          : "Started"
        : st?.role === "Promoted"
          ? "Promoted"
          : "Started";
      placed.push({ rsc: placeName(r), node: n, role, flags: [...new Set(f)].sort() });
    }
  }

  const hosting = new Set(placed.map((p) => p.node));
  const remoteUp = (n: SNode): boolean => {
    const conn = plans.get(n.remoteConnection!);
    if (!conn) return false;
    if (frozen(conn.r)) return conn.current.length > 0;
    return conn.next !== null && !(conn.start && conn.startBlocked);
  };
  const nodes: NodeOutcome[] = ws.nodes.map((n): NodeOutcome => ({
    node: n.name,
    state:
      n.remoteConnection && (remoteUp(n) || (!n.unclean && (!fenced.has(n.name) || ws.guestOf.has(n.name))))
        ? remoteUp(n)
          ? n.standby
            ? "standby"
            : n.maintenance
              ? "maintenance"
              : "online"
          : "offline"
        : nodeState(n, fenced.has(n.name), hosting.has(n.name)),
  }));
  // A guest node that is down is not a node of the cluster at all (it exists only while its container runs).
  const shown = nodes.filter((o) => !(ws.guestOf.has(o.node) && o.state === "offline"));
  return { actions, fences, placed, nodes: shown };
}

/**
 * With a fence device that provides unfencing, a node is unfenced ("on") before anything that needs it runs there:
 * when it was never unfenced and resources are to be probed or started on it, or when the device's definition
 * changed there. What already runs there and needs unfencing restarts after it.
 */
function unfenceNodes(ws: WorkingSet, plans: Map<string, Plan>, fences: Fence[]): void {
  if (!ws.unfencing) return;
  const needsUnfencing = (r: SRsc) => (r.meta.requires ?? "unfencing") === "unfencing" && !isStonith(r);
  for (const n of ws.nodes) {
    if (!n.online || n.unclean || n.shutdown || n.fence || n.remoteConnection) continue;
    const devices = [...plans.values()].filter((p) => isStonith(p.r) && p.r.def.kind === "primitive");
    const deviceChanged = devices.some((p) => p.r.needsRestart.has(n.name) && p.current.includes(n.name));
    if (n.attrs["#node-unfenced"] === undefined || deviceChanged) {
      const probes = [...plans.values()].some((p) => !p.r.orphan && !frozen(p.r) && !p.r.probed.has(n.name));
      const starts = [...plans.values()].some(
        (p) => p.start && !p.startBlocked && p.next === n.name && needsUnfencing(p.r),
      );
      if (!probes && !starts && !deviceChanged) continue;
      fences.push({ node: n.name, action: "on" });
      if (!deviceChanged) continue;
      for (const p of plans.values()) {
        if (frozen(p.r) || !needsUnfencing(p.r) || !p.current.includes(n.name) || p.next !== n.name || p.start)
          continue;
        restart(p, [n.name]);
      }
    }
  }
}

/** The guest node (replica) a bundle's instance belongs to. */
function bundleGuestOf(ws: WorkingSet, r: SRsc): string | undefined {
  for (const [guest, inst] of ws.bundles.replicaInstance) if (inst === r.id) return guest;
  return undefined;
}

/** A bundle's instance whose replica's container runs now but is stopping, or cannot start. */
function bundleReplicaLost(ws: WorkingSet, plans: Map<string, Plan>, r: SRsc): boolean {
  const guest = bundleGuestOf(ws, r);
  const container = plans.get(ws.guestOf.get(guest ?? "") ?? "");
  if (!container) return false;
  const stopping = container.current.length > 0 && (container.next === null || container.startBlocked);
  return stopping || (container.start && container.startBlocked);
}

/** Live migration (migrate_to/migrate_from) instead of stop+start: allowed by the resource, from a healthy node. */
function canMigrate(ws: WorkingSet, r: SRsc, from: string): boolean {
  // Remote node connections migrate unless told not to.
  const allow = r.meta["allow-migrate"] ?? (r.connectsNode && !r.implicit ? "true" : "false");
  if (!/^(true|yes|1|on)$/i.test(allow)) return false;
  if (r.kind !== "primitive" || r.parent?.clone || r.parent?.parent?.clone) return false;
  const node = ws.nodeByName.get(from);
  return !!node && node.online && !node.unclean && !(r.def.kind === "primitive" && r.def.cls === "stonith");
}

const isCloneInstance = (r: SRsc): boolean => !!(r.parent?.clone || r.parent?.parent?.clone);

/** Anonymous clone instances are shown by their configured id; globally-unique ones keep :N. */
function placeName(r: SRsc): string {
  const clone = r.parent?.clone ? r.parent : r.parent?.parent?.clone ? r.parent.parent : undefined;
  return clone && !clone.clone!.unique ? r.baseId : r.id;
}

function nodeState(n: SNode, fenced: boolean, hosting: boolean): string {
  // A remote node reset because its connection was lost stays unclean until that connection is back.
  if (fenced && n.remoteConnection && n.unclean && n.remoteLost) return "unclean-offline";
  if (fenced) return "offline";
  if (n.unclean) return n.online ? "unclean-online" : "unclean-offline";
  if (n.pending) return "pending";
  if (!n.online) return n.standby ? "offline-standby" : n.maintenance ? "offline-maintenance" : "offline";
  if (n.maintenance) return "maintenance";
  if (n.standby) return hosting ? "standby-with-active-resources" : "standby";
  return n.health === "green" ? "online" : `online-health-is-${n.health}`;
}

/** The resource an order names: by id, or the clone a configured child id stands for. */
function orderedRsc(ws: WorkingSet, id: string): SRsc | undefined {
  return ws.byId.get(id) ?? ws.cloneChildOwner.get(id)?.clone;
}

/** crm_simulate records each simulated result under transition −1 of a placeholder cluster id; Pacemaker orders a
 * pending operation against it by their transition keys: from another cluster id, or from transition −1 too, the
 * pending one counts as newer (it still runs); from the same id and a numbered transition it is older (−1 "always
 * comes last"); without a key, the result recorded last is newer. */
export function pendingOutlivesSimulatedResult(key: string | undefined): boolean {
  const m = key === undefined ? null : /^-?\d+:(-?\d+):-?\d+:(.*)$/.exec(key);
  if (!m) return false;
  return m[2] !== SIMULATED_CLUSTER_ID || m[1] === "-1";
}
const SIMULATED_CLUSTER_ID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
