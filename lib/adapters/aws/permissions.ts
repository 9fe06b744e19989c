/**
 * Every AWS SDK command the AWS adapters send, the IAM actions AWS checks for
 * it, and the resources it is sent to. sst.config.ts grants exactly these to
 * the functions that run the portal's code, and two tests hold the three
 * together: `permissions.test.ts` (beside this file) fails when an adapter file
 * imports a command that is not listed here (or a listed one is no longer
 * imported), and `test/iac/sst-config.test.ts` evaluates sst.config.ts and
 * fails when a listed action is not allowed on its resources.
 *
 * Targets name the linked resources of `SST_LINKS` (settings.ts):
 * `queue` is the queue's ARN, `archiveBucket` the bucket's ARN,
 * `archiveBucket/*` its objects, `table/index/*` the table's indexes,
 * `email:identity` / `email:configurationSet` the SES identity and
 * configuration set, `redshift` the cluster or workgroup. `*` is only for an
 * action AWS authorises on no resource at all; `why` says which.
 */
// No imports: sst.config.ts loads this file as is. The names are keys of `SST_LINKS` (permissions.test.ts checks).
type Link = "queue" | "deadLetterQueue" | "unloadBucket" | "archiveBucket" | "table" | "redshift" | "redshiftSecretArn" | "email";
export type PermissionTarget = Link | `${Link}/*` | `${Link}/index/*` | "email:identity" | "email:configurationSet" | "*";

export interface CommandPermission {
  /** The imported name: a `...Command` class, or `Upload` (lib-storage's multipart upload). */
  command: string;
  /** IAM actions AWS authorises the call with. */
  actions: readonly string[];
  on: readonly PermissionTarget[];
  /** Why a target is `*`. */
  why?: string;
}

const SQS_QUEUES = ["queue", "deadLetterQueue"] as const;
const OBJECTS = ["unloadBucket/*", "archiveBucket/*"] as const;
const BUCKETS = ["unloadBucket", "archiveBucket"] as const;
const TABLE = ["table"] as const;
const TABLE_AND_INDEXES = ["table", "table/index/*"] as const;

/** Keyed by adapter file in lib/adapters/aws/. */
export const AWS_SDK_PERMISSIONS: Readonly<Record<string, readonly CommandPermission[]>> = {
  "sqs-queue.ts": [
    { command: "SendMessageCommand", actions: ["sqs:SendMessage"], on: SQS_QUEUES },
    { command: "ReceiveMessageCommand", actions: ["sqs:ReceiveMessage"], on: SQS_QUEUES },
    { command: "DeleteMessageCommand", actions: ["sqs:DeleteMessage"], on: SQS_QUEUES },
    { command: "ChangeMessageVisibilityCommand", actions: ["sqs:ChangeMessageVisibility"], on: SQS_QUEUES },
    { command: "GetQueueAttributesCommand", actions: ["sqs:GetQueueAttributes"], on: SQS_QUEUES },
  ],
  "s3-object-store.ts": [
    // CreateMultipartUpload, UploadPart and CompleteMultipartUpload are authorised as s3:PutObject.
    { command: "Upload", actions: ["s3:PutObject", "s3:AbortMultipartUpload"], on: OBJECTS },
    // Also what the presigned download URLs are signed for: the signer's role must hold it.
    { command: "GetObjectCommand", actions: ["s3:GetObject"], on: OBJECTS },
    { command: "HeadObjectCommand", actions: ["s3:GetObject"], on: OBJECTS },
    { command: "ListObjectsV2Command", actions: ["s3:ListBucket"], on: BUCKETS },
    { command: "DeleteObjectCommand", actions: ["s3:DeleteObject"], on: OBJECTS },
    { command: "DeleteObjectsCommand", actions: ["s3:DeleteObject"], on: OBJECTS },
    // The resumable archive's own multipart upload (issue 11).
    { command: "CreateMultipartUploadCommand", actions: ["s3:PutObject"], on: OBJECTS },
    { command: "UploadPartCommand", actions: ["s3:PutObject"], on: OBJECTS },
    // UploadPartCopy: s3:GetObject on the source (an unloaded part), s3:PutObject on the archive.
    { command: "UploadPartCopyCommand", actions: ["s3:GetObject", "s3:PutObject"], on: OBJECTS },
    { command: "ListPartsCommand", actions: ["s3:ListMultipartUploadParts"], on: OBJECTS },
    { command: "CompleteMultipartUploadCommand", actions: ["s3:PutObject"], on: OBJECTS },
    { command: "AbortMultipartUploadCommand", actions: ["s3:AbortMultipartUpload"], on: OBJECTS },
  ],
  "dynamo-job-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
    { command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES },
  ],
  "dynamo-user-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
    { command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES },
  ],
  "dynamo-api-token-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
  ],
  "dynamo-supplier-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
  ],
  // DynamoTable's paged partition query, used by the stores built on it.
  "dynamo-table.ts": [{ command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES }],
  "dynamo-audit-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
    { command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES },
  ],
  "dynamo-request-claim-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
  ],
  "dynamo-webhook-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
    { command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES },
  ],
  "dynamo-mail-suppressions.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
  ],
  "dynamo-schedule-store.ts": [
    { command: "GetCommand", actions: ["dynamodb:GetItem"], on: TABLE },
    { command: "PutCommand", actions: ["dynamodb:PutItem"], on: TABLE },
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
    { command: "DeleteCommand", actions: ["dynamodb:DeleteItem"], on: TABLE },
    { command: "QueryCommand", actions: ["dynamodb:Query"], on: TABLE_AND_INDEXES },
  ],
  "dynamo-rate-limiter.ts": [
    { command: "UpdateCommand", actions: ["dynamodb:UpdateItem"], on: TABLE },
  ],
  "redshift-warehouse.ts": [
    { command: "ExecuteStatementCommand", actions: ["redshift-data:ExecuteStatement"], on: ["redshift"] },
    {
      command: "DescribeStatementCommand",
      actions: ["redshift-data:DescribeStatement"],
      on: ["*"],
      why: "The Data API authorises statement calls on no resource; it limits them to the caller's own statements (Redshift Data API's IAM reference: no resource types).",
    },
    {
      command: "CancelStatementCommand",
      actions: ["redshift-data:CancelStatement"],
      on: ["*"],
      why: "As DescribeStatement: no resource type, the caller's own statements only.",
    },
    {
      // currentTime: the warehouse's clock, for incremental schedules' windows.
      command: "GetStatementResultCommand",
      actions: ["redshift-data:GetStatementResult"],
      on: ["*"],
      why: "As DescribeStatement: no resource type, the caller's own statements only.",
    },
  ],
  "redshift-preview.ts": [
    { command: "ExecuteStatementCommand", actions: ["redshift-data:ExecuteStatement"], on: ["redshift"] },
    { command: "DescribeStatementCommand", actions: ["redshift-data:DescribeStatement"], on: ["*"], why: "No resource type; the caller's own statements only." },
    { command: "CancelStatementCommand", actions: ["redshift-data:CancelStatement"], on: ["*"], why: "No resource type; the caller's own statements only." },
    { command: "GetStatementResultCommand", actions: ["redshift-data:GetStatementResult"], on: ["*"], why: "No resource type; the caller's own statements only." },
  ],
  "ses-mailer.ts": [
    // SES checks the sender identity and the configuration set; in the sandbox also each recipient's identity (identity/*).
    { command: "SendEmailCommand", actions: ["ses:SendEmail"], on: ["email:identity", "email:configurationSet"] },
  ],
};
