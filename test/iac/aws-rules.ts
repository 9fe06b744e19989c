/**
 * The AWS rules a deployment of sst.config.ts must keep, checked on what the
 * config would send to AWS (an `Evaluation` from sst-eval.ts). Each rule
 * returns its violations as sentences, so a test can assert "none" and a
 * mutation test can assert that breaking the config breaks a named rule.
 *
 * Rules iterate over every resource of a type (every queue with a Lambda
 * subscriber, every function, every bucket, ...), so resources added to
 * sst.config.ts later are held to them without touching this file.
 */
import { AWS_SDK_PERMISSIONS, type PermissionTarget } from "@/lib/adapters/aws/permissions";
import { SST_LINKS } from "@/lib/adapters/aws/settings";
import { TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import type { Evaluation, RegisteredResource } from "./sst-eval";
import { ACCOUNT, REGION, WORKGROUP_ARN } from "./sst-mocks";

/** Pulumi marks secret values with this signature when it serialises them. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The value with Pulumi's secret wrappers removed (what AWS receives). */
export function unwrap<T = any>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => unwrap(v)) as T;
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return unwrap((value as unknown as { value: unknown }).value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)])) as T;
  }
  return value as T;
}

export interface Statement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

/** One function as the rules see it. */
export interface LambdaView {
  resource: RegisteredResource;
  name: string;
  arn: string;
  inputs: Record<string, any>;
  /** Runs the portal's code (its environment sets EXPORT_BACKEND). */
  project: boolean;
  statements: Statement[];
}

export interface Deployment {
  evaluation: Evaluation;
  all: RegisteredResource[];
  ofType(type: string): RegisteredResource[];
  named(name: string): RegisteredResource | undefined;
  functions: LambdaView[];
  /** The ARN of a linked resource target of permissions.ts (e.g. `archiveBucket/*`). */
  resolveTarget(target: PermissionTarget): string[];
}

/** Builds the rules' view of an evaluation: unwrapped inputs, functions with their role's statements. */
export function deployment(evaluation: Evaluation): Deployment {
  const all = evaluation.resources.map((r) => ({ ...r, inputs: unwrap<Record<string, any>>(r.inputs), state: unwrap<Record<string, any>>(r.state) }));
  const ofType = (type: string) => all.filter((r) => r.type === type);
  const named = (name: string) => all.find((r) => r.name === name);
  const roles = new Map(ofType("aws:iam/role:Role").map((r) => [String(r.state.arn), r]));
  const functions = ofType("aws:lambda/function:Function").map((resource): LambdaView => {
    const role = roles.get(String(resource.inputs.role));
    const statements: Statement[] = [];
    for (const policy of role?.inputs.inlinePolicies ?? []) {
      for (const s of JSON.parse(policy.policy).Statement as Array<Record<string, any>>) {
        statements.push({ Effect: s.Effect, Action: [s.Action].flat(), Resource: [s.Resource].flat(), Condition: s.Condition });
      }
    }
    const variables = resource.inputs.environment?.variables ?? {};
    return { resource, name: String(resource.state.name), arn: String(resource.state.arn), inputs: resource.inputs, project: "EXPORT_BACKEND" in variables, statements };
  });

  /** The resource an SST component of that name created (SST names them `<component><Kind>`). */
  const underlying = (component: string): RegisteredResource | undefined =>
    all.find((r) => r.custom && (r.name === `${component}Queue` || r.name === `${component}Bucket` || r.name === `${component}Table`));

  const resolveTarget = (target: PermissionTarget): string[] => {
    if (target === "*") return ["*"];
    if (target === "email:identity") return ofType("aws:sesv2/emailIdentity:EmailIdentity").map((r) => String(r.state.arn));
    if (target === "email:configurationSet") return ofType("aws:sesv2/configurationSet:ConfigurationSet").map((r) => String(r.state.arn));
    const [link, ...rest] = target.split("/");
    const suffix = rest.length ? `/${rest.join("/")}` : "";
    const component = SST_LINKS[link as keyof typeof SST_LINKS];
    if (link === "redshift") {
      const clusters = evaluation.builds.flatMap((b) => (b.links?.Redshift ? [b.links.Redshift] : []));
      return [...new Set(clusters.map((r: Record<string, string>) => (r.clusterIdentifier ? `arn:aws:redshift:${REGION}:${ACCOUNT}:cluster:${r.clusterIdentifier}` : WORKGROUP_ARN)))];
    }
    if (link === "redshiftSecretArn") {
      const values = evaluation.builds.flatMap((b) => (b.links?.RedshiftSecretArn?.value ? [b.links.RedshiftSecretArn.value as string] : []));
      return [...new Set(values)];
    }
    const resource = underlying(component);
    if (!resource) return [`<no resource for link ${component}>`];
    return [`${resource.state.arn}${suffix}`];
  };

  return { evaluation, all, ofType, named, functions, resolveTarget };
}

/** IAM's wildcard match (`*` any run, `?` one character), case-insensitive for actions. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, ignoreCase ? "i" : "");
  return re.test(value);
}

/** Whether the statements allow the action on the resource (explicit Deny wins; conditions are not evaluated). */
export function allows(statements: Statement[], action: string, resource: string): boolean {
  const denied = statements.some((s) => s.Effect === "Deny" && s.Action.some((a) => wildcard(a, action, true)) && s.Resource.some((r) => wildcard(r, resource)));
  if (denied) return false;
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.some((a) => wildcard(a, action, true)) &&
      s.Resource.some((r) => wildcard(r, resource)),
  );
}

/** Actions AWS authorises on no resource type, so only `*` can grant them (each with the reason in permissions.ts or here). */
const STAR_ONLY_ACTIONS = new Set([
  ...Object.values(AWS_SDK_PERMISSIONS)
    .flat()
    .filter((p) => p.on.includes("*"))
    .flatMap((p) => p.actions),
]);

export type Rule = (d: Deployment) => string[];

const num = (v: unknown) => (typeof v === "number" ? v : Number(v));

export const RULES: Record<string, Rule> = {
  /** Lambda's SQS event source: visibility >= 6x the function timeout + batching window (AWS Lambda developer guide, "Using Lambda with Amazon SQS"). */
  "queue-visibility": (d) => {
    const out: string[] = [];
    for (const esm of d.ofType("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const queue = d.ofType("aws:sqs/queue:Queue").find((q) => q.state.arn === esm.inputs.eventSourceArn);
      if (!queue) continue;
      const fn = d.functions.find((f) => f.arn === esm.inputs.functionName);
      if (!fn) {
        out.push(`${esm.name}: subscriber ${esm.inputs.functionName} not found`);
        continue;
      }
      const visibility = num(queue.inputs.visibilityTimeoutSeconds ?? 30);
      const need = 6 * num(fn.inputs.timeout ?? 3) + num(esm.inputs.maximumBatchingWindowInSeconds ?? 0);
      if (visibility < need) out.push(`${queue.name}: visibility ${visibility}s < 6 x ${fn.name}'s timeout ${fn.inputs.timeout}s (+ batching window) = ${need}s`);
    }
    return out;
  },

  /** Lambda creates an SQS event source mapping only if the function's role may receive, delete and read attributes on the queue. */
  "esm-permissions": (d) => {
    const out: string[] = [];
    for (const esm of d.ofType("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const queue = d.ofType("aws:sqs/queue:Queue").find((q) => q.state.arn === esm.inputs.eventSourceArn);
      const fn = d.functions.find((f) => f.arn === esm.inputs.functionName);
      if (!queue || !fn) continue;
      for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) {
        if (!allows(fn.statements, action, String(queue.state.arn))) out.push(`${fn.resource.name}: ${action} on ${queue.name}, which it is subscribed to`);
      }
    }
    return out;
  },

  /** The portal's queues: partial batch responses, a batch size the handler is written for, a redrive with a bounded receive count or being a DLQ. */
  "queue-subscription": (d) => {
    const out: string[] = [];
    const queues = d.ofType("aws:sqs/queue:Queue");
    const dlqArns = new Set(queues.flatMap((q) => (q.inputs.redrivePolicy ? [JSON.parse(q.inputs.redrivePolicy).deadLetterTargetArn as string] : [])));
    for (const esm of d.ofType("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const queue = queues.find((q) => q.state.arn === esm.inputs.eventSourceArn);
      const fn = d.functions.find((f) => f.arn === esm.inputs.functionName);
      if (!queue || !fn?.project) continue;
      if (!(esm.inputs.functionResponseTypes ?? []).includes("ReportBatchItemFailures")) out.push(`${esm.name}: no partial batch responses (ReportBatchItemFailures): one failed record would redeliver the whole batch`);
      const batch = num(esm.inputs.batchSize ?? 10);
      // A handler runs its records one after another: the whole batch must fit the timeout with a full-size record each.
      if (num(fn.inputs.timeout) >= 300 && batch !== 1) out.push(`${esm.name}: batch size ${batch} for a ${fn.inputs.timeout}s worker; long exports are delivered one per invocation`);
      if (batch < 1 || batch > 10) out.push(`${esm.name}: batch size ${batch} outside 1..10`);
      if (queue.inputs.redrivePolicy) {
        const { maxReceiveCount } = JSON.parse(queue.inputs.redrivePolicy) as { maxReceiveCount: number };
        if (!(maxReceiveCount >= 2 && maxReceiveCount <= 5)) out.push(`${queue.name}: maxReceiveCount ${maxReceiveCount} outside 2..5 (a retry, and a bounded wait before the dead-letter queue)`);
      } else if (!dlqArns.has(String(queue.state.arn))) {
        out.push(`${queue.name}: consumed by ${fn.name} but has no dead-letter queue (redrivePolicy)`);
      }
    }
    return out;
  },

  /** A DLQ keeps messages longer than their source queue (the enqueue time carries over) and the full 14 days. */
  "dlq-retention": (d) => {
    const out: string[] = [];
    const queues = d.ofType("aws:sqs/queue:Queue");
    for (const source of queues.filter((q) => q.inputs.redrivePolicy)) {
      const target = JSON.parse(source.inputs.redrivePolicy).deadLetterTargetArn as string;
      const dlq = queues.find((q) => q.state.arn === target);
      if (!dlq) {
        out.push(`${source.name}: dead-letter queue ${target} not created here`);
        continue;
      }
      const retention = num(dlq.inputs.messageRetentionSeconds ?? 345_600);
      if (retention < 14 * 86_400) out.push(`${dlq.name}: retention ${retention}s < 14 days`);
      if (retention < num(source.inputs.messageRetentionSeconds ?? 345_600)) out.push(`${dlq.name}: retention shorter than its source ${source.name}'s`);
    }
    return out;
  },

  /** Every function: a supported Node runtime, memory, a timeout within Lambda's 900 s, storage within 10 GB, a log group with finite retention. */
  "function-settings": (d) => {
    const out: string[] = [];
    const groups = new Map(d.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => [String(g.inputs.name), g]));
    for (const fn of d.functions) {
      const i = fn.inputs;
      if (!["nodejs22.x", "nodejs24.x"].includes(String(i.runtime))) out.push(`${fn.name}: runtime ${i.runtime} is not a supported Node.js runtime (22 or 24)`);
      if (!(num(i.memorySize) >= 128 && num(i.memorySize) <= 10_240)) out.push(`${fn.name}: memory ${i.memorySize}`);
      if (!(num(i.timeout) >= 1 && num(i.timeout) <= 900)) out.push(`${fn.name}: timeout ${i.timeout}`);
      const storage = num(i.ephemeralStorage?.size ?? 512);
      if (!(storage >= 512 && storage <= 10_240)) out.push(`${fn.name}: ephemeral storage ${storage} MB`);
      const group = groups.get(String(i.loggingConfig?.logGroup));
      if (!group) out.push(`${fn.name}: logs to ${i.loggingConfig?.logGroup ?? "the default group"}, which this deploy does not create (retention would be "never expire")`);
      else if (!(num(group.inputs.retentionInDays) > 0 && num(group.inputs.retentionInDays) <= 365)) out.push(`${fn.name}: log retention ${group.inputs.retentionInDays} days (never expires, or over a year)`);
    }
    return out;
  },

  /** The portal's functions, as sized for their work (docs/DEPLOY.md explains each). */
  "function-sizing": (d) => {
    const expected: Array<[RegExp, Record<string, unknown>]> = [
      [/^ExportQueueSubscriber.*Function$/, { runtime: "nodejs22.x", timeout: 900, memorySize: 3008, storage: 10_240 }],
      [/^ExportDeadLetterQueueSubscriber.*Function$/, { runtime: "nodejs22.x", timeout: 120, memorySize: 512, storage: 512 }],
      [/^ExpirySweepHandlerFunction$/, { runtime: "nodejs22.x", timeout: 900, memorySize: 512, storage: 512 }],
      [/^PortalServer.*Function$/, { runtime: "nodejs24.x", timeout: 20, memorySize: 1024, storage: 512 }],
      [/^MailEventsSubscriber.*Function$/, { runtime: "nodejs22.x", timeout: 30, memorySize: 256, storage: 512 }],
      // The delivery lane (issue 12, finding 2) and the requeue sweep (finding 4).
      [/^DeliveryQueueSubscriber.*Function$/, { runtime: "nodejs22.x", timeout: 120, memorySize: 512, storage: 512 }],
      [/^DeliveryDeadLetterQueueSubscriber.*Function$/, { runtime: "nodejs22.x", timeout: 60, memorySize: 512, storage: 512 }],
      [/^RequeueSweepHandlerFunction$/, { runtime: "nodejs22.x", timeout: 300, memorySize: 512, storage: 512 }],
    ];
    const out: string[] = [];
    for (const [pattern, want] of expected) {
      const matches = d.functions.filter((f) => pattern.test(f.resource.name));
      if (matches.length !== 1) {
        out.push(`${pattern}: ${matches.length} functions`);
        continue;
      }
      const i = matches[0]!.inputs;
      const got = { runtime: i.runtime, timeout: num(i.timeout), memorySize: num(i.memorySize), storage: num(i.ephemeralStorage?.size ?? 512) };
      for (const [k, v] of Object.entries(want)) if (got[k as keyof typeof got] !== v) out.push(`${matches[0]!.resource.name}: ${k} ${got[k as keyof typeof got]}, expected ${v}`);
    }
    return out;
  },

  /** Every command of permissions.ts is allowed to every function that runs the portal's code, on the resources it is sent to. */
  "iam-commands": (d) => {
    const out: string[] = [];
    const project = d.functions.filter((f) => f.project);
    if (project.length === 0) out.push("no function runs the portal's code (EXPORT_BACKEND)");
    for (const fn of project) {
      for (const [file, commands] of Object.entries(AWS_SDK_PERMISSIONS)) {
        for (const c of commands) {
          for (const target of c.on) {
            for (const resource of d.resolveTarget(target)) {
              for (const action of c.actions) {
                if (!allows(fn.statements, action, resource)) out.push(`${fn.resource.name}: ${file} ${c.command} needs ${action} on ${resource}`);
              }
            }
          }
        }
      }
    }
    return out;
  },

  /**
   * What the Data API checks on the caller besides the command: GetClusterCredentials for a database user,
   * GetSecretValue for a secret, kms:Decrypt through Secrets Manager for a secret under a customer managed key.
   */
  "redshift-auth": (d) => {
    const out: string[] = [];
    const link = d.evaluation.builds.find((b) => b.links?.Redshift)?.links;
    if (!link) return ["no function is linked to Redshift"];
    const { clusterIdentifier, database, dbUser } = link.Redshift as Record<string, string>;
    const secret = (link.RedshiftSecretArn?.value as string | undefined) ?? "";
    const kmsKey = d.evaluation.env.REDSHIFT_SECRET_KMS_KEY_ARN;
    for (const fn of d.functions.filter((f) => f.project)) {
      if (clusterIdentifier && dbUser) {
        for (const arn of [`arn:aws:redshift:${REGION}:${ACCOUNT}:dbuser:${clusterIdentifier}/${dbUser}`, `arn:aws:redshift:${REGION}:${ACCOUNT}:dbname:${clusterIdentifier}/${database}`]) {
          if (!allows(fn.statements, "redshift:GetClusterCredentials", arn)) out.push(`${fn.resource.name}: redshift:GetClusterCredentials on ${arn}`);
        }
      }
      if (secret && !allows(fn.statements, "secretsmanager:GetSecretValue", secret)) out.push(`${fn.resource.name}: secretsmanager:GetSecretValue on ${secret}`);
      if (kmsKey) {
        const grant = fn.statements.find((s) => s.Effect === "Allow" && s.Action.includes("kms:Decrypt") && s.Resource.includes(kmsKey));
        const via = grant?.Condition?.StringEquals?.["kms:ViaService"];
        if (!grant) out.push(`${fn.resource.name}: kms:Decrypt on ${kmsKey} (the Redshift secret's key)`);
        else if (!via || !via.includes(`secretsmanager.${REGION}.amazonaws.com`)) out.push(`${fn.resource.name}: kms:Decrypt on ${kmsKey} is not limited to Secrets Manager (kms:ViaService)`);
      }
    }
    return out;
  },

  /** Nothing on Resource "*" except actions AWS authorises on no resource; no Action "*"; no service-wide grants on "*". */
  "iam-no-star": (d) => {
    const out: string[] = [];
    for (const fn of d.functions) {
      for (const s of fn.statements.filter((st) => st.Effect === "Allow")) {
        for (const a of s.Action) if (a === "*" || a.endsWith(":*") && s.Resource.includes("*")) out.push(`${fn.resource.name}: ${a} on ${s.Resource.join(", ")}`);
        if (s.Resource.includes("*")) for (const a of s.Action.filter((x) => !STAR_ONLY_ACTIONS.has(x))) out.push(`${fn.resource.name}: ${a} on "*"`);
      }
    }
    return out;
  },

  /** Least privilege on the portal's own resources: named actions only, no `service:*` (SST's default link grants). */
  "iam-named-actions": (d) => {
    const out: string[] = [];
    for (const fn of d.functions) {
      for (const s of fn.statements.filter((st) => st.Effect === "Allow")) {
        for (const a of s.Action.filter((x) => x.includes("*"))) out.push(`${fn.resource.name}: ${a} on ${s.Resource.join(", ")}`);
      }
    }
    return out;
  },

  /** No secret reaches AWS in plain text: not in any function's environment, nor in any other resource's inputs. */
  "no-secret-in-env": (d) => {
    const out: string[] = [];
    // A secret holding an ARN (RedshiftSecretArn) names a resource policies must name; the rest are secret material.
    const secrets = Object.entries(d.evaluation.secrets ?? {}).filter(([, v]) => v.length >= 8 && !v.startsWith("arn:"));
    for (const r of d.all.filter((x) => x.custom && x.type.startsWith("aws:"))) {
      const text = JSON.stringify(r.inputs);
      for (const [name, value] of secrets) if (text.includes(value)) out.push(`${r.type} ${r.name} carries the value of secret ${name}${r.type === "aws:lambda/function:Function" ? " (environment)" : ""}`);
    }
    for (const fn of d.functions) {
      for (const key of Object.keys(fn.inputs.environment?.variables ?? {})) if (/SECRET|PASSWORD/i.test(key)) out.push(`${fn.resource.name}: environment variable ${key}`);
    }
    return out;
  },

  /** Every bucket blocks public access, all four settings. */
  "bucket-public-access": (d) => {
    const out: string[] = [];
    const blocks = d.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const b of [...d.ofType("aws:s3/bucket:Bucket"), ...d.ofType("aws:s3/bucketV2:BucketV2")]) {
      const block = blocks.find((x) => x.inputs.bucket === b.state.bucket);
      const ok = block && ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block.inputs[k] === true);
      if (!ok) out.push(`${b.name}: public access not fully blocked`);
    }
    return out;
  },

  /** Archives expire RETENTION_DAYS (+1 day behind the sweep) after creation, unload parts after 1 day; incomplete multipart uploads abort after 1 day in both. */
  "bucket-lifecycle": (d) => {
    const out: string[] = [];
    const retention = Number(d.evaluation.env.RETENTION_DAYS ?? "7");
    const lifecycle = (component: string) => {
      const bucket = d.named(`${component}Bucket`);
      return d.ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find((l) => bucket && l.inputs.bucket === bucket.state.bucket);
    };
    const enabled = (rules: Array<Record<string, any>>) => rules.filter((r) => r.status === "Enabled");
    const everything = (r: Record<string, any>) => !r.filter || (!r.filter.prefix && !r.filter.and && !r.filter.tag);
    const archive = lifecycle(SST_LINKS.archiveBucket);
    const unload = lifecycle(SST_LINKS.unloadBucket);
    if (!archive) out.push("archive bucket: no lifecycle configuration");
    else {
      const rules = enabled(archive.inputs.rules);
      const expiry = rules.find((r) => r.expiration?.days && (everything(r) || r.filter?.prefix === "archives/"));
      if (!expiry || expiry.expiration.days < retention || expiry.expiration.days > retention + 1) out.push(`archive bucket: archives expire after ${expiry?.expiration?.days ?? "never"} days, expected ${retention}..${retention + 1} (RETENTION_DAYS)`);
    }
    if (!unload) out.push("unload bucket: no lifecycle configuration");
    else {
      const expiry = enabled(unload.inputs.rules).find((r) => r.expiration?.days && everything(r));
      if (expiry?.expiration?.days !== 1) out.push(`unload bucket: parts expire after ${expiry?.expiration?.days ?? "never"} days, expected 1`);
    }
    for (const [label, l] of [["archive", archive], ["unload", unload]] as const) {
      if (!l) continue;
      const abort = enabled(l.inputs.rules).find((r) => r.abortIncompleteMultipartUpload && everything(r));
      if (abort?.abortIncompleteMultipartUpload.daysAfterInitiation !== 1) out.push(`${label} bucket: incomplete multipart uploads are not aborted after 1 day`);
    }
    return out;
  },

  /** The table's TTL attribute is the one the stores write (dynamo-schema.ts). */
  "dynamo-ttl": (d) => {
    const table = d.named(`${SST_LINKS.table}Table`);
    if (!table) return ["Jobs table not created"];
    const ttl = table.inputs.ttl;
    return ttl?.enabled === true && ttl.attributeName === TTL_ATTRIBUTE ? [] : [`${table.name}: TTL ${JSON.stringify(ttl)}, expected { attributeName: "${TTL_ATTRIBUTE}", enabled: true }`];
  },

  /** Alarms to one SNS topic: DLQ depth > 0, oldest message age per consumed queue, Errors / Throttles / Duration > 80% of the timeout per function of the portal. */
  alarms: (d) => {
    const out: string[] = [];
    const alarms = d.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
    const topics = new Set(d.ofType("aws:sns/topic:Topic").map((t) => String(t.state.arn)));
    for (const a of alarms) {
      if (!(a.inputs.alarmActions ?? []).some((x: string) => topics.has(x))) out.push(`${a.name}: no SNS topic of this deploy in alarmActions`);
    }
    const find = (namespace: string, metric: string, dimension: string, value: string) =>
      alarms.find((a) => a.inputs.namespace === namespace && a.inputs.metricName === metric && a.inputs.dimensions?.[dimension] === value);
    const queues = d.ofType("aws:sqs/queue:Queue");
    for (const source of queues.filter((q) => q.inputs.redrivePolicy)) {
      const dlq = queues.find((q) => q.state.arn === JSON.parse(source.inputs.redrivePolicy).deadLetterTargetArn);
      if (!dlq) continue;
      const a = find("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", String(dlq.state.name));
      if (!a || a.inputs.threshold !== 0 || a.inputs.comparisonOperator !== "GreaterThanThreshold") out.push(`${dlq.name}: no "depth > 0" alarm`);
    }
    for (const esm of d.ofType("aws:lambda/eventSourceMapping:EventSourceMapping")) {
      const queue = queues.find((q) => q.state.arn === esm.inputs.eventSourceArn);
      const fn = d.functions.find((f) => f.arn === esm.inputs.functionName);
      if (!queue || !fn?.project) continue;
      if (!find("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", String(queue.state.name))) out.push(`${queue.name}: no age-of-oldest-message alarm`);
    }
    for (const fn of d.functions.filter((f) => f.project)) {
      for (const metric of ["Errors", "Throttles"]) {
        const a = find("AWS/Lambda", metric, "FunctionName", fn.name);
        if (!a || a.inputs.threshold !== 0) out.push(`${fn.resource.name}: no ${metric} > 0 alarm`);
      }
      const duration = find("AWS/Lambda", "Duration", "FunctionName", fn.name);
      const limit = num(fn.inputs.timeout) * 1000 * 0.8;
      if (!duration || duration.inputs.statistic !== "Maximum" || num(duration.inputs.threshold) > limit) out.push(`${fn.resource.name}: no Duration alarm at <= 80% of its ${fn.inputs.timeout}s timeout (${limit} ms)`);
    }
    const email = d.evaluation.env.ALARM_EMAIL;
    if (email) {
      const targets = new Set(alarms.flatMap((a) => a.inputs.alarmActions ?? []));
      const sub = d.ofType("aws:sns/topicSubscription:TopicSubscription").find((s) => s.inputs.protocol === "email" && s.inputs.endpoint === email && targets.has(s.inputs.topic));
      if (!sub) out.push(`ALARM_EMAIL ${email} is not subscribed to the alarm topic`);
    }
    return out;
  },

  /** SES: a configuration set that suppresses bounces and complaints and publishes them; the identity sends through it; no Route 53 records (dns: false). */
  mail: (d) => {
    const out: string[] = [];
    const sets = d.ofType("aws:sesv2/configurationSet:ConfigurationSet");
    if (sets.length !== 1) return [`${sets.length} SES configuration sets`];
    const set = sets[0]!;
    const reasons: string[] = set.inputs.suppressionOptions?.suppressedReasons ?? [];
    if (!reasons.includes("BOUNCE") || !reasons.includes("COMPLAINT")) out.push(`${set.name}: suppresses ${JSON.stringify(reasons)}, expected BOUNCE and COMPLAINT`);
    const name = set.inputs.configurationSetName;
    const dest = d.ofType("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination").find((e) => e.inputs.configurationSetName === name);
    const types: string[] = dest?.inputs.eventDestination?.matchingEventTypes ?? [];
    if (!dest || !dest.inputs.eventDestination.enabled || !types.includes("BOUNCE") || !types.includes("COMPLAINT")) out.push(`${set.name}: bounces and complaints are not published to an event destination`);
    // SES may publish to the destination topic, and only for this configuration set (confused-deputy conditions).
    const topic = dest?.inputs.eventDestination?.snsDestination?.topicArn;
    const policy = d.ofType("aws:sns/topicPolicy:TopicPolicy").find((p) => p.inputs.arn === topic);
    const grants = policy ? (JSON.parse(policy.inputs.policy).Statement as Array<Record<string, any>>) : [];
    const sesGrant = grants.find((g) => g.Effect === "Allow" && [g.Action].flat().includes("sns:Publish") && [g.Principal?.Service].flat().includes("ses.amazonaws.com"));
    if (topic && !sesGrant) out.push(`${topic}: its topic policy does not let SES publish (sns:Publish for ses.amazonaws.com)`);
    else if (sesGrant && (!sesGrant.Condition?.StringEquals?.["aws:SourceAccount"] || ![sesGrant.Condition?.ArnLike?.["aws:SourceArn"]].flat().includes(set.state.arn))) {
      out.push(`${topic}: SES may publish for any account or configuration set (no aws:SourceAccount / aws:SourceArn condition)`);
    }
    for (const identity of d.ofType("aws:sesv2/emailIdentity:EmailIdentity")) if (identity.inputs.configurationSetName !== name) out.push(`${identity.name}: does not send through ${name}`);
    const linked = d.evaluation.builds.flatMap((b) => (b.links?.[SST_LINKS.email] ? [b.links[SST_LINKS.email].configSet] : []));
    if (linked.length === 0 || linked.some((n) => n !== name)) out.push(`the mailer's link (${SST_LINKS.email}) does not name the configuration set ${name}: ${JSON.stringify(linked)}`);
    for (const r of d.ofType("aws:route53/record:Record")) out.push(`${r.name}: a Route 53 record (${r.inputs.type} ${r.inputs.name}); the operator adds SES's records (dns: false)`);
    return out;
  },

  /** The sweep runs on EventBridge Scheduler (sst.aws.CronV2), not the deprecated sst.aws.Cron (EventBridge rules). */
  cron: (d) => {
    const out: string[] = [];
    for (const r of d.all.filter((x) => x.type === "sst:aws:Cron")) out.push(`${r.name}: sst.aws.Cron is deprecated in SST 4; use sst.aws.CronV2`);
    const sweep = d.functions.find((f) => f.resource.name === "ExpirySweepHandlerFunction");
    const schedule = d.ofType("aws:scheduler/schedule:Schedule").find((s) => sweep && s.inputs.target?.arn === sweep.arn);
    if (!schedule) out.push("the expiry sweep has no EventBridge Scheduler schedule");
    return out;
  },

  /** No native module is shipped: AWS mode loads none (lib/config.ts imports the local adapters only in local mode). */
  "no-native-install": (d) => {
    const out: string[] = [];
    for (const b of d.evaluation.builds) {
      const install = Object.keys(b.properties?.install ?? {});
      for (const pkg of install.filter((p) => ["better-sqlite3", "@duckdb/node-api"].includes(p))) out.push(`${b.functionID}: nodejs.install ships ${pkg}`);
    }
    return out;
  },
};

/** Violations of every rule, or of the named ones. */
export function violations(d: Deployment, names: string[] = Object.keys(RULES)): string[] {
  return names.flatMap((name) => RULES[name]!(d).map((v) => `[${name}] ${v}`));
}
