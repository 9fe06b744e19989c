/**
 * What the schedule and destination routes call. Every function takes the
 * caller (`Actor`) separately from its input; schedules and destinations are
 * a supplier's own (another supplier's id is a 404), and admins, who have no
 * supplier, cannot own them.
 */
import { randomBytes } from "node:crypto";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import { getDataset, parseDatasetParams } from "../datasets/catalog";
import type { ExportDeps } from "../exports/deps";
import type { ScheduleSupport } from "./deps";
import { PushError } from "../ports";
import { openSecret, sealSecret } from "../webhooks/secrets";
import {
  checkCadence,
  nextRunAfter,
  ZDestinationIdPattern,
  ZDestinationInput,
  ZScheduleIdPattern,
  ZScheduleInput,
  ZScheduleUpdate,
  type DestinationDeliveryRecord,
  type DestinationRecord,
  type ScheduleRecord,
} from "./model";

type Deps = ExportDeps & { schedules: ScheduleSupport };

/** The deps with schedule support, for routes (every deployment has it; a bare export-only deps is a 503, not a crash). */
export function withSchedules(deps: ExportDeps & { schedules?: ScheduleSupport }): Deps {
  if (!deps.schedules) throw new ApiError("unavailable", "Schedules are not available in this deployment.");
  return deps as Deps;
}

function supplierOf(actor: Actor): string {
  if (actor.role !== "supplier" || !actor.supplierId) throw new ApiError("forbidden", "Schedules and destinations belong to a supplier account.");
  return actor.supplierId;
}

/* ---------------------------------------------------------------- schedules */

/** A schedule as the API shows it: the record, and its last run's export as it stands now. */
export interface ScheduleView {
  schedule: ScheduleRecord;
  lastRun: { exportId: string; status: string; rowCount: number | null; createdAt: string } | null;
}

async function view(deps: Deps, s: ScheduleRecord): Promise<ScheduleView> {
  const exp = s.lastExportId ? await deps.jobs.getExport(s.lastExportId) : null;
  return { schedule: s, lastRun: exp ? { exportId: exp.id, status: exp.status, rowCount: exp.rowCount, createdAt: exp.createdAt } : null };
}

/** Checks what a schedule may hold for this supplier; returns the parsed fields. */
async function validateSchedule(deps: Deps, supplierId: string, raw: unknown, schema: typeof ZScheduleInput | typeof ZScheduleUpdate, base?: ScheduleRecord) {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiError("validation_failed", "The schedule is not valid.", zodDetails(parsed.error));
  const input = parsed.data;
  const request = (input.request ?? base?.request) as Record<string, unknown>;
  const cadence = input.cadence ?? base!.cadence;
  const timezone = input.timezone ?? base!.timezone;
  const incremental = input.incremental ?? base!.incremental;
  const destinationIds = input.destinationIds ?? base!.destinationIds;

  if (request.supplierId !== undefined && request.supplierId !== supplierId) throw new ApiError("forbidden", "A schedule exports your own supplier's data only.");
  const params = parseDatasetParams(String(request.dataset), request.params ?? {});
  if (!params.ok) throw new ApiError("validation_failed", "Some filters are not valid.", zodDetails(params.error, ["request", "params"]));
  if (request.format !== "csv" && request.bom) throw new ApiError("validation_failed", "The byte-order mark applies to CSV only.", [{ path: "request.bom", message: "CSV only." }]);
  const dataset = getDataset(String(request.dataset))!;
  if (incremental && !dataset.changeCursor) {
    throw new ApiError("validation_failed", `${dataset.title} has no change cursor, so it cannot be exported incrementally.`, [{ path: "incremental", message: "Not available for this dataset." }]);
  }
  const why = checkCadence(cadence, timezone);
  if (why) throw new ApiError("validation_failed", `The schedule's timing is not valid: ${why}`, [{ path: "cadence", message: why }]);
  for (const id of destinationIds) {
    const d = await deps.schedules.store.getDestination(id);
    if (!d || d.supplierId !== supplierId) throw new ApiError("validation_failed", `Unknown destination ${id}.`, [{ path: "destinationIds", message: "No such destination." }]);
  }
  const { supplierId: _drop, ...ownRequest } = request;
  void _drop;
  const stored: Record<string, unknown> = { ...ownRequest, params: params.params };
  return { name: input.name ?? base!.name, request: stored, cadence, timezone, incremental, destinationIds: [...new Set(destinationIds)] };
}

export async function createSchedule(deps: Deps, actor: Actor, input: unknown): Promise<ScheduleView> {
  const supplierId = supplierOf(actor);
  const fields = await validateSchedule(deps, supplierId, input, ZScheduleInput);
  const now = deps.now();
  const record: ScheduleRecord = {
    id: newId("sch", now.getTime()),
    supplierId,
    createdBy: actor.userId,
    ownerEmail: actor.email,
    ...fields,
    status: "active",
    nextRunAt: nextRunAfter(fields.cadence, fields.timezone, now),
    cursor: null,
    pendingRun: null,
    lastRunAt: null,
    lastExportId: null,
    lastRunStatus: null,
    lastRunError: null,
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await deps.schedules.store.createSchedule(record);
  return view(deps, record);
}

/** The supplier's schedule, or a 404 (also for another supplier's). */
export async function getScheduleOrThrow(deps: Deps, actor: Actor, id: string): Promise<ScheduleRecord> {
  const supplierId = supplierOf(actor);
  const s = ZScheduleIdPattern.test(id) ? await deps.schedules.store.getSchedule(id) : null;
  if (!s || s.supplierId !== supplierId) throw new ApiError("not_found", "Schedule not found.");
  return s;
}

export async function getSchedule(deps: Deps, actor: Actor, id: string): Promise<ScheduleView> {
  return view(deps, await getScheduleOrThrow(deps, actor, id));
}

export async function listSchedules(deps: Deps, actor: Actor): Promise<ScheduleView[]> {
  const all = await deps.schedules.store.listSchedules(supplierOf(actor));
  return Promise.all(all.map((s) => view(deps, s)));
}

/**
 * Admins: the schedules of these suppliers (every supplier the admin pages
 * know), each with its last run, most recently run first, never run last.
 */
export async function listSchedulesOfSuppliers(deps: Deps, actor: Actor, supplierIds: readonly string[]): Promise<ScheduleView[]> {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Only admins can see every supplier's schedules.");
  const lists = await Promise.all(supplierIds.map((id) => deps.schedules.store.listSchedules(id)));
  const views = await Promise.all(lists.flat().map((s) => view(deps, s)));
  return views.sort((a, b) => (b.schedule.lastRunAt ?? "").localeCompare(a.schedule.lastRunAt ?? "") || a.schedule.id.localeCompare(b.schedule.id));
}

/**
 * Edits a schedule. A new time or zone recomputes the next run; a new
 * dataset starts the cursor over (the old watermark meant other rows).
 */
export async function updateSchedule(deps: Deps, actor: Actor, id: string, input: unknown): Promise<ScheduleView> {
  const current = await getScheduleOrThrow(deps, actor, id);
  const fields = await validateSchedule(deps, current.supplierId, input, ZScheduleUpdate, current);
  const now = deps.now();
  const retimed = JSON.stringify([fields.cadence, fields.timezone]) !== JSON.stringify([current.cadence, current.timezone]);
  const sameData = fields.request.dataset === current.request.dataset && fields.incremental === current.incremental;
  const updated = await deps.schedules.store.updateSchedule(id, { version: current.version }, {
    ...fields,
    nextRunAt: current.status === "active" && retimed ? nextRunAfter(fields.cadence, fields.timezone, now) : current.nextRunAt,
    cursor: sameData ? current.cursor : null,
    updatedAt: now.toISOString(),
  });
  if (!updated) throw new ApiError("conflict", "The schedule changed while you edited it (a run may have started). Reload and try again.");
  return view(deps, updated);
}

export async function pauseSchedule(deps: Deps, actor: Actor, id: string): Promise<ScheduleView> {
  const s = await getScheduleOrThrow(deps, actor, id);
  if (s.status === "paused") return view(deps, s);
  const updated = await deps.schedules.store.updateSchedule(id, { version: s.version }, { status: "paused", nextRunAt: null, updatedAt: deps.now().toISOString() });
  if (!updated) throw new ApiError("conflict", "The schedule changed meanwhile. Try again.");
  return view(deps, updated);
}

/** Resumes from now: slots missed while paused are not run. */
export async function resumeSchedule(deps: Deps, actor: Actor, id: string): Promise<ScheduleView> {
  const s = await getScheduleOrThrow(deps, actor, id);
  if (s.status === "active") return view(deps, s);
  const now = deps.now();
  const updated = await deps.schedules.store.updateSchedule(id, { version: s.version }, { status: "active", nextRunAt: nextRunAfter(s.cadence, s.timezone, now), updatedAt: now.toISOString() });
  if (!updated) throw new ApiError("conflict", "The schedule changed meanwhile. Try again.");
  return view(deps, updated);
}

/** "Run now": makes the schedule due at once; the next scheduler tick starts the run (as it would any due one). */
export async function runScheduleNow(deps: Deps, actor: Actor, id: string): Promise<ScheduleView> {
  const s = await getScheduleOrThrow(deps, actor, id);
  if (s.status !== "active") throw new ApiError("conflict", "Resume the schedule to run it.");
  if (s.pendingRun) {
    const exp = s.pendingRun.exportId ? await deps.jobs.getExport(s.pendingRun.exportId) : null;
    if (!exp || ["queued", "running", "archiving"].includes(exp.status)) throw new ApiError("conflict", "A run of this schedule is still in progress.");
  }
  const now = deps.now().toISOString();
  if (s.nextRunAt !== null && s.nextRunAt <= now) return view(deps, s); // already due
  const updated = await deps.schedules.store.updateSchedule(id, { nextRunAt: s.nextRunAt }, { nextRunAt: now, updatedAt: now });
  if (!updated) throw new ApiError("conflict", "The schedule changed meanwhile. Try again.");
  return view(deps, updated);
}

export async function deleteSchedule(deps: Deps, actor: Actor, id: string): Promise<void> {
  const s = await getScheduleOrThrow(deps, actor, id);
  await deps.schedules.store.deleteSchedule(s.id, s.supplierId);
}

/* ------------------------------------------------------------- destinations */

/** A destination as the API shows it: never its password or key. */
export interface DestinationView {
  id: string;
  name: string;
  config: DestinationRecord["config"];
  createdAt: string;
}

function destinationView(d: DestinationRecord): DestinationView {
  return { id: d.id, name: d.name, config: d.config, createdAt: d.createdAt };
}

/**
 * Stores a destination. SFTP passwords and keys are sealed at once
 * (AES-256-GCM, like webhook secrets) and never shown again; S3
 * destinations get an external id for the supplier's role trust policy.
 */
export async function createDestination(deps: Deps, actor: Actor, input: unknown): Promise<DestinationView> {
  const supplierId = supplierOf(actor);
  const parsed = ZDestinationInput.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The destination is not valid.", zodDetails(parsed.error));
  const d = parsed.data;
  const now = deps.now();
  const id = newId("dst", now.getTime());
  const key = deps.schedules.settings.secretKey;
  const record: DestinationRecord =
    d.kind === "s3"
      ? {
          id,
          supplierId,
          name: d.name,
          config: { kind: "s3", bucket: d.bucket, prefix: d.prefix, region: d.region, roleArn: d.roleArn ?? null, externalId: `pep-${supplierId}-${randomBytes(12).toString("hex")}` },
          sealedCredentials: null,
          createdBy: actor.userId,
          createdAt: now.toISOString(),
        }
      : {
          id,
          supplierId,
          name: d.name,
          config: { kind: "sftp", host: d.host, port: d.port, username: d.username, directory: d.directory, hostKeyFingerprint: d.hostKeyFingerprint ?? null, auth: d.password ? "password" : "privateKey" },
          sealedCredentials: sealSecret(key, (d.password ?? d.privateKey)!),
          createdBy: actor.userId,
          createdAt: now.toISOString(),
        };
  await deps.schedules.store.createDestination(record);
  return destinationView(record);
}

async function getDestinationOrThrow(deps: Deps, actor: Actor, id: string): Promise<DestinationRecord> {
  const supplierId = supplierOf(actor);
  const d = ZDestinationIdPattern.test(id) ? await deps.schedules.store.getDestination(id) : null;
  if (!d || d.supplierId !== supplierId) throw new ApiError("not_found", "Destination not found.");
  return d;
}

export async function listDestinations(deps: Deps, actor: Actor): Promise<DestinationView[]> {
  return (await deps.schedules.store.listDestinations(supplierOf(actor))).map(destinationView);
}

/** Deletes a destination no schedule uses. */
export async function deleteDestination(deps: Deps, actor: Actor, id: string): Promise<void> {
  const d = await getDestinationOrThrow(deps, actor, id);
  const users = (await deps.schedules.store.listSchedules(d.supplierId)).filter((s) => s.destinationIds.includes(d.id));
  if (users.length) throw new ApiError("conflict", `Schedules still deliver here (${users.map((s) => s.name).join(", ")}); remove it from them first.`);
  await deps.schedules.store.deleteDestination(d.id, d.supplierId);
}

export interface ConnectionTest {
  ok: boolean;
  message: string;
  location: string | null;
  /** SFTP: the server's host key, pinned now if none was. */
  hostKeyFingerprint: string | null;
}

/** "Test connection": writes a small file and deletes it; an SFTP host key seen for the first time is pinned. */
export async function testDestination(deps: Deps, actor: Actor, id: string): Promise<ConnectionTest> {
  const d = await getDestinationOrThrow(deps, actor, id);
  try {
    const secret = d.sealedCredentials ? openSecret(deps.schedules.settings.secretKey, d.sealedCredentials) : null;
    const result = await deps.schedules.pushers[d.config.kind].test(d, secret);
    let fingerprint = d.config.kind === "sftp" ? d.config.hostKeyFingerprint : null;
    if (d.config.kind === "sftp" && !fingerprint && result.hostKeyFingerprint) {
      fingerprint = result.hostKeyFingerprint;
      await deps.schedules.store.updateDestinationConfig(d.id, d.supplierId, { ...d.config, hostKeyFingerprint: fingerprint });
    }
    return { ok: true, message: `Wrote and deleted ${result.location}.`, location: result.location, hostKeyFingerprint: fingerprint };
  } catch (err) {
    if (!(err instanceof PushError)) throw err;
    return { ok: false, message: err.message, location: null, hostKeyFingerprint: d.config.kind === "sftp" ? d.config.hostKeyFingerprint : null };
  }
}

export async function listDestinationDeliveries(deps: Deps, actor: Actor, id: string): Promise<DestinationDeliveryRecord[]> {
  const d = await getDestinationOrThrow(deps, actor, id);
  return deps.schedules.store.listDeliveries(d.id, 50);
}
