/**
 * Pulumi mocks for evaluating sst.config.ts (bundled into the evaluation child
 * by sst-eval.ts). Every resource is recorded with its inputs; the answers are
 * what AWS would compute (ARNs, URLs, names), so components that build on
 * them (policies naming a queue's ARN, a URL linked into a function) see
 * realistic values. Data sources answer with a fixed account and region;
 * `aws.iam.getPolicyDocument` renders its statements to the JSON AWS receives.
 */
/** The shape of `pulumi.runtime.Mocks` (@pulumi/pulumi lives in .sst/platform, outside the project's types). */
interface Mocks {
  newResource(args: { type: string; name: string; inputs: any; custom?: boolean; id?: string }): { id: string | undefined; state: Record<string, any> };
  call(args: { token: string; inputs: any }): Record<string, any>;
}

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
/** What `aws.redshiftserverless.getWorkgroup` answers: the ARN names the workgroup's id, not its name. */
export const WORKGROUP_ARN = `arn:aws:redshift-serverless:${REGION}:${ACCOUNT}:workgroup/0b6bd2f4-1111-4222-8333-944455556666`;

export const recorded: Array<{ type: string; name: string; custom: boolean; inputs: unknown; state: unknown }> = [];

/** `aws:sqs/queue:Queue` -> "sqs"; the service part of an ARN. */
function service(type: string): string {
  const module = type.split(":")[1]?.split("/")[0] ?? "unknown";
  return module === "cloudwatch" ? "logs" : module;
}

/** The ARN AWS would give the resource, in each service's own format. */
function arnOf(type: string, physical: string, inputs: Record<string, any>): string {
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      return `arn:aws:s3:::${physical}`;
    case "aws:dynamodb/table:Table":
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical}`;
    case "aws:lambda/function:Function":
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`;
    case "aws:cloudwatch/logGroup:LogGroup":
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}`;
    case "aws:sesv2/emailIdentity:EmailIdentity":
      return `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${inputs.emailIdentity}`;
    case "aws:sesv2/configurationSet:ConfigurationSet":
      return `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${inputs.configurationSetName}`;
    case "aws:iam/role:Role":
      return `arn:aws:iam::${ACCOUNT}:role/${physical}`;
    case "aws:cloudfront/distribution:Distribution":
      return `arn:aws:cloudfront::${ACCOUNT}:distribution/E2IACTEST`;
    default:
      return `arn:aws:${service(type)}:${REGION}:${ACCOUNT}:${physical}`;
  }
}

function computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const physical = inputs.name ?? inputs.bucket ?? inputs.configurationSetName ?? inputs.emailIdentity ?? `${name}-abc123`;
  const arn = arnOf(type, physical, inputs);
  const base: Record<string, unknown> = { arn, name: physical, id: `${physical}` };
  switch (type) {
    case "aws:sqs/queue:Queue":
      return { ...base, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}` };
    case "aws:s3/bucketV2:BucketV2":
    case "aws:s3/bucket:Bucket":
      return { ...base, bucket: physical, bucketDomainName: `${physical}.s3.amazonaws.com`, bucketRegionalDomainName: `${physical}.s3.${REGION}.amazonaws.com` };
    case "aws:dynamodb/table:Table":
      return { ...base, streamArn: `${arn}/stream/2026` };
    case "aws:lambda/function:Function":
      return { ...base, invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn}/invocations`, qualifiedArn: `${arn}:1`, version: "1" };
    case "aws:lambda/functionUrl:FunctionUrl":
      return { ...base, functionUrl: `https://${physical}.lambda-url.${REGION}.on.aws/` };
    case "random:index/randomBytes:RandomBytes":
      return { ...base, base64: Buffer.alloc(inputs.length ?? 32, 7).toString("base64"), hex: Buffer.alloc(inputs.length ?? 32, 7).toString("hex") };
    case "random:index/randomString:RandomString":
    case "random:index/randomPassword:RandomPassword":
      return { ...base, result: "r".repeat(inputs.length ?? 16) };
    case "aws:cloudfront/distribution:Distribution":
      return { ...base, id: "E2IACTEST", domainName: `d111111abcdef8.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2" };
    case "aws:sesv2/emailIdentity:EmailIdentity":
      return { ...base, dkimSigningAttributes: { tokens: ["t1", "t2", "t3"] }, identityType: String(inputs.emailIdentity).includes("@") ? "EMAIL_ADDRESS" : "DOMAIN" };
    default:
      return base;
  }
}

/** Renders `aws.iam.getPolicyDocument` statements the way the provider does (actions/resources/principals/conditions). */
function renderPolicy(inputs: Record<string, any>): string {
  const statements = (inputs.statements ?? []).map((s: Record<string, any>) => {
    const out: Record<string, unknown> = { Effect: s.effect ?? "Allow" };
    if (s.sid) out.Sid = s.sid;
    if (s.actions) out.Action = s.actions;
    if (s.notActions) out.NotAction = s.notActions;
    if (s.resources) out.Resource = s.resources;
    if (s.principals) out.Principal = Object.fromEntries(s.principals.map((p: Record<string, any>) => [p.type, p.identifiers]));
    if (s.conditions) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions) (condition[c.test] ??= {})[c.variable] = c.values;
      out.Condition = condition;
    }
    return out;
  });
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const mocks: Mocks = {
  newResource(args) {
    const state = { ...computed(args.type, args.name, args.inputs), ...args.inputs };
    recorded.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs, state });
    return { id: String(state.id), state };
  },
  call(args) {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/deployer`, userId: "AIDEXAMPLE", id: ACCOUNT };
      case "aws:index/getRegion:getRegion":
        return { name: REGION, region: REGION, id: REGION, endpoint: `ec2.${REGION}.amazonaws.com`, description: "Europe (Ireland)" };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
      case "aws:redshiftserverless/getWorkgroup:getWorkgroup":
        return { ...args.inputs, arn: WORKGROUP_ARN, workgroupId: WORKGROUP_ARN.split("/")[1], id: args.inputs.workgroupName };
      case "aws:iam/getPolicyDocument:getPolicyDocument":
        // The provider answers with its inputs (SST reads `statements` back) and the rendered document.
        return { ...args.inputs, json: renderPolicy(args.inputs), minifiedJson: renderPolicy(args.inputs), id: "policy" };
      default:
        return args.inputs;
    }
  },
};
