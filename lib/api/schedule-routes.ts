/**
 * The schedule and destination routes of the route table (lib/api/routes.ts
 * spreads them in), with their response schemas. Request bodies are the zod
 * schemas the service validates with; responses are tied to the service's
 * types with `satisfies`, so the OpenAPI document cannot drift from them.
 */
import { z } from "zod";
import { ZCadence, ZDestinationInput, ZScheduleInput, ZScheduleUpdate, type DestinationDeliveryRecord, type ScheduleRecord } from "../schedules/model";
import type { ConnectionTest, DestinationView, ScheduleView } from "../schedules/service";
import type { RouteSpec } from "./routes";
import { ZErrorBody } from "./schemas";

const nullableString = z.string().nullable();
const RUN_STATUSES = ["queued", "running", "archiving", "ready", "delivered", "failed", "cancelled", "expired"] as const;

export const ZSchedule = z.object({
  id: z.string(),
  supplierId: z.string(),
  createdBy: z.string(),
  ownerEmail: z.string(),
  name: z.string(),
  request: z.record(z.string(), z.unknown()).describe("The export request each run makes (as POST /api/v1/exports takes it)."),
  cadence: ZCadence,
  timezone: z.string(),
  incremental: z.boolean(),
  destinationIds: z.array(z.string()),
  status: z.enum(["active", "paused"]),
  nextRunAt: nullableString.describe("When the next run is due (UTC); null while paused."),
  cursor: nullableString.describe("Incremental watermark on the warehouse's clock: the next run exports rows changed at or after it."),
  pendingRun: z
    .object({ slot: z.string(), windowFrom: nullableString, windowTo: nullableString, exportId: nullableString, claimedAt: z.string() })
    .nullable()
    .describe("The run in progress and its window [windowFrom, windowTo)."),
  lastRunAt: nullableString,
  lastExportId: nullableString,
  lastRunStatus: z.enum(RUN_STATUSES).nullable(),
  lastRunError: nullableString,
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<ScheduleRecord>;

const ZScheduleView = z.object({
  schedule: ZSchedule,
  lastRun: z.object({ exportId: z.string(), status: z.string(), rowCount: z.number().int().nullable(), createdAt: z.string() }).nullable(),
}) satisfies z.ZodType<ScheduleView>;

const ZDestinationConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("s3"), bucket: z.string(), prefix: z.string(), region: z.string(), roleArn: nullableString, externalId: z.string().describe("Put this in your role's trust policy (sts:ExternalId).") }),
  z.object({ kind: z.literal("sftp"), host: z.string(), port: z.number().int(), username: z.string(), directory: z.string(), hostKeyFingerprint: nullableString, auth: z.enum(["password", "privateKey"]) }),
]);

const ZDestination = z.object({ id: z.string(), name: z.string(), config: ZDestinationConfig, createdAt: z.string() }) satisfies z.ZodType<DestinationView>;

const ZDestinationDelivery = z.object({
  id: z.string(),
  destinationId: z.string(),
  supplierId: z.string(),
  exportId: z.string(),
  scheduleId: nullableString,
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  log: z.array(z.object({ at: z.string(), ok: z.boolean(), message: z.string() })),
  location: nullableString,
  nextAttemptAt: nullableString,
  failureNotifiedAt: nullableString,
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<DestinationDeliveryRecord>;

const ZConnectionTest = z.object({ ok: z.boolean(), message: z.string(), location: nullableString, hostKeyFingerprint: nullableString }) satisfies z.ZodType<ConnectionTest>;

// Schedules are exports on a timer: read with exports:read, change with exports:write (members and owners).
// Destinations hold credentials to a supplier's systems: owners only, like webhooks.
const readSchedules = { roles: ["supplier"], tokens: true, membership: "viewer", scope: "exports:read" } as const;
const writeSchedules = { roles: ["supplier"], tokens: true, membership: "member", scope: "exports:write" } as const;
const manageDestinations = { roles: ["supplier"], tokens: true, membership: "owner", scope: "webhooks:manage" } as const;
const id = { id: "The resource's id." };
const notFound = { description: "No such schedule or destination of yours.", schema: ZErrorBody };
const conflict = (description: string) => ({ description, schema: ZErrorBody });

/** The admin list's filter (validated by the route with this same schema). */
export const ZAdminSchedulesQuery = z
  .object({ supplierId: z.string().regex(/^[a-z0-9_]{1,40}$/, "Supplier ids are lower-case letters, digits and _.").optional().describe("Only this supplier's schedules.") })
  .strict();

export const SCHEDULE_ROUTES = {
  "GET /api/v1/admin/schedules": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: every supplier's schedules, with next and last run",
    query: ZAdminSchedulesQuery,
    responses: { 200: { description: "Most recently run first.", schema: z.object({ schedules: z.array(ZScheduleView) }) } },
  },
  "GET /api/v1/schedules": {
    tag: "Schedules",
    access: readSchedules,
    summary: "Your schedules, with next and last run",
    responses: { 200: { description: "Newest first.", schema: z.object({ schedules: z.array(ZScheduleView) }) } },
  },
  "POST /api/v1/schedules": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Schedule an export",
    description:
      "Repeats an export request daily, weekly, monthly (at a time in `timezone`, correct across DST) or on a cron expression. Each run is an ordinary " +
      "export (with `scheduleId`). `incremental: true` exports only rows changed since the last delivered run, on the warehouse's clock.",
    body: ZScheduleInput,
    responses: { 201: { description: "Created; `nextRunAt` says when it first runs.", schema: ZScheduleView } },
  },
  "GET /api/v1/schedules/{id}": {
    tag: "Schedules",
    access: readSchedules,
    summary: "A schedule",
    pathParams: id,
    responses: { 200: { description: "The schedule and its last run.", schema: ZScheduleView }, 404: notFound },
  },
  "PATCH /api/v1/schedules/{id}": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Edit a schedule",
    description: "Fields given replace the stored ones. A new time or zone recomputes the next run; a new dataset starts the cursor over.",
    pathParams: id,
    body: ZScheduleUpdate,
    responses: { 200: { description: "Updated.", schema: ZScheduleView }, 404: notFound, 409: conflict("Changed meanwhile (a run started); reload.") },
  },
  "DELETE /api/v1/schedules/{id}": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Delete a schedule",
    description: "Its past runs stay in your export history.",
    pathParams: id,
    responses: { 204: { description: "Deleted." }, 404: notFound },
  },
  "POST /api/v1/schedules/{id}/pause": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Pause a schedule",
    pathParams: id,
    responses: { 200: { description: "Paused (no next run).", schema: ZScheduleView }, 404: notFound },
  },
  "POST /api/v1/schedules/{id}/resume": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Resume a schedule",
    description: "The next run is the next slot from now; slots missed while paused are not run.",
    pathParams: id,
    responses: { 200: { description: "Active again.", schema: ZScheduleView }, 404: notFound },
  },
  "POST /api/v1/schedules/{id}/run": {
    tag: "Schedules",
    access: writeSchedules,
    summary: "Run a schedule now",
    description: "Makes the schedule due at once; the scheduler starts the run within its tick (a minute on AWS). Incremental runs continue from the cursor.",
    pathParams: id,
    responses: { 202: { description: "Due now.", schema: ZScheduleView }, 404: notFound, 409: conflict("Paused, or a run is still in progress.") },
  },
  "GET /api/v1/destinations": {
    tag: "Destinations",
    access: readSchedules,
    summary: "Your S3 and SFTP destinations",
    responses: { 200: { description: "Newest first; never a password or key.", schema: z.object({ destinations: z.array(ZDestination) }) } },
  },
  "POST /api/v1/destinations": {
    tag: "Destinations",
    access: manageDestinations,
    summary: "Add a destination",
    description: "SFTP passwords and private keys are sealed at rest and never shown again. S3 destinations get an `externalId` for your role's trust policy.",
    body: ZDestinationInput,
    responses: { 201: { description: "Added.", schema: z.object({ destination: ZDestination }) } },
  },
  "DELETE /api/v1/destinations/{id}": {
    tag: "Destinations",
    access: manageDestinations,
    summary: "Remove a destination",
    pathParams: id,
    responses: { 204: { description: "Removed." }, 404: notFound, 409: conflict("A schedule still delivers there.") },
  },
  "POST /api/v1/destinations/{id}/test": {
    tag: "Destinations",
    access: manageDestinations,
    summary: "Test a destination's connection",
    description: "Writes a small file and deletes it. An SFTP server's host key seen for the first time is pinned.",
    pathParams: id,
    responses: { 200: { description: "The outcome (ok or the reason).", schema: ZConnectionTest }, 404: notFound },
  },
  "GET /api/v1/destinations/{id}/deliveries": {
    tag: "Destinations",
    access: readSchedules,
    summary: "A destination's recent pushes and their attempt logs",
    pathParams: id,
    responses: { 200: { description: "Newest first.", schema: z.object({ deliveries: z.array(ZDestinationDelivery) }) }, 404: notFound },
  },
} satisfies Record<string, RouteSpec>;
