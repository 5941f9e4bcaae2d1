// The built-in cloud floating IP (`agent: aws-eip`, also `ocf:paceline:aws-eip`): an AWS Elastic IP associated with
// this node's instance through the EC2 API (seed 003's awseip agent, without the aws CLI or a shell script).
// start = AssociateAddress with AllowReassociation (it moves from the failed node's instance in one call);
// monitor = DescribeAddresses (running here when associated with this instance); stop = DisassociateAddress if it
// is still here. Credentials come from the SDK's default chain (environment, ~/.aws, the instance's role) and never
// appear in a result. Throttling, 5xx answers and timeouts are retried with backoff within the operation's timeout.

import { hostname } from "node:os";
import type { Address, EC2Client } from "@aws-sdk/client-ec2";
import type { PrimitiveConfig } from "../../config/model.js";
import { awsEipParams, type AwsEipParams } from "../../config/aws-eip.js";
import type { OpResult } from "../../core/operation.js";
import { builtInPrelude, timedResult, type AgentRunner, type OpRequest } from "./agents.js";
import { OCF } from "./ocf-codes.js";

/** The AWS SDK, loaded only by a daemon that has an Elastic IP (it is large; most clusters have none). Loading it
 * holds the event loop for a few hundred milliseconds — longer than a fast profile's `dead` — so the daemon loads it
 * before it joins the cluster (preloadAwsSdk), not at the first operation. */
const sdk = () => {
  // Its notice that SDK releases after January 2027 need Node 22 is for whoever updates the lockfile, which pins one
  // that runs on Node 20: not for a cluster's log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return import("@aws-sdk/client-ec2");
};
export const preloadAwsSdk = async (): Promise<void> => {
  await sdk();
};

/** Secrets the SDK may have read: removed from any message before it leaves this module. */
function redact(text: string): string {
  let out = text;
  for (const k of ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID"]) {
    const v = process.env[k];
    if (v && v.length >= 4) out = out.split(v).join("******");
  }
  return out;
}

/** What went wrong with a call, in one line: the API's error code and message, and how often it was tried. */
function describeError(call: string, e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { attempts?: number; httpStatusCode?: number } };
  const attempts = err.$metadata?.attempts;
  const status = err.$metadata?.httpStatusCode;
  const what = err.name === "AbortError" ? "no answer within the operation's timeout" : `${err.name}: ${err.message}`;
  return redact(
    `${call} failed${attempts && attempts > 1 ? ` after ${attempts} attempts` : ""}${status ? ` (HTTP ${status})` : ""}: ${what}`,
  );
}

export class AwsEipAgent implements AgentRunner {
  private client: EC2Client | undefined;
  private instance: string | undefined;

  constructor(private readonly rsc: PrimitiveConfig) {}

  locate(): { path: string } | { error: string } {
    const p = awsEipParams(this.rsc.params);
    return typeof p === "string" ? { error: p } : { path: "(built in: aws-eip)" };
  }

  async run(req: OpRequest): Promise<OpResult> {
    const done = timedResult();
    const early = builtInPrelude(req, "an Elastic IP", done);
    if (early) return early;
    const p = awsEipParams(this.rsc.params);
    if (typeof p === "string") return done(OCF.ERR_CONFIGURED, p);
    const signal = AbortSignal.timeout(Math.max(1000, req.timeoutMs - 500));
    // A node the configuration gives no instance cannot run it (the others may: a hard error here only).
    const node = process.env.PACELINE_NODE || hostname();
    if (Object.keys(p.instanceIds).length && !p.instanceIds[node] && !p.instanceId)
      return done(OCF.ERR_ARGS, `params.instance_id names no instance for this node (${node})`);
    let call = "finding this node's instance";
    try {
      const instance = await this.instanceId(p, node);
      const ec2 = await this.ec2(p);
      const name = p.allocationId ?? p.elasticIp!;
      call = "DescribeAddresses";
      const address = await this.describe(ec2, p, signal);
      if (!address) return done(OCF.ERR_CONFIGURED, `no Elastic IP ${name} in this account and region`);
      const here = address.InstanceId === instance;
      const elsewhere = address.InstanceId ? `associated with ${address.InstanceId}` : "not associated";
      if (req.action === "monitor" || req.action === "probe")
        return here
          ? done(OCF.SUCCESS, `${name} is associated with this node's instance ${instance}`)
          : done(OCF.NOT_RUNNING, `${name} is ${elsewhere}`);
      if (req.action === "stop") {
        if (!here) return done(OCF.SUCCESS, `${name} was ${elsewhere}`);
        call = "DisassociateAddress";
        const { DisassociateAddressCommand } = await sdk();
        await ec2.send(
          new DisassociateAddressCommand(
            address.AssociationId ? { AssociationId: address.AssociationId } : { PublicIp: address.PublicIp },
          ),
          { abortSignal: signal },
        );
        return done(OCF.SUCCESS, `${name} disassociated from ${instance}`);
      }
      // start: one call moves it here, from wherever it was (the failed node's instance).
      if (here) return done(OCF.SUCCESS, `${name} already associated with ${instance}`);
      call = "AssociateAddress";
      const { AssociateAddressCommand } = await sdk();
      await ec2.send(
        new AssociateAddressCommand({
          ...(p.allocationId ? { AllocationId: p.allocationId } : { PublicIp: p.elasticIp }),
          InstanceId: instance,
          ...(p.privateIp ? { PrivateIpAddress: p.privateIp } : {}),
          AllowReassociation: true,
        }),
        { abortSignal: signal },
      );
      call = "DescribeAddresses (after associating)";
      const after = await this.describe(ec2, p, signal);
      return after?.InstanceId === instance
        ? done(OCF.SUCCESS, `${name} associated with ${instance}${address.InstanceId ? ` (was ${elsewhere})` : ""}`)
        : done(
            OCF.ERR_GENERIC,
            `${name} is ${after?.InstanceId ? `associated with ${after.InstanceId}` : "not associated"} after AssociateAddress`,
          );
    } catch (e) {
      return done(OCF.ERR_GENERIC, describeError(call, e));
    }
  }

  private async ec2(p: AwsEipParams): Promise<EC2Client> {
    const { EC2Client } = await sdk();
    this.client ??= new EC2Client({
      ...(p.region ? { region: p.region } : {}),
      ...(p.endpoint ? { endpoint: p.endpoint } : {}),
      maxAttempts: p.maxAttempts,
      retryMode: "standard",
      requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
    });
    return this.client;
  }

  private async describe(ec2: EC2Client, p: AwsEipParams, signal: AbortSignal): Promise<Address | undefined> {
    const { DescribeAddressesCommand } = await sdk();
    const r = await ec2.send(
      new DescribeAddressesCommand(
        p.allocationId ? { AllocationIds: [p.allocationId] } : { PublicIps: [p.elasticIp!] },
      ),
      { abortSignal: signal },
    );
    return r.Addresses?.[0];
  }

  /** This node's instance: configured (per node), else asked of the instance metadata service (IMDSv2). */
  private async instanceId(p: AwsEipParams, node: string): Promise<string> {
    const configured = p.instanceIds[node] ?? p.instanceId;
    if (configured) return configured;
    if (this.instance) return this.instance;
    const timeout = AbortSignal.timeout(2000);
    try {
      const token = await fetch(`${p.metadataUrl}/latest/api/token`, {
        method: "PUT",
        headers: { "X-aws-ec2-metadata-token-ttl-seconds": "60" },
        signal: timeout,
      });
      const id = await fetch(`${p.metadataUrl}/latest/meta-data/instance-id`, {
        headers: token.ok ? { "X-aws-ec2-metadata-token": await token.text() } : {},
        signal: timeout,
      });
      const text = (await id.text()).trim();
      if (!id.ok || !/^i-[0-9a-f]+$/.test(text)) throw new Error(`HTTP ${id.status}`);
      return (this.instance = text);
    } catch (e) {
      throw new Error(
        `this node's instance id is not configured (params.instance_id) and the instance metadata service at ${p.metadataUrl} did not give it (${(e as Error).message})`,
      );
    }
  }
}
