// A bundle (Pacemaker's containerised resource) is expanded into what it stands for, so the rest of the scheduler
// sees only primitives, clones and constraints: for each replica i, an optional IP address (B-ip-ADDR), a container
// (B-docker-i, run by the runtime's agent) and — when the bundle holds a resource — a guest node B-i inside that
// container, on which instance i of the resource (a clone named B-clone, or B-master when promotable) runs.

import type {
  ColocationDef,
  LocationDef,
  OrderDef,
  PrimitiveDef,
  ResourceDef,
  SchedulerInput,
} from "../../config/cluster-model.js";
import { entriesNamed } from "../../config/history-table.js";
import { INF } from "./scores.js";

export interface BundleInfo {
  /** Made here with parameters Pacemaker's own may differ from: their digests are not compared. */
  generated: Set<string>;
  /** Not listed where things run: a bundle's replica is shown by its guest node's name (or by its container). */
  hidden: Set<string>;
  /** Guest node of a replica → the instance of the bundle's resource that runs there. */
  instanceOnGuest: Map<string, { cloneId: string; index: number }>;
  /** A replica's connection → the instance whose role the replica shows. */
  replicaInstance: Map<string, string>;
  /** Bundle ids, which stand for the set of their containers in a colocation. */
  bundleIds: Set<string>;
  /** A container (one per host) → the other replicas' containers of its bundle. */
  siblings: Map<string, string[]>;
}

export const noBundles = (): BundleInfo => ({
  generated: new Set(),
  hidden: new Set(),
  instanceOnGuest: new Map(),
  replicaInstance: new Map(),
  bundleIds: new Set(),
  siblings: new Map(),
});

/** The IPv4 address `n` after `start`. */
function addressAfter(start: string, n: number): string | undefined {
  const parts = start.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const value = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]! + n;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

const primitive = (id: string, type: string, params: Record<string, string>, meta: PrimitiveDef["meta"]) =>
  ({
    kind: "primitive",
    id,
    cls: "ocf",
    provider: "heartbeat",
    type,
    meta,
    params: Object.keys(params).length ? [{ id: `${id}-params`, score: 0, values: params }] : [],
    utilization: {},
    ops: [],
  }) as PrimitiveDef;

/** A replica's container runs on a node that is up and where nothing bans the bundle. */
function canStay(input: SchedulerInput, bundle: string, container: string): boolean {
  return input.nodeStates.some(
    (ns) =>
      ns.crmd === "online" &&
      entriesNamed(ns, container).some((l) => l.ops.some((o) => o.operation === "start" && o.rc === 0)) &&
      !input.locations.some(
        (l) => l.rsc === bundle && (l.node === ns.uname || l.node === ns.id) && (l.score ?? 0) <= -INF,
      ),
  );
}

export function expandBundles(input: SchedulerInput): { input: SchedulerInput; info: BundleInfo } {
  const info = noBundles();
  if (!input.resources.some((r) => r.kind === "bundle")) return { input, info };
  const resources: ResourceDef[] = [];
  const colocations: ColocationDef[] = [];
  const orders: OrderDef[] = [];
  const locations: LocationDef[] = [];
  /** A bundle id → what a constraint naming it means: its containers, or the clone of its resource. */
  const containersOf = new Map<string, string[]>();
  const innerOf = new Map<string, string>();
  const guests: string[] = [];
  for (const def of input.resources) {
    if (def.kind !== "bundle") {
      resources.push(def);
      continue;
    }
    const b = def;
    const containers: string[] = [];
    for (let i = 0; i < b.replicas; i++) {
      const cId = `${b.id}-${b.runtime}-${i}`;
      const guest = `${b.id}-${i}`;
      const address = b.ipRangeStart ? addressAfter(b.ipRangeStart, i) : undefined;
      if (address) {
        const ipId = `${b.id}-ip-${address}`;
        const params: Record<string, string> = { ip: address, cidr_netmask: b.hostNetmask ?? "32" };
        if (b.hostInterface) params.nic = b.hostInterface;
        resources.push(primitive(ipId, "IPaddr2", params, b.meta));
        info.generated.add(ipId);
        colocations.push({ id: `${ipId}-with-${cId}`, rsc: ipId, withRsc: cId, score: INF, nodeAttribute: "#uname" });
        orders.push({
          id: `${ipId}-then-${cId}`,
          first: ipId,
          then: cId,
          firstAction: "start",
          thenAction: "start",
          kind: "Mandatory",
          symmetrical: true,
        });
      }
      const meta = b.child ? [...b.meta, { id: `${cId}-guest`, score: 0, values: { "remote-node": guest } }] : b.meta;
      resources.push(primitive(cId, b.runtime, {}, meta));
      info.generated.add(cId);
      info.generated.add(guest);
      containers.push(cId);
      if (b.child) {
        guests.push(guest);
        info.hidden.add(cId);
      }
    }
    containersOf.set(b.id, containers);
    info.bundleIds.add(b.id);
    // One replica per host unless the bundle allows more. Like clone instances, the replicas that can stay where
    // they run are placed first; the others take what is left (see also Placer.choose: siblings).
    if (b.replicasPerHost <= 1) {
      for (const c of containers)
        info.siblings.set(
          c,
          containers.filter((x) => x !== c),
        );
      const ranked = [...containers].sort(
        (x, y) => Number(!canStay(input, b.id, x)) - Number(!canStay(input, b.id, y)),
      );
      ranked.forEach((later, i) => {
        for (const earlier of ranked.slice(0, i))
          colocations.push({
            id: `${later}-apart-${earlier}`,
            rsc: later,
            withRsc: earlier,
            score: -INF,
            nodeAttribute: "#uname",
          });
      });
    }
    if (!b.child) continue;
    const cloneId = `${b.id}-${b.promotedMax > 0 ? "master" : "clone"}`;
    innerOf.set(b.id, cloneId);
    resources.push({
      kind: "clone",
      id: cloneId,
      promotable: b.promotedMax > 0,
      meta: [
        ...b.meta,
        {
          id: `${cloneId}-bundle`,
          score: 0,
          values: {
            "clone-max": String(b.replicas),
            "clone-node-max": "1",
            ...(b.promotedMax > 0 ? { "promoted-max": String(b.promotedMax) } : {}),
          },
        },
      ],
      child: b.child,
    });
    for (let i = 0; i < b.replicas; i++) {
      const guest = `${b.id}-${i}`;
      const instance = `${b.child.id}:${i}`;
      info.hidden.add(instance);
      info.instanceOnGuest.set(guest, { cloneId, index: i });
      info.replicaInstance.set(guest, instance);
      // Instance i starts once its replica's guest node is up.
      orders.push({
        id: `${guest}-then-${instance}`,
        first: guest,
        then: instance,
        firstAction: "start",
        thenAction: "start",
        kind: "Mandatory",
        symmetrical: true,
      });
    }
  }
  // The bundle's resource runs only inside its own replicas; containers never run inside a guest.
  const allNodes = [...input.nodes.map((n) => n.name), ...guests];
  for (const [bundle, cloneId] of innerOf) {
    const own = new Set(guests.filter((g) => g.startsWith(`${bundle}-`)));
    for (const n of allNodes)
      if (!own.has(n))
        locations.push({ id: `${cloneId}-only-own-${n}`, rsc: cloneId, node: n, score: -INF, rules: [] });
  }
  for (const containers of containersOf.values())
    for (const c of containers)
      for (const g of guests) locations.push({ id: `${c}-not-in-${g}`, rsc: c, node: g, score: -INF, rules: [] });

  // Constraints that name a bundle: roles and what comes after it concern its resource; places concern its
  // containers.
  const each = <T>(list: T[], key: keyof T, pick: (id: string, x: T) => string[] | undefined): T[] =>
    list.flatMap((x) => {
      const id = x[key] as unknown as string | undefined;
      const to = id !== undefined ? pick(id, x) : undefined;
      return to ? to.map((t) => ({ ...x, [key]: t })) : [x];
    });
  // A promoted or unpromoted role is the bundle's resource's; "Started" (or none) is the replica's.
  const roleOfInner = (role: string | undefined) => !!role && !/^started$/i.test(role);
  const forRole = (role: string | undefined) => (id: string) =>
    innerOf.has(id) && roleOfInner(role) ? [innerOf.get(id)!] : containersOf.get(id);
  let cols = each(input.colocations, "rsc", (id, c) => forRole(c.rscRole)(id));
  // "With the bundle" is with any of its replicas: the bundle stands for the set of its containers.
  cols = each(cols, "withRsc", (id, c) =>
    innerOf.has(id) && roleOfInner(c.withRscRole) ? [innerOf.get(id)!] : undefined,
  );
  const tags = { ...input.tags };
  for (const [bundle, containers] of containersOf) tags[bundle] = containers;
  let ords = each(input.orders, "first", (id, o) =>
    innerOf.has(id) ? [innerOf.get(id)!] : o.firstAction === "start" ? containersOf.get(id) : undefined,
  );
  ords = each(ords, "then", (id, o) =>
    innerOf.has(id) && o.thenAction !== "start" ? [innerOf.get(id)!] : containersOf.get(id),
  );
  const locs = each(input.locations, "rsc", (id, l) => forRole(l.role)(id));
  return {
    input: {
      ...input,
      resources,
      tags,
      colocations: [...cols, ...colocations],
      orders: [...ords, ...orders],
      locations: [...locs, ...locations],
    },
    info,
  };
}
