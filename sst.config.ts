/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The AWS deployment (see docs/DEPLOY.md): the Next.js portal, the export
 * queue with its Lambda worker and dead-letter queue, the unload and archive
 * buckets, the DynamoDB table, SES with its configuration set, a daily expiry
 * sweep, and the alarms. The app code reads linked resources through
 * `Resource` only in lib/adapters/aws/settings.ts. test/iac/ evaluates this
 * file under Pulumi's mocks and checks what it would create against AWS's
 * rules (queue timeouts, IAM, lifecycle, alarms, secrets).
 *
 * Deploy-time settings (shell or CI environment of `sst deploy`):
 *   PORTAL_DOMAIN                 custom domain of the portal (Route 53 zone), or
 *   PUBLIC_URL                    the portal's URL when it has no custom domain
 *   MAIL_SENDER                   SES identity: a domain (mail from exports@<domain>) or an address
 *   REDSHIFT_CLUSTER_ID | REDSHIFT_WORKGROUP, REDSHIFT_DATABASE, REDSHIFT_IAM_ROLE_ARN, [REDSHIFT_DB_USER]
 *   REDSHIFT_SECRET_KMS_KEY_ARN   the customer managed KMS key the Redshift secret is encrypted with, if any
 *   RETENTION_DAYS                days archives are kept (default 7)
 *   ALARM_EMAIL                   address subscribed to the alarm topic (optional; confirm the mail SNS sends)
 *   OIDC_ISSUER, OIDC_CLIENT_ID   SSO through OpenID Connect (both, or neither: SSO off), and its mapping:
 *   OIDC_SUPPLIER_DOMAINS, OIDC_SUPPLIER_CLAIM, OIDC_NAME, OIDC_DEFAULT_MEMBERSHIP (see lib/env.ts)
 * Secrets (`npx sst secret set <Name> <value> --stage <stage>`): AuthSecret, RedshiftSecretArn,
 * OidcClientSecret (needed only with OIDC_ISSUER).
 */
export default $config({
  app(input) {
    return {
      name: "partner-export-portal",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
    };
  },
  async run() {
    const schema = await import("./lib/adapters/aws/dynamo-schema");
    const sdk = await import("./lib/adapters/aws/permissions");
    const bundle = await import("./workers/lambda-bundle");

    const env = (name: string): string => process.env[name]?.trim() ?? "";
    const retentionDays = Number(env("RETENTION_DAYS") || "7");
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 365) throw new Error("RETENTION_DAYS must be a whole number of days, 1..365");
    const domain = env("PORTAL_DOMAIN");
    const publicUrl = domain ? `https://${domain}` : env("PUBLIC_URL");
    if (!publicUrl) throw new Error("Set PORTAL_DOMAIN (the portal's custom domain) or PUBLIC_URL (its URL) for this deploy.");
    const mailSender = env("MAIL_SENDER") || domain;
    if (!mailSender) throw new Error("Set MAIL_SENDER: the SES identity (a domain or an address) export emails are sent from.");
    const mailFrom = `Acme Flowers Exports <${mailSender.includes("@") ? mailSender : `exports@${mailSender}`}>`;
    const alarmEmail = env("ALARM_EMAIL");

    const clusterId = env("REDSHIFT_CLUSTER_ID");
    const workgroup = env("REDSHIFT_WORKGROUP");
    const database = env("REDSHIFT_DATABASE");
    const iamRoleArn = env("REDSHIFT_IAM_ROLE_ARN");
    const dbUser = env("REDSHIFT_DB_USER");
    const secretKmsKeyArn = env("REDSHIFT_SECRET_KMS_KEY_ARN");
    if (!clusterId === !workgroup) throw new Error("Set exactly one of REDSHIFT_CLUSTER_ID (provisioned) or REDSHIFT_WORKGROUP (serverless).");
    if (!database || !iamRoleArn) throw new Error("Set REDSHIFT_DATABASE and REDSHIFT_IAM_ROLE_ARN (the role UNLOAD assumes to write to the unload bucket).");
    if (workgroup && dbUser) throw new Error("REDSHIFT_DB_USER does not apply to Redshift Serverless: set the RedshiftSecretArn secret.");
    if (secretKmsKeyArn && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(secretKmsKeyArn)) throw new Error("REDSHIFT_SECRET_KMS_KEY_ARN must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>).");

    // SSO (issue 15): plain settings for the portal only; the client secret is the OidcClientSecret secret.
    const sso = Object.fromEntries(
      ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_SUPPLIER_DOMAINS", "OIDC_SUPPLIER_CLAIM", "OIDC_NAME", "OIDC_DEFAULT_MEMBERSHIP"].flatMap((name) => (env(name) ? [[name, env(name)]] : [])),
    );
    if (!sso.OIDC_ISSUER !== !sso.OIDC_CLIENT_ID) throw new Error("Set OIDC_ISSUER and OIDC_CLIENT_ID together for SSO, or neither (SSO off); the client secret is the OidcClientSecret secret.");
    if (sso.OIDC_ISSUER && !/^https:\/\/[^\s/]+/.test(sso.OIDC_ISSUER)) throw new Error("OIDC_ISSUER must be the identity provider's https:// issuer URL.");
    if (!sso.OIDC_ISSUER && Object.keys(sso).length > 0) throw new Error(`${Object.keys(sso).join(", ")} apply only with OIDC_ISSUER and OIDC_CLIENT_ID (SSO).`);

    /** Function settings every function of the portal's code shares. */
    const LOG_RETENTION = "1 month" as const;
    // The worker's timeout; SQS redelivers a message still in flight after the queue's visibility timeout.
    const WORKER_TIMEOUT_MINUTES = 15;
    const DLQ_WORKER_TIMEOUT_MINUTES = 2;
    // The delivery lane: one webhook attempt is bounded by WEBHOOK_TIMEOUT_MS (at most 30 s), a batch runs its attempts at once.
    const DELIVERY_WORKER_TIMEOUT_MINUTES = 2;
    const DELIVERY_DLQ_WORKER_TIMEOUT_MINUTES = 1;
    /** One tick lists due schedules and submits their runs (seconds), well inside the one-minute rate. */
    const SCHEDULER_TIMEOUT_SECONDS = 55;
    // CloudFront waits 30 s (its default origin timeout) for the server function; a page that takes longer has failed.
    const PORTAL_TIMEOUT_SECONDS = 20;
    /** AWS's rule for a queue feeding a Lambda function: visibility at least 6x the function's timeout (Lambda retries throttled batches within it). */
    const visibilityFor = (timeoutMinutes: number) => `${timeoutMinutes * 6} minutes` as const;

    /* ------------------------------------------------------------ links */

    // A linked queue, bucket or table grants the actions the adapters send (lib/adapters/aws/permissions.ts),
    // not SST's default `sqs:*` / `s3:*` / `dynamodb:*`.
    const adapterActions = (service: string, target: (t: string) => boolean) => [
      ...new Set(
        Object.values(sdk.AWS_SDK_PERMISSIONS)
          .flat()
          .filter((p) => p.on.some(target))
          .flatMap((p) => p.actions)
          .filter((a) => a.startsWith(`${service}:`)),
      ),
    ];
    const grant = (actions: string[], resources: $util.Input<string>[]) => (actions.length ? [sst.aws.permission({ actions, resources })] : []);
    sst.Linkable.wrap(sst.aws.Queue, (q) => ({ properties: { url: q.url }, include: grant(adapterActions("sqs", () => true), [q.arn]) }));
    sst.Linkable.wrap(sst.aws.Bucket, (b) => ({
      properties: { name: b.name },
      include: [...grant(adapterActions("s3", (t) => !t.includes("/")), [b.arn]), ...grant(adapterActions("s3", (t) => t.endsWith("/*") && !t.includes("/index/")), [$interpolate`${b.arn}/*`])],
    }));
    sst.Linkable.wrap(sst.aws.Dynamo, (t) => ({
      properties: { name: t.name },
      include: [...grant(adapterActions("dynamodb", (x) => !x.includes("/")), [t.arn]), ...grant(adapterActions("dynamodb", (x) => x.endsWith("/index/*")), [$interpolate`${t.arn}/index/*`])],
    }));

    /* ------------------------------------------------------------ secrets */

    const authSecret = new sst.Secret("AuthSecret");
    // Empty when a provisioned cluster is reached as REDSHIFT_DB_USER; required for Serverless.
    const redshiftSecretArn = new sst.Secret("RedshiftSecretArn", "");
    // Empty (the placeholder) while SSO is off; linked to the portal only, the one place that signs people in.
    const oidcClientSecret = new sst.Secret("OidcClientSecret", "");
    if (sso.OIDC_ISSUER) {
      $resolve([oidcClientSecret.value]).apply(([value]) => {
        if (!value) throw new Error("SSO (OIDC_ISSUER) needs the OidcClientSecret secret (npx sst secret set OidcClientSecret <client secret>): see docs/DEPLOY.md.");
      });
    }

    /* ------------------------------------------------------------ storage */

    // Part files are deleted once archived; the rule removes what a failed export left behind.
    const unloadBucket = new sst.aws.Bucket("UnloadBucket", {
      lifecycle: [{ id: "expire-unload-parts", expiresIn: "1 day" }],
      transform: { lifecycle: (args) => void (args.rules = withAbortRule(args.rules)) },
    });
    // The sweep deletes archives at expiry; the rule is the backstop, a day later.
    const archiveBucket = new sst.aws.Bucket("ArchiveBucket", {
      lifecycle: [{ id: "expire-archives", prefix: "archives/", expiresIn: `${retentionDays + 1} days` }],
      transform: { lifecycle: (args) => void (args.rules = withAbortRule(args.rules)) },
    });

    const jobs = new sst.aws.Dynamo("Jobs", {
      fields: Object.fromEntries(schema.KEY_ATTRIBUTES.map((name) => [name, "string" as const])),
      primaryIndex: { hashKey: schema.TABLE_KEYS.partition, rangeKey: schema.TABLE_KEYS.sort },
      globalIndexes: Object.fromEntries(
        schema.TABLE_INDEXES.map((index) => [index.name, { hashKey: index.partitionKey, rangeKey: index.sortKey, projection: [...index.projection] }]),
      ),
      ttl: schema.TTL_ATTRIBUTE,
      deletionProtection: $app.stage === "production",
    });

    /* ------------------------------------------------------------ mail */

    // Bounces and complaints go on SES's suppression list through the configuration set (SES then drops
    // later mail to that address; operators see the list in the SES console) and to the mail-events topic.
    const mailEvents = new sst.aws.SnsTopic("MailEvents");
    const email = new sst.aws.Email("Email", {
      sender: mailSender,
      // The shop's DNS is not in this account's Route 53 (and SST would write `_dmarc` as p=none): the
      // operator adds the records SES shows (docs/DEPLOY.md).
      dns: false,
      events: [{ name: "bounces-and-complaints", types: ["bounce", "complaint"], topic: mailEvents.arn }],
      transform: { configurationSet: (args) => void (args.suppressionOptions = { suppressedReasons: ["BOUNCE", "COMPLAINT"] }) },
    });
    // SES publishes the configuration set's events as the ses.amazonaws.com service: only this account's configuration set may.
    new aws.sns.TopicPolicy("MailEventsPolicy", {
      arn: mailEvents.arn,
      policy: aws.iam.getPolicyDocumentOutput({
        statements: [
          {
            actions: ["sns:Publish"],
            principals: [{ type: "Service", identifiers: ["ses.amazonaws.com"] }],
            resources: [mailEvents.arn],
            conditions: [
              { test: "StringEquals", variable: "aws:SourceAccount", values: [aws.getCallerIdentityOutput({}).accountId] },
              { test: "ArnLike", variable: "aws:SourceArn", values: [email.nodes.configurationSet.arn] },
            ],
          },
        ],
      }).json,
    });
    // The mailer's link: sender and configuration set, and SendEmail on exactly those (SST's Email link
    // also allows ses:Send* on "*"). identity/* covers the recipients SES checks while in the sandbox.
    const mail = new sst.Linkable("Mail", {
      properties: { sender: mailSender, configSet: email.configSet },
      include: [
        sst.aws.permission({
          actions: ["ses:SendEmail"],
          resources: [
            $interpolate`arn:aws:ses:${aws.getRegionOutput({}).name}:${aws.getCallerIdentityOutput({}).accountId}:identity/*`,
            email.nodes.configurationSet.arn,
          ],
        }),
      ],
    });

    /* ------------------------------------------------------------ Redshift */

    const identity = aws.getCallerIdentityOutput({});
    const region = aws.getRegionOutput({});
    // Serverless: the Data API signs in with the secret's user. Signing in with the function's IAM identity
    // would make the database user `IAMR:<role name>`, and SST's role names carry a random suffix, so it
    // could not be granted before the first deploy.
    if (workgroup) {
      $resolve([redshiftSecretArn.value]).apply(([arn]) => {
        if (!arn) throw new Error("Redshift Serverless needs the RedshiftSecretArn secret (npx sst secret set RedshiftSecretArn <arn>): see docs/DEPLOY.md.");
      });
    }
    const redshiftArn = clusterId
      ? $interpolate`arn:aws:redshift:${region.name}:${identity.accountId}:cluster:${clusterId}`
      : aws.redshiftserverless.getWorkgroupOutput({ workgroupName: workgroup }).arn;
    const redshift = new sst.Linkable("Redshift", {
      properties: { clusterIdentifier: clusterId, workgroupName: workgroup, database, iamRoleArn, dbUser },
      include: [
        sst.aws.permission({ actions: ["redshift-data:ExecuteStatement"], resources: [redshiftArn] }),
        // Describe, Cancel and GetStatementResult take no resource; the Data API limits them to the caller's own statements.
        sst.aws.permission({ actions: ["redshift-data:DescribeStatement", "redshift-data:CancelStatement", "redshift-data:GetStatementResult"], resources: ["*"] }),
        ...(clusterId && dbUser
          ? [
              sst.aws.permission({
                actions: ["redshift:GetClusterCredentials"],
                resources: [
                  $interpolate`arn:aws:redshift:${region.name}:${identity.accountId}:dbuser:${clusterId}/${dbUser}`,
                  $interpolate`arn:aws:redshift:${region.name}:${identity.accountId}:dbname:${clusterId}/${database}`,
                ],
              }),
            ]
          : []),
        sst.aws.permission({
          actions: ["secretsmanager:GetSecretValue"],
          // Without a secret (a provisioned cluster reached as REDSHIFT_DB_USER) the grant names a secret that does not exist.
          resources: [
            $resolve([redshiftSecretArn.value, region.name, identity.accountId]).apply(([arn, r, account]) => arn || `arn:aws:secretsmanager:${r}:${account}:secret:no-redshift-secret`),
          ],
        }),
        // A secret encrypted with a customer managed key is readable only with kms:Decrypt on that key, through Secrets Manager.
        ...(secretKmsKeyArn
          ? [
              sst.aws.permission({
                actions: ["kms:Decrypt"],
                resources: [secretKmsKeyArn],
                conditions: [{ test: "StringEquals", variable: "kms:ViaService", values: [$interpolate`secretsmanager.${region.name}.amazonaws.com`] }],
              }),
            ]
          : []),
      ],
    });

    /* ------------------------------------------------------------ queue and worker */

    const deadLetterQueue = new sst.aws.Queue("ExportDeadLetterQueue", {
      visibilityTimeout: visibilityFor(DLQ_WORKER_TIMEOUT_MINUTES),
      // Failed exports are handled at once; the messages stay two weeks for inspection.
      transform: { queue: (args) => void (args.messageRetentionSeconds = 14 * 86_400) },
    });
    const queue = new sst.aws.Queue("ExportQueue", {
      // Only a crashed worker waits this out: retries set their own delay (ChangeMessageVisibility).
      visibilityTimeout: visibilityFor(WORKER_TIMEOUT_MINUTES),
      dlq: { queue: deadLetterQueue.arn, retry: 3 },
    });

    // The delivery lane (issue 12, finding 2): webhook attempts and pushes, worked by their own
    // function so an endpoint that hangs never holds an export's concurrency. Each attempt is a
    // new message; only store faults bring one back, so five receives are plenty.
    const deliveryDeadLetterQueue = new sst.aws.Queue("DeliveryDeadLetterQueue", {
      visibilityTimeout: visibilityFor(DELIVERY_DLQ_WORKER_TIMEOUT_MINUTES),
      transform: { queue: (args) => void (args.messageRetentionSeconds = 14 * 86_400) },
    });
    const deliveryQueue = new sst.aws.Queue("DeliveryQueue", {
      visibilityTimeout: visibilityFor(DELIVERY_WORKER_TIMEOUT_MINUTES),
      dlq: { queue: deliveryDeadLetterQueue.arn, retry: 5 },
    });

    const link = [queue, deadLetterQueue, deliveryQueue, deliveryDeadLetterQueue, unloadBucket, archiveBucket, jobs, mail, redshift, redshiftSecretArn, authSecret];
    // No secret here: AuthSecret reaches the code through `link` (Resource.AuthSecret.value), encrypted in the bundle.
    const environment = {
      EXPORT_BACKEND: "aws",
      NODE_ENV: "production",
      PUBLIC_URL: publicUrl,
      MAIL_FROM: mailFrom,
      RETENTION_DAYS: String(retentionDays),
      // Lambda's only writable folder; XLSX workbooks are assembled here (see `storage` below).
      DATA_DIR: "/tmp/portal",
      LOG_LEVEL: "info",
    };
    // AWS mode loads no native module (lib/config.ts imports the local adapters only in local mode): nothing to install.
    // The SDK is left to the runtime and the local-only chunk is split off (see workers/lambda-bundle.ts).
    const lambda = { link, environment, runtime: bundle.LAMBDA_RUNTIME, nodejs: bundle.LAMBDA_NODEJS, logging: { retention: LOG_RETENTION } };

    const worker = queue.subscribe(
      {
        ...lambda,
        handler: "workers/sqs.handler",
        timeout: `${WORKER_TIMEOUT_MINUTES} minutes`,
        // Parallel deflate of large parts; flat memory otherwise (streams end to end).
        memory: "3008 MB",
        // Room for XLSX workbooks built from CSV parts before they enter the zip (CSV, JSON Lines and Parquet stream through without touching disk).
        storage: "10 GB",
      },
      {
        // One message per invocation: one delivery can stream a multi-GB archive.
        batch: { size: 1, partialResponses: true },
        transform: {
          // Bounds concurrent statements sent to Redshift (the Data API caps active statements).
          eventSourceMapping: (args) => void (args.scalingConfig = { maximumConcurrency: 20 }),
        },
      },
    );
    const deadLetterWorker = deadLetterQueue.subscribe(
      { ...lambda, handler: "workers/sqs-dlq.handler", timeout: `${DLQ_WORKER_TIMEOUT_MINUTES} minutes`, memory: "512 MB" },
      { batch: { size: 10, partialResponses: true } },
    );
    const deliveryWorker = deliveryQueue.subscribe(
      {
        ...lambda,
        handler: "workers/sqs-deliveries.handler",
        timeout: `${DELIVERY_WORKER_TIMEOUT_MINUTES} minutes`,
        memory: "512 MB",
        // Pushes to suppliers' S3 buckets assume the role each supplier created in their own account
        // (lib/adapters/destinations/s3-pusher.ts); that role's trust policy, naming this account and
        // the destination's external id, is the gate. Roles only, never "*".
        permissions: [{ actions: ["sts:AssumeRole"], resources: ["arn:aws:iam::*:role/*"] }],
      },
      {
        // Ten attempts per invocation, run at once: a batch of hanging endpoints costs one timeout.
        batch: { size: 10, partialResponses: true },
        // Bounds the lane as a whole; per-endpoint and per-supplier caps are slots in the table.
        transform: { eventSourceMapping: (args) => void (args.scalingConfig = { maximumConcurrency: 10 }) },
      },
    );
    const deliveryDeadLetterWorker = deliveryDeadLetterQueue.subscribe(
      { ...lambda, handler: "workers/sqs-deliveries.deadLetterHandler", timeout: `${DELIVERY_DLQ_WORKER_TIMEOUT_MINUTES} minutes`, memory: "512 MB" },
      { batch: { size: 10, partialResponses: true } },
    );

    // Hard bounces and complaints become suppressions the mailer checks (workers/ses-events.ts).
    const mailEventsRecorder = mailEvents.subscribe("MailEventsRecorder", { ...lambda, handler: "workers/ses-events.handler", timeout: "30 seconds", memory: "256 MB" });

    const sweep = new sst.aws.CronV2("ExpirySweep", {
      schedule: "cron(15 3 * * ? *)",
      timezone: "UTC",
      function: { ...lambda, handler: "workers/sqs.sweepHandler", timeout: "15 minutes", memory: "512 MB" },
    });

    // Exports whose queue message was lost (a crash between the DynamoDB write and the SQS send) are
    // found and sent again (issue 12, finding 4; lib/exports/requeue.ts).
    const requeueSweep = new sst.aws.CronV2("RequeueSweep", {
      schedule: "rate(5 minutes)",
      function: { ...lambda, handler: "workers/sqs.requeueHandler", timeout: "5 minutes", memory: "512 MB" },
    });

    // The scheduler (issue 14): starts every due scheduled run once a minute. Overlapping
    // invocations are harmless: each run's slot is claimed with a conditional write on nextRunAt.
    const scheduler = new sst.aws.CronV2("Scheduler", {
      schedule: "rate(1 minute)",
      function: { ...lambda, handler: "workers/sqs.scheduleHandler", timeout: `${SCHEDULER_TIMEOUT_SECONDS} seconds`, memory: "512 MB" },
    });

    /* ------------------------------------------------------------ portal */

    // The Nextjs component's ISR revalidation queue keeps SQS's 30 s visibility for its 30 s subscriber; give it AWS's 6x too.
    $transform(sst.aws.Queue, (args, _opts, name) => {
      if (name === "PortalRevalidationEvents" && args) args.visibilityTimeout = visibilityFor(0.5);
    });
    const site = new sst.aws.Nextjs("Portal", {
      link: [...link, oidcClientSecret],
      environment: { ...environment, ...sso },
      ...(domain ? { domain: { name: domain } } : {}),
      server: { timeout: `${PORTAL_TIMEOUT_SECONDS} seconds`, memory: "1024 MB" },
      transform: {
        server: (args) => {
          args.logging = { retention: LOG_RETENTION };
          // SST lets the server invalidate any distribution ("*"); this account's distributions are enough.
          args.permissions = $output(args.permissions ?? []).apply((list) =>
            list.map((p) =>
              p.actions.includes("cloudfront:CreateInvalidation") && p.resources.includes("*")
                ? { ...p, resources: [$interpolate`arn:aws:cloudfront::${identity.accountId}:distribution/*`] }
                : p,
            ),
          );
        },
      },
    });

    /* ------------------------------------------------------------ alarms */

    // Every alarm goes to this topic; ALARM_EMAIL subscribes an address (SNS mails it a confirmation link first).
    const alarms = new sst.aws.SnsTopic("Alarms");
    if (alarmEmail) new aws.sns.TopicSubscription("AlarmsEmail", { topic: alarms.arn, protocol: "email", endpoint: alarmEmail });
    const alarm = (name: string, args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "evaluationPeriods" | "period">) =>
      new aws.cloudwatch.MetricAlarm(name, { evaluationPeriods: 1, period: 300, treatMissingData: "notBreaching", ...args, alarmActions: [alarms.arn], okActions: [alarms.arn] });

    // Any message in a dead-letter queue is an export that failed on every delivery, or a dead letter its handler could not record.
    for (const [name, q] of [["ExportDeadLetterQueueDepth", deadLetterQueue], ["DeliveryDeadLetterQueueDepth", deliveryDeadLetterQueue]] as const) {
      alarm(name, {
        namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: q.nodes.queue.name },
        statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0,
      });
    }
    // Exports waiting longer than half an hour: workers are failing, throttled, or capped below demand.
    for (const [name, q] of [["ExportQueue", queue], ["ExportDeadLetterQueue", deadLetterQueue], ["DeliveryQueue", deliveryQueue], ["DeliveryDeadLetterQueue", deliveryDeadLetterQueue]] as const) {
      alarm(`${name}OldestMessageAge`, {
        namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: q.nodes.queue.name },
        statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 30 * 60,
      });
    }
    // [alarm name prefix, function name, its timeout in seconds]
    const monitored: Array<[string, $util.Output<string>, number]> = [
      ["ExportWorker", worker.nodes.function.name, WORKER_TIMEOUT_MINUTES * 60],
      ["ExportDeadLetterWorker", deadLetterWorker.nodes.function.name, DLQ_WORKER_TIMEOUT_MINUTES * 60],
      ["DeliveryWorker", deliveryWorker.nodes.function.name, DELIVERY_WORKER_TIMEOUT_MINUTES * 60],
      ["DeliveryDeadLetterWorker", deliveryDeadLetterWorker.nodes.function.name, DELIVERY_DLQ_WORKER_TIMEOUT_MINUTES * 60],
      ["ExpirySweep", sweep.nodes.function.name, 15 * 60],
      ["Scheduler", scheduler.nodes.function.name, SCHEDULER_TIMEOUT_SECONDS],
      ["RequeueSweep", requeueSweep.nodes.function.name, 5 * 60],
      ["MailEventsRecorder", mailEventsRecorder.nodes.function.name, 30],
      ["PortalServer", $output(site.nodes.server).apply((server) => server!.nodes.function.name), PORTAL_TIMEOUT_SECONDS],
    ];
    for (const [name, functionName, timeoutSeconds] of monitored) {
      const dimensions = { FunctionName: functionName };
      alarm(`${name}Errors`, { namespace: "AWS/Lambda", metricName: "Errors", dimensions, statistic: "Sum", comparisonOperator: "GreaterThanThreshold", threshold: 0 });
      alarm(`${name}Throttles`, { namespace: "AWS/Lambda", metricName: "Throttles", dimensions, statistic: "Sum", comparisonOperator: "GreaterThanThreshold", threshold: 0 });
      // Close to the timeout: the next larger export will be killed mid-archive.
      alarm(`${name}Duration`, {
        namespace: "AWS/Lambda", metricName: "Duration", dimensions, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: timeoutSeconds * 1000 * 0.8,
      });
    }

    return { url: site.url, queue: queue.url, deadLetterQueue: deadLetterQueue.url, deliveryQueue: deliveryQueue.url, table: jobs.name, alarms: alarms.arn, mailEvents: mailEvents.arn };

    /** Adds "abort incomplete multipart uploads after a day" to a bucket's lifecycle rules: a worker that dies mid-upload leaves parts S3 would keep billing. */
    function withAbortRule(rules: $util.Input<$util.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[]> | undefined) {
      return $output(rules ?? []).apply((list) => [
        ...list,
        { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
      ]);
    }
  },
});
