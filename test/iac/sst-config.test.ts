/**
 * sst.config.ts evaluated offline with SST 4.17's own components under
 * Pulumi's mock runtime (see sst-eval.ts), for a provisioned cluster and for
 * a Serverless workgroup, and held to the AWS rules of aws-rules.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { deployment, RULES, violations, type Deployment } from "./aws-rules";
import { evaluateSstConfig } from "./sst-eval";
import { CLUSTER_ENV, OIDC_CLIENT_SECRET, SERVERLESS_ENV, SSO_ENV } from "./scenarios";

const scenarios: Record<string, Deployment> = {};

beforeAll(async () => {
  // One after another: each evaluation is a Node process loading @pulumi/aws.
  scenarios.cluster = deployment(await evaluateSstConfig({ env: CLUSTER_ENV }));
  scenarios.serverless = deployment(await evaluateSstConfig({ env: SERVERLESS_ENV }));
}, 240_000);

describe.each(["cluster", "serverless"])("sst.config.ts (%s)", (scenario) => {
  it("creates what the rules inspect (so no rule passes for want of resources)", () => {
    const d = scenarios[scenario]!;
    expect(d.functions.filter((f) => f.project).map((f) => f.resource.name).sort()).toEqual([
      expect.stringMatching(/^DeliveryDeadLetterQueueSubscriber\w+Function$/),
      expect.stringMatching(/^DeliveryQueueSubscriber\w+Function$/),
      expect.stringMatching(/^ExpirySweepHandlerFunction$/),
      expect.stringMatching(/^ExportDeadLetterQueueSubscriber\w+Function$/),
      expect.stringMatching(/^ExportQueueSubscriber\w+Function$/),
      expect.stringMatching(/^MailEventsSubscriber\w+Function$/),
      expect.stringMatching(/^PortalServer\w+Function$/),
      expect.stringMatching(/^RequeueSweepHandlerFunction$/),
      // The scheduler (issue 14): one-minute CronV2.
      expect.stringMatching(/^SchedulerHandlerFunction$/),
    ]);
    expect(d.ofType("aws:lambda/eventSourceMapping:EventSourceMapping").length).toBeGreaterThanOrEqual(2);
    expect(d.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").length).toBeGreaterThanOrEqual(5 * 3 + 2);
    expect(d.ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")).toHaveLength(2);
  });

  it.each(Object.keys(RULES))("keeps the rule %s", (rule) => {
    expect(violations(scenarios[scenario]!, [rule])).toEqual([]);
  });
});

describe("sst.config.ts settings", () => {
  it("grants the Serverless workgroup by its ARN, the secret, and its key through Secrets Manager only", () => {
    const d = scenarios.serverless!;
    const worker = d.functions.find((f) => /^ExportQueueSubscriber/.test(f.resource.name))!;
    const execute = worker.statements.find((s) => s.Action.includes("redshift-data:ExecuteStatement"))!;
    expect(execute.Resource).toEqual([expect.stringMatching(/^arn:aws:redshift-serverless:eu-west-1:123456789012:workgroup\/[0-9a-f-]{36}$/)]);
    expect(worker.statements.find((s) => s.Action.includes("kms:Decrypt"))).toMatchObject({
      Resource: [SERVERLESS_ENV.REDSHIFT_SECRET_KMS_KEY_ARN],
      Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.eu-west-1.amazonaws.com"] } },
    });
    // No IAM-identity sign-in for Serverless: its database user would be IAMR:<random role name>.
    expect(worker.statements.flatMap((s) => s.Action)).not.toContain("redshift-serverless:GetCredentials");
  });

  it("refuses a Serverless workgroup without the RedshiftSecretArn secret", async () => {
    const { SST_SECRET_RedshiftSecretArn: _omitted, ...env } = SERVERLESS_ENV;
    await expect(evaluateSstConfig({ env })).rejects.toThrow(/Redshift Serverless needs the RedshiftSecretArn secret/);
  }, 120_000);

  it("refuses a database user for Serverless (it signs in with the secret)", async () => {
    await expect(evaluateSstConfig({ env: { ...SERVERLESS_ENV, REDSHIFT_DB_USER: "portal" } })).rejects.toThrow(/REDSHIFT_DB_USER does not apply to Redshift Serverless/);
  }, 120_000);

  it("refuses a KMS key setting that is not a key ARN", async () => {
    await expect(evaluateSstConfig({ env: { ...SERVERLESS_ENV, REDSHIFT_SECRET_KMS_KEY_ARN: "alias/redshift" } })).rejects.toThrow(/must be a KMS key ARN/);
  }, 120_000);
});

describe("sst.config.ts SSO (issue 15)", () => {
  const portal = (d: Deployment) => d.functions.find((f) => /^PortalServer/.test(f.resource.name))!;
  const portalBuild = (d: Deployment) => d.evaluation.builds.find((b) => /^PortalServer/.test(b.functionID))!;
  const { SST_SECRET_OidcClientSecret: _secret, ...ssoSettings } = SSO_ENV;

  it("gives the portal the OIDC settings as environment, and its client secret only through the link", () => {
    const d = scenarios.serverless!;
    expect(portal(d).inputs.environment.variables).toMatchObject(ssoSettings);
    expect(Object.keys(portal(d).inputs.environment.variables).filter((k) => k.startsWith("OIDC_")).sort()).toEqual(Object.keys(ssoSettings).sort());
    expect(portalBuild(d).links.OidcClientSecret).toMatchObject({ value: OIDC_CLIENT_SECRET });
    // The rule no-secret-in-env (above) finds no resource carrying the secret's value.
    expect(JSON.stringify(d.all.filter((r) => r.type === "aws:lambda/function:Function").map((r) => r.inputs))).not.toContain(OIDC_CLIENT_SECRET);
  });

  it("keeps SSO off the workers: no OIDC settings, no link to the client secret", () => {
    const d = scenarios.serverless!;
    const workers = d.functions.filter((f) => f.project && !/^PortalServer/.test(f.resource.name));
    expect(workers.length).toBeGreaterThanOrEqual(8);
    for (const w of workers) expect(Object.keys(w.inputs.environment.variables).filter((k) => k.startsWith("OIDC_")), w.resource.name).toEqual([]);
    const linked = d.evaluation.builds.filter((b) => b.links?.OidcClientSecret).map((b) => b.functionID);
    expect(linked).toEqual([expect.stringMatching(/^PortalServer/)]);
  });

  it("deploys with SSO off when OIDC_ISSUER is unset: the secret keeps its empty placeholder", () => {
    const d = scenarios.cluster!;
    expect(Object.keys(portal(d).inputs.environment.variables).filter((k) => k.startsWith("OIDC_"))).toEqual([]);
    expect(portalBuild(d).links.OidcClientSecret).toMatchObject({ value: "" });
  });

  it("refuses SSO without the OidcClientSecret secret, and an issuer without a client id", async () => {
    const { SST_SECRET_OidcClientSecret: _omitted, ...env } = SERVERLESS_ENV;
    await expect(evaluateSstConfig({ env })).rejects.toThrow(/SSO \(OIDC_ISSUER\) needs the OidcClientSecret secret/);
    const { OIDC_CLIENT_ID: _id, ...noClient } = SERVERLESS_ENV;
    await expect(evaluateSstConfig({ env: noClient })).rejects.toThrow(/Set OIDC_ISSUER and OIDC_CLIENT_ID together/);
  }, 120_000);
});
