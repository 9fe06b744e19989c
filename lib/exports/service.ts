/**
 * What route handlers call: request, read, list, cancel, retry and download
 * exports. Every function takes the caller (`Actor`) separately from its
 * input: the supplier scope comes from the session, never from the request.
 */
import { getDataset } from "../datasets/catalog";
import type { ExportDeps, Actor } from "./deps";
import { ApiError } from "./errors";
import { newId, ZExportIdPattern } from "./ids";
import { exportMessage } from "./messages";
import { ACTIVE_STATUSES, type ExportRecord, type ExportStep, type Page } from "./model";
import { ZCreateExportRequest, ZListExportsQuery } from "./schemas";
import { moveExport } from "./state-machine";
import { zodDetails } from "./validation";

export interface ExportView {
  export: ExportRecord;
  steps: ExportStep[];
}

function step(now: Date, name: ExportStep["step"], detail: ExportStep["detail"] = {}): ExportStep {
  return { at: now.toISOString(), step: name, detail };
}

/** Validates and records an export request, then enqueues it. Returns the queued export. */
export async function requestExport(deps: ExportDeps, actor: Actor, input: unknown): Promise<ExportRecord> {
  const parsed = ZCreateExportRequest.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The export request is not valid.", zodDetails(parsed.error));
  const req = parsed.data;

  const dataset = getDataset(req.dataset);
  if (!dataset) throw new ApiError("bad_request", `Unknown dataset "${req.dataset}".`, [{ path: "dataset", message: "Unknown dataset." }]);
  const params = dataset.paramsSchema.safeParse(req.params);
  if (!params.success) {
    throw new ApiError("validation_failed", "Some filters are not valid.", zodDetails(params.error, ["params"]));
  }
  if (req.format !== "csv" && req.bom) {
    throw new ApiError("validation_failed", "The byte-order mark applies to CSV only.", [{ path: "bom", message: "CSV only." }]);
  }

  let supplierId: string | null;
  if (actor.role === "admin") {
    supplierId = req.supplierId ?? null;
  } else {
    if (req.supplierId !== undefined && req.supplierId !== actor.supplierId) {
      // Never let the body widen the scope: a supplier exports its own data only.
      throw new ApiError("forbidden", "You can only export your own supplier's data.");
    }
    if (!actor.supplierId) throw new ApiError("forbidden", "Your account is not linked to a supplier.");
    supplierId = actor.supplierId;
  }

  const now = deps.now();
  const at = now.toISOString();
  const record: ExportRecord = {
    id: newId("exp", now.getTime()),
    supplierId,
    requestedBy: actor.userId,
    requesterEmail: actor.email,
    dataset: dataset.id,
    params: params.data as Record<string, unknown>,
    format: req.format,
    bom: req.bom,
    notify: req.notify,
    status: "queued",
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    statementId: null,
    rowCount: null,
    fileCount: null,
    archiveBytes: null,
    sha256: null,
    archiveKey: null,
    expiresAt: null,
    errorCode: null,
    errorMessage: null,
    notifiedAt: null,
  };
  await deps.jobs.createExport(record, [step(now, "requested", { by: actor.email }), step(now, "queued")]);
  try {
    await deps.queue.send(exportMessage(record.id, "requested"));
  } catch (err) {
    deps.log.error({ exportId: record.id, err }, "enqueue failed");
    await moveExport(deps.jobs, record.id, "queued", "failed", {
      updatedAt: deps.now().toISOString(),
      finishedAt: deps.now().toISOString(),
      errorCode: "enqueue_failed",
      errorMessage: "The export could not be queued. Please try again in a minute.",
    }, [step(deps.now(), "failed", { code: "enqueue_failed" })]);
    throw new ApiError("unavailable", "The export queue is unavailable. Please try again in a minute.");
  }
  return record;
}

/** True when `actor` may see `record`. Admins see everything; a supplier its own exports. */
function canSee(actor: Actor, record: ExportRecord): boolean {
  return actor.role === "admin" || (actor.supplierId !== null && record.supplierId === actor.supplierId);
}

/**
 * The export, or a 404 — also when it belongs to another supplier, so that
 * ids of other suppliers' exports cannot be probed.
 */
export async function getExportOrThrow(deps: ExportDeps, actor: Actor, id: string): Promise<ExportRecord> {
  const record = ZExportIdPattern.test(id) ? await deps.jobs.getExport(id) : null;
  if (!record || !canSee(actor, record)) throw new ApiError("not_found", "Export not found.");
  return record;
}

/** The export and its step history. */
export async function getExport(deps: ExportDeps, actor: Actor, id: string): Promise<ExportView> {
  const record = await getExportOrThrow(deps, actor, id);
  return { export: record, steps: await deps.jobs.listSteps(id) };
}

function parseListQuery(input: unknown) {
  const parsed = ZListExportsQuery.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The list filters are not valid.", zodDetails(parsed.error));
  const q = parsed.data;
  return {
    ...q,
    // A date without a time means the whole day: `to` is inclusive for people.
    from: q.from ? new Date(q.from).toISOString() : undefined,
    to: q.to ? (q.to.length === 10 ? new Date(Date.parse(q.to) + 86_400_000) : new Date(q.to)).toISOString() : undefined,
  };
}

/** One supplier's export history, newest first. `input` is the raw query (strings). */
export async function listExports(deps: ExportDeps, actor: Actor, input: unknown): Promise<Page<ExportRecord>> {
  const q = parseListQuery(input);
  if (q.supplierId !== undefined) throw new ApiError("validation_failed", "supplierId is an admin filter.");
  if (!actor.supplierId) throw new ApiError("forbidden", "Your account is not linked to a supplier.");
  return deps.jobs.listExports({ ...q, supplierId: actor.supplierId });
}

/** Every supplier's exports (admins only), newest first, optionally filtered by supplier. */
export async function listAllExports(deps: ExportDeps, actor: Actor, input: unknown): Promise<Page<ExportRecord>> {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Admins only.");
  return deps.jobs.listExports(parseListQuery(input));
}

/**
 * Cancels a queued or running export. A statement already running in the
 * warehouse is cancelled there too; the worker cleans up its files when it
 * next sees the export.
 */
export async function cancelExport(deps: ExportDeps, actor: Actor, id: string): Promise<ExportRecord> {
  const record = await getExportOrThrow(deps, actor, id);
  const now = deps.now();
  const moved = await moveExport(
    deps.jobs,
    id,
    ACTIVE_STATUSES,
    "cancelled",
    { updatedAt: now.toISOString(), finishedAt: now.toISOString() },
    [step(now, "cancelled", { by: actor.email })],
  );
  if (!moved) {
    const current = (await deps.jobs.getExport(id)) ?? record;
    throw new ApiError("conflict", `This export is already ${current.status} and cannot be cancelled.`);
  }
  if (moved.statementId) {
    try {
      await deps.warehouse.cancel(moved.statementId);
    } catch (err) {
      // The export is cancelled either way; the worker drops the statement's output when it sees that.
      deps.log.warn({ exportId: id, err }, "warehouse cancel failed");
    }
  }
  // Wake the worker so it cleans up now rather than at the next poll.
  await deps.queue.send(exportMessage(id, "retry")).catch(() => undefined);
  return moved;
}

/** Admins: puts a failed export back in the queue, as a new attempt of the same export. */
export async function retryExport(deps: ExportDeps, actor: Actor, id: string): Promise<ExportRecord> {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Only admins can retry exports.");
  await getExportOrThrow(deps, actor, id);
  const now = deps.now();
  const moved = await moveExport(
    deps.jobs,
    id,
    "failed",
    "queued",
    {
      updatedAt: now.toISOString(),
      finishedAt: null,
      statementId: null,
      errorCode: null,
      errorMessage: null,
      notifiedAt: null,
    },
    [step(now, "retried", { by: actor.email }), step(now, "queued")],
  );
  if (!moved) throw new ApiError("conflict", "Only failed exports can be retried.");
  await deps.queue.send(exportMessage(id, "retry"));
  return moved;
}

/** A fresh short-lived signed URL for a ready export's archive. */
export async function getDownloadUrl(deps: ExportDeps, actor: Actor, id: string): Promise<string> {
  const record = await getExportOrThrow(deps, actor, id);
  if (record.status === "expired") throw new ApiError("not_found", "This export has expired and its file was deleted. Run it again to get a fresh one.");
  if (record.status !== "ready" || !record.archiveKey) {
    throw new ApiError("conflict", `This export is ${record.status}; it can be downloaded once it is ready.`);
  }
  return deps.archiveStore.signedDownloadUrl(record.archiveKey, {
    filename: archiveFileName(record),
    expiresInSeconds: deps.settings.downloadUrlTtlSeconds,
  });
}

/** A readable file name: dataset, supplier, day and a short id, e.g. `product_inventory-sup_rose-2026-11-27-4f2k.zip`. */
export function archiveFileName(record: ExportRecord): string {
  return `${record.dataset}-${record.supplierId ?? "all"}-${record.createdAt.slice(0, 10)}-${record.id.slice(-6)}.zip`;
}
