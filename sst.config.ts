/// <reference path="./.sst/platform/config.d.ts" />
/**
 * The AWS deployment (see docs/DEPLOY.md): the Next.js portal, the export
 * queue with its Lambda worker and dead-letter queue, the unload and archive
 * buckets, the DynamoDB table, SES, and a daily expiry sweep. The app code
 * reads linked resources through `Resource` only in lib/adapters/aws/settings.ts.
 *
 * Deploy-time settings (shell or CI environment of `sst deploy`):
 *   PORTAL_DOMAIN                 custom domain of the portal (Route 53 zone), or
 *   PUBLIC_URL                    the portal's URL when it has no custom domain
 *   MAIL_SENDER                   SES identity: a domain (mail from exports@<domain>) or an address
 *   REDSHIFT_CLUSTER_ID | REDSHIFT_WORKGROUP, REDSHIFT_DATABASE, REDSHIFT_IAM_ROLE_ARN, [REDSHIFT_DB_USER]
 *   RETENTION_DAYS                days archives are kept (default 7)
 * Secrets (`npx sst secret set <Name> <value> --stage <stage>`): AuthSecret, RedshiftSecretArn.
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

    const env = (name: string): string => process.env[name]?.trim() ?? "";
    const retentionDays = Number(env("RETENTION_DAYS") || "7");
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 365) throw new Error("RETENTION_DAYS must be a whole number of days, 1..365");
    const domain = env("PORTAL_DOMAIN");
    const publicUrl = domain ? `https://${domain}` : env("PUBLIC_URL");
    if (!publicUrl) throw new Error("Set PORTAL_DOMAIN (the portal's custom domain) or PUBLIC_URL (its URL) for this deploy.");
    const mailSender = env("MAIL_SENDER") || domain;
    if (!mailSender) throw new Error("Set MAIL_SENDER: the SES identity (a domain or an address) export emails are sent from.");
    const mailFrom = `Acme Flowers Exports <${mailSender.includes("@") ? mailSender : `exports@${mailSender}`}>`;

    const clusterId = env("REDSHIFT_CLUSTER_ID");
    const workgroup = env("REDSHIFT_WORKGROUP");
    const database = env("REDSHIFT_DATABASE");
    const iamRoleArn = env("REDSHIFT_IAM_ROLE_ARN");
    const dbUser = env("REDSHIFT_DB_USER");
    if (!clusterId === !workgroup) throw new Error("Set exactly one of REDSHIFT_CLUSTER_ID (provisioned) or REDSHIFT_WORKGROUP (serverless).");
    if (!database || !iamRoleArn) throw new Error("Set REDSHIFT_DATABASE and REDSHIFT_IAM_ROLE_ARN (the role UNLOAD assumes to write to the unload bucket).");

    /* ------------------------------------------------------------ secrets */

    const authSecret = new sst.Secret("AuthSecret");
    // Empty when the cluster is reached as REDSHIFT_DB_USER or (serverless) with the caller's IAM identity.
    const redshiftSecretArn = new sst.Secret("RedshiftSecretArn", "");

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

    const email = new sst.aws.Email("Email", { sender: mailSender });

    /* ------------------------------------------------------------ Redshift */

    const identity = aws.getCallerIdentityOutput({});
    const region = aws.getRegionOutput({});
    const redshift = new sst.Linkable("Redshift", {
      properties: { clusterIdentifier: clusterId, workgroupName: workgroup, database, iamRoleArn, dbUser },
      include: [
        sst.aws.permission({
          actions: ["redshift-data:ExecuteStatement"],
          resources: [
            clusterId
              ? $interpolate`arn:aws:redshift:${region.name}:${identity.accountId}:cluster:${clusterId}`
              : $interpolate`arn:aws:redshift-serverless:${region.name}:${identity.accountId}:workgroup/*`,
          ],
        }),
        // Describe and Cancel take no resource; the Data API limits them to the caller's own statements.
        sst.aws.permission({ actions: ["redshift-data:DescribeStatement", "redshift-data:CancelStatement"], resources: ["*"] }),
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
        ...(workgroup ? [sst.aws.permission({ actions: ["redshift-serverless:GetCredentials"], resources: ["*"] })] : []),
        sst.aws.permission({
          actions: ["secretsmanager:GetSecretValue"],
          // Without a secret (database user or IAM identity) the grant names a secret that does not exist.
          resources: [
            $resolve([redshiftSecretArn.value, region.name, identity.accountId]).apply(([arn, r, account]) => arn || `arn:aws:secretsmanager:${r}:${account}:secret:no-redshift-secret`),
          ],
        }),
      ],
    });

    /* ------------------------------------------------------------ queue and worker */

    const deadLetterQueue = new sst.aws.Queue("ExportDeadLetterQueue", {
      // Failed exports are handled at once; the messages stay two weeks for inspection.
      transform: { queue: (args) => void (args.messageRetentionSeconds = 14 * 86_400) },
    });
    const queue = new sst.aws.Queue("ExportQueue", {
      // Above the worker's 15-minute timeout, so a delivery is never handed out twice while it runs.
      visibilityTimeout: "20 minutes",
      dlq: { queue: deadLetterQueue.arn, retry: 3 },
    });

    // The delivery lane (issue 12, finding 2): webhook attempts and pushes, worked by their own
    // function so an endpoint that hangs never holds an export's concurrency. Each attempt is a
    // new message; only store faults bring one back, so five receives are plenty.
    const deliveryDeadLetterQueue = new sst.aws.Queue("DeliveryDeadLetterQueue", {
      transform: { queue: (args) => void (args.messageRetentionSeconds = 14 * 86_400) },
    });
    const deliveryQueue = new sst.aws.Queue("DeliveryQueue", {
      // Above the delivery function's 2-minute timeout.
      visibilityTimeout: "3 minutes",
      dlq: { queue: deliveryDeadLetterQueue.arn, retry: 5 },
    });

    const link = [queue, deadLetterQueue, deliveryQueue, deliveryDeadLetterQueue, unloadBucket, archiveBucket, jobs, email, redshift, redshiftSecretArn, authSecret];
    const environment = {
      EXPORT_BACKEND: "aws",
      NODE_ENV: "production",
      AUTH_SECRET: authSecret.value,
      PUBLIC_URL: publicUrl,
      MAIL_FROM: mailFrom,
      RETENTION_DAYS: String(retentionDays),
      // Lambda's only writable folder; the zip spool lives here (see `storage` below).
      DATA_DIR: "/tmp/portal",
      LOG_LEVEL: "info",
    };
    const lambda = {
      link,
      environment,
      runtime: "nodejs22.x" as const,
      // lib/config.ts imports the local adapters too; their native modules must be in the package.
      nodejs: { install: ["@duckdb/node-api", "better-sqlite3"] },
    };

    queue.subscribe(
      {
        ...lambda,
        handler: "workers/sqs.handler",
        timeout: "15 minutes",
        // Parallel deflate of large parts; flat memory otherwise (streams end to end).
        memory: "3008 MB",
        // Spool for compressed parts waiting their turn in the zip.
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
    deadLetterQueue.subscribe({ ...lambda, handler: "workers/sqs-dlq.handler", timeout: "2 minutes", memory: "512 MB" }, { batch: { size: 10, partialResponses: true } });
    deliveryQueue.subscribe(
      {
        ...lambda,
        handler: "workers/sqs-deliveries.handler",
        timeout: "2 minutes",
        memory: "512 MB",
        // Pushes to suppliers' S3 buckets assume the role each supplier created, in their own account;
        // the role's trust policy (naming this account and the destination's external id) is the gate.
        permissions: [{ actions: ["sts:AssumeRole"], resources: ["*"] }],
      },
      {
        // Ten attempts per invocation, run at once: a batch of hanging endpoints costs one timeout.
        batch: { size: 10, partialResponses: true },
        // Bounds the lane as a whole; per-endpoint and per-supplier caps are slots in the table.
        transform: { eventSourceMapping: (args) => void (args.scalingConfig = { maximumConcurrency: 10 }) },
      },
    );
    deliveryDeadLetterQueue.subscribe(
      { ...lambda, handler: "workers/sqs-deliveries.deadLetterHandler", timeout: "1 minute", memory: "512 MB" },
      { batch: { size: 10, partialResponses: true } },
    );

    new sst.aws.Cron("ExpirySweep", {
      schedule: "cron(15 3 * * ? *)",
      function: { ...lambda, handler: "workers/sqs.sweepHandler", timeout: "15 minutes", memory: "512 MB" },
    });

    // The scheduler (issue 14): enqueues every due scheduled run once a minute. Two invocations
    // overlapping is harmless: each run's slot is claimed with a conditional write on nextRunAt.
    // CronV2 (EventBridge Scheduler) is SST's non-deprecated cron component.
    new sst.aws.CronV2("Scheduler", {
      schedule: "rate(1 minute)",
      function: { ...lambda, handler: "workers/sqs.scheduleHandler", timeout: "1 minute", memory: "512 MB" },
    });

    /* ------------------------------------------------------------ portal */

    const site = new sst.aws.Nextjs("Portal", {
      link,
      environment,
      ...(domain ? { domain: { name: domain } } : {}),
    });

    return { url: site.url, queue: queue.url, deadLetterQueue: deadLetterQueue.url, deliveryQueue: deliveryQueue.url, table: jobs.name };

    /** Adds "abort incomplete multipart uploads after a day" to a bucket's lifecycle rules: a worker that dies mid-upload leaves parts S3 would keep billing. */
    function withAbortRule(rules: $util.Input<$util.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[]> | undefined) {
      return $output(rules ?? []).apply((list) => [
        ...list,
        { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
      ]);
    }
  },
});
