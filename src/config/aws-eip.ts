// The built-in cloud floating IP (`agent: aws-eip`): an AWS Elastic IP moved to this node's instance. Its parameters,
// checked once for the configuration loader and the agent. Names follow the awseip resource agent's where it has one.

export interface AwsEipParams {
  /** The public address (EC2-Classic style) or, preferred in a VPC, the allocation id. */
  elasticIp?: string;
  allocationId?: string;
  /** This node's instance: one id, or per node ("node1=i-0abc node2=i-0def"); unset: asked of the instance metadata. */
  instanceIds: Record<string, string>;
  instanceId?: string;
  /** A private address of the instance to put it on (several on one interface). */
  privateIp?: string;
  region?: string;
  /** Another EC2 endpoint (a private endpoint, or a test double such as moto). */
  endpoint?: string;
  /** Where the instance metadata service answers (IMDSv2). */
  metadataUrl: string;
  /** Attempts per API call before giving up (throttling, 5xx, timeouts are retried with backoff). */
  maxAttempts: number;
}

const INSTANCE = /^i-[0-9a-f]{1,32}$/;

/** The checked parameters, or what is wrong with them (also used by the configuration loader). */
export function awsEipParams(params: Record<string, string>): AwsEipParams | string {
  const elasticIp = params.elastic_ip;
  const allocationId = params.allocation_id;
  if (!elasticIp && !allocationId)
    return "needs params.elastic_ip (the public address) or params.allocation_id (eipalloc-…, in a VPC)";
  if (allocationId !== undefined && !/^eipalloc-[0-9a-f]{1,32}$/.test(allocationId))
    return `params.allocation_id \`${allocationId}\` is not an allocation id (eipalloc-…)`;
  if (elasticIp !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(elasticIp))
    return `params.elastic_ip \`${elasticIp}\` is not an IPv4 address`;
  const instanceIds: Record<string, string> = Object.create(null) as Record<string, string>;
  let instanceId: string | undefined;
  const raw = params.instance_id?.trim();
  if (raw) {
    if (raw.includes("=")) {
      for (const pair of raw.split(/[\s,]+/).filter(Boolean)) {
        const [node, id] = pair.split("=");
        if (!node || !id || !INSTANCE.test(id))
          return `params.instance_id: \`${pair}\` is not NODE=i-…; write node1=i-0abc node2=i-0def`;
        instanceIds[node] = id;
      }
    } else if (INSTANCE.test(raw)) instanceId = raw;
    else return `params.instance_id \`${raw}\` is not an instance id (i-…) nor NODE=i-… pairs`;
  }
  if (params.private_ip_address !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(params.private_ip_address))
    return `params.private_ip_address \`${params.private_ip_address}\` is not an IPv4 address`;
  for (const k of ["endpoint", "metadata_url"] as const)
    if (params[k] !== undefined && !/^https?:\/\/[^\s/]+/.test(params[k]!))
      return `params.${k} \`${params[k]}\` is not an http(s) URL`;
  if (params.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(params.region))
    return `params.region \`${params.region}\` is not a region name (e.g. ap-northeast-1)`;
  const maxAttempts = params.max_attempts === undefined ? 5 : Number(params.max_attempts);
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= 20))
    return `params.max_attempts \`${params.max_attempts}\` must be a whole number from 1 to 20`;
  return {
    elasticIp,
    allocationId,
    instanceIds,
    instanceId,
    privateIp: params.private_ip_address,
    region: params.region,
    endpoint: params.endpoint,
    metadataUrl: params.metadata_url ?? "http://169.254.169.254",
    maxAttempts,
  };
}
