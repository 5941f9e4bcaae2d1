// The built-in Elastic IP against moto's EC2 endpoint (moto_server on loopback): it moves between two instances,
// a node's stop never takes it from another node's instance, an API that fails a few times still ends with it
// moved, and an API that keeps failing says why — never with a credential.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import { after, before, test } from "node:test";
import {
  AllocateAddressCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import type { PrimitiveConfig } from "../../config/model.js";
import { unmet } from "../../../test/requires.js";
import { AwsEipAgent } from "./aws-eip-agent.js";

const haveMoto = spawnSync("sh", ["-c", "command -v moto_server"]).status === 0;
const skip = unmet([haveMoto, "moto_server (Python moto[server]) is not installed"]);
const PORT = 15000 + (process.pid % 1000);
const PROXY_PORT = PORT + 1000;
const ENDPOINT = `http://127.0.0.1:${PORT}`;
const SECRET = "moto-secret-Zq7";
let moto: ChildProcess | undefined;
let proxy: Server | undefined;
let failNext = 0;
let allocationId = "";
let publicIp = "";
const instances: string[] = [];

before(async () => {
  if (skip) return;
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "AKIDMOTOTEST",
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_REGION: "us-east-1",
  });
  moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(PORT)], { stdio: "ignore" });
  const ec2 = new EC2Client({ endpoint: ENDPOINT, region: "us-east-1" });
  for (let i = 0; ; i++) {
    try {
      await ec2.send(new DescribeAddressesCommand({}));
      break;
    } catch (e) {
      if (i > 100) throw new Error(`moto_server did not answer: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const image = (await ec2.send(new DescribeImagesCommand({}))).Images![0]!.ImageId!;
  for (let i = 0; i < 2; i++) {
    const r = await ec2.send(new RunInstancesCommand({ ImageId: image, MinCount: 1, MaxCount: 1 }));
    instances.push(r.Instances![0]!.InstanceId!);
  }
  const a = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
  allocationId = a.AllocationId!;
  publicIp = a.PublicIp!;
  // In front of moto: answers "503 ServiceUnavailable" to the next `failNext` AssociateAddress calls.
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (failNext > 0 && body.toString().includes("Action=AssociateAddress")) {
        failNext--;
        res.writeHead(503, { "content-type": "text/xml" });
        res.end(
          "<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>Please try again</Message></Error></Errors><RequestID>x</RequestID></Response>",
        );
        return;
      }
      const up = request(
        { host: "127.0.0.1", port: PORT, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.end(body);
    });
  });
  await new Promise<void>((r) => proxy!.listen(PROXY_PORT, "127.0.0.1", r));
});

after(() => {
  proxy?.close();
  moto?.kill("SIGKILL");
});

const rsc = (params: Record<string, string>): PrimitiveConfig =>
  ({ id: "eip", agent: { class: "ocf", provider: "paceline", type: "aws-eip" }, params }) as unknown as PrimitiveConfig;
const op = (action: "start" | "stop" | "monitor" | "probe") => ({ action, timeoutMs: 20_000, intervalMs: 0 });

/** The agent as node `node` runs it. */
async function on(node: string, agent: AwsEipAgent, action: "start" | "stop" | "monitor" | "probe") {
  process.env.PACELINE_NODE = node;
  const r = await agent.run(op(action));
  assert.doesNotMatch(r.reason, new RegExp(SECRET));
  return r;
}

async function associatedWith(): Promise<string | undefined> {
  const ec2 = new EC2Client({ endpoint: ENDPOINT, region: "us-east-1" });
  const address = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses?.[0];
  return address?.InstanceId || undefined; // (moto says "" once disassociated)
}

test(
  "an Elastic IP moves to the node that starts it, and a stop never takes it from another node",
  { skip },
  async () => {
    const params = {
      allocation_id: allocationId,
      instance_id: `n1=${instances[0]} n2=${instances[1]}`,
      endpoint: ENDPOINT,
    };
    const n1 = new AwsEipAgent(rsc(params));
    const n2 = new AwsEipAgent(rsc(params));
    assert.equal((await on("n1", n1, "probe")).rc, 7);
    const started = await on("n1", n1, "start");
    assert.equal(started.rc, 0, started.reason);
    assert.equal(await associatedWith(), instances[0]);
    assert.equal((await on("n1", n1, "monitor")).rc, 0);
    // n1 is lost; n2 takes it over in one call (reassociation), without n1's stop.
    const moved = await on("n2", n2, "start");
    assert.equal(moved.rc, 0, moved.reason);
    assert.match(moved.reason, new RegExp(`was associated with ${instances[0]}`));
    assert.equal(await associatedWith(), instances[1]);
    const stale = await on("n1", n1, "monitor");
    assert.equal(stale.rc, 7);
    // n1 comes back and stops what it thinks it has: the address stays with n2.
    assert.equal((await on("n1", n1, "stop")).rc, 0);
    assert.equal(await associatedWith(), instances[1]);
    assert.equal((await on("n2", n2, "stop")).rc, 0);
    assert.equal(await associatedWith(), undefined);
    // The public address works as well as the allocation id.
    const byIp = new AwsEipAgent(rsc({ elastic_ip: publicIp, instance_id: instances[0]!, endpoint: ENDPOINT }));
    assert.equal((await on("n1", byIp, "start")).rc, 0);
    assert.equal(await associatedWith(), instances[0]);
    assert.equal((await on("n1", byIp, "stop")).rc, 0);
  },
);

test(
  "an API that fails three times then answers still moves the address; one that keeps failing says why",
  { skip },
  async () => {
    const params = {
      allocation_id: allocationId,
      instance_id: instances[1]!,
      endpoint: `http://127.0.0.1:${PROXY_PORT}`,
    };
    failNext = 3;
    const r = await on("n2", new AwsEipAgent(rsc(params)), "start");
    assert.equal(r.rc, 0, r.reason);
    assert.equal(failNext, 0, "the three failures were met and retried");
    assert.equal(await associatedWith(), instances[1]);
    await on("n2", new AwsEipAgent(rsc(params)), "stop");
    failNext = 100;
    const bad = await on("n2", new AwsEipAgent(rsc({ ...params, max_attempts: "3" })), "start");
    failNext = 0;
    assert.equal(bad.rc, 1);
    assert.match(
      bad.reason,
      /^AssociateAddress failed after 3 attempts \(HTTP 503\): ServiceUnavailable: Please try again$/,
    );
  },
);

test("a wrong configuration is refused before any call, with the reason", async () => {
  const r = await new AwsEipAgent(rsc({ instance_id: "i-0abc" })).run(op("start"));
  assert.equal(r.rc, 6);
  assert.match(r.reason, /needs params.elastic_ip .* or params.allocation_id/);
  process.env.PACELINE_NODE = "n1";
  const n = await new AwsEipAgent(rsc({ allocation_id: "eipalloc-1", instance_id: "n9=i-0abc" })).run(op("monitor"));
  assert.equal(n.rc, 2, "not on this node (the others may run it)");
  assert.match(n.reason, /names no instance for this node \(n1\)/);
});

test("cluster.yaml: `agent: aws-eip` with its parameters checked where they are written", async () => {
  const { loadConfigText } = await import("../../config/load.js");
  const ok = loadConfigText(
    `resources:\n  eip: { agent: aws-eip, params: { allocation_id: eipalloc-0abc, instance_id: "n1=i-0a n2=i-0b", region: ap-northeast-1 } }\n`,
  );
  assert.ok(ok.config, ok.problems.map((p) => p.message).join("; "));
  const bad = loadConfigText(
    `resources:\n  eip: { agent: aws-eip, params: { allocation_id: eipalloc-0abc, region: tokyo } }\n`,
  );
  assert.deepEqual(
    bad.problems.map((p) => [p.path, p.message]),
    [["resources.eip.params", "aws-eip: params.region `tokyo` is not a region name (e.g. ap-northeast-1)"]],
  );
});
