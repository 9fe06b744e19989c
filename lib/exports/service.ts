/**
 * What route handlers call: request, read, list, cancel, retry and download
 * exports. Every function takes the caller (`Actor`) separately from its
 * input: the supplier scope comes from the session, never from the request.
 */
import { createHash } from "node:crypto";
import { getDataset } from "../datasets/catalog";
import { selectColumns, UnknownColumnsError } from "../datasets/types";
import type { RequestClaim, RequestClaimStore } from "../ports";
import type { ExportDeps } from "./deps";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId, ZExportIdPattern } from "../core/ids";
import { exportMessage, exportSendOptions } from "./messages";
import { ACTIVE_STATUSES, newExportRecord, type ExportRecord, type ExportStep, type ExportView, type Page } from "./model";
import { createdAtRange, ZCreateExportRequest, ZListExportsQuery } from "./schemas";
import { moveExport } from "./state-machine";
import { isNoRows, NO_ROWS_MESSAGE, redactForSupplier, summarizeExport } from "./outcome";
import { zodDetails } from "../core/validation";

function step(now: Date, name: ExportStep["step"], detail: ExportStep["detail"] = {}): ExportStep {
  return { at: now.toISOString(), step: name, detail };
}

/** A validated request, its scope and the new (not yet stored) record. Also what the preview runs. */
export interface PreparedRequest {
  record: ExportRecord;
  /** SHA-256 of the canonical request (what an Idempotency-Key must match). */
  requestHash: string;
  /** SHA-256 of what makes two requests the same export: supplier, dataset, params, format, bom. */
  fingerprint: string;
}

export function prepareRequest(deps: ExportDeps, actor: Actor, input: unknown, scheduleId: string | null = null): PreparedRequest {
  const parsed = ZCreateExportRequest.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The export request is not valid.", zodDetails(parsed.error));
  const req = parsed.data;

  const dataset = getDataset(req.dataset);
  if (!dataset) throw new ApiError("bad_request", `Unknown dataset "${req.dataset}".`, [{ path: "dataset", message: "Unknown dataset." }]);
  // The dataset's strict schema sees the params as sent: the record schema above drops an own
  // `__proto__` key silently, and the export would then run unfiltered (issue 12, finding 10).
  const params = dataset.paramsSchema.safeParse(rawParams(input) ?? req.params);
  if (!params.success) {
    throw new ApiError("validation_failed", "Some filters are not valid.", zodDetails(params.error, ["params"]));
  }
  if (req.format !== "csv" && req.bom) {
    throw new ApiError("validation_failed", "The byte-order mark applies to CSV only.", [{ path: "bom", message: "CSV only." }]);
  }
  if (req.format !== "csv" && req.delimiter !== undefined && req.delimiter !== ",") {
    throw new ApiError("validation_failed", "A delimiter applies to CSV only.", [{ path: "delimiter", message: "CSV only." }]);
  }
  let columns: string[] | null = null;
  if (req.columns !== undefined) {
    try {
      columns = selectColumns(dataset.columns, req.columns).map((c) => c.name);
    } catch (err) {
      if (!(err instanceof UnknownColumnsError)) throw err;
      const known = dataset.columns.map((c) => c.name).join(", ");
      throw new ApiError("bad_request", `Unknown or repeated columns for ${dataset.id}: ${err.message}. Its columns are: ${known}.`, [
        ...err.unknown.map((n) => ({ path: "columns", message: `No column named ${JSON.stringify(n)}.` })),
        ...err.repeated.map((n) => ({ path: "columns", message: `${JSON.stringify(n)} is listed twice.` })),
      ]);
    }
    // All columns in catalog order is the default export: store it as such, so it deduplicates with one that names none.
    if (columns.length === dataset.columns.length && columns.every((n, i) => n === dataset.columns[i].name)) columns = null;
  }
  const bom = req.format === "csv" ? (req.bom ?? true) : false;
  const delimiter = req.format === "csv" ? (req.delimiter ?? ",") : ",";

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
  const record = newExportRecord({
    id: newId("exp", now.getTime()),
    supplierId,
    requestedBy: actor.userId,
    requesterEmail: actor.email,
    dataset: dataset.id,
    params: params.data as Record<string, unknown>,
    format: req.format,
    bom,
    columns,
    delimiter,
    notify: req.notify,
    createdAt: at,
  }, { scheduleId });
  const same = {
    supplierId,
    dataset: record.dataset,
    params: record.params,
    format: record.format,
    bom: record.bom,
    // Left out at their defaults, so fingerprints of requests stored before these fields existed still match.
    columns: record.columns ?? undefined,
    delimiter: record.delimiter === "," ? undefined : record.delimiter,
  };
  return { record, requestHash: sha256(canonicalJson({ ...same, notify: record.notify })), fingerprint: sha256(canonicalJson(same)) };
}

/** The request's `params` exactly as sent, when it is a plain object. */
function rawParams(input: unknown): Record<string, unknown> | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const params = Object.getOwnPropertyDescriptor(input, "params")?.value as unknown;
  return typeof params === "object" && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : undefined;
}

async function createAndEnqueue(deps: ExportDeps, actor: Actor, record: ExportRecord): Promise<ExportRecord> {
  const now = new Date(record.createdAt);
  await deps.jobs.createExport(record, [step(now, "requested", { by: actor.email }), step(now, "queued")]);
  try {
    await deps.queue.send(exportMessage(record.id, "requested"), exportSendOptions(record));
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

/* ------------------------------------------- the partner API's request path */

/** What `submitExport` needs beyond the export deps: the claim store and the limits. */
export interface RequestGuards {
  claims: RequestClaimStore;
  limits: {
    /** Exports one supplier may have queued or running at once. */
    maxActiveExportsPerSupplier: number;
    /** How long an Idempotency-Key is remembered. */
    idempotencyTtlSeconds: number;
  };
}

export interface SubmitResult {
  export: ExportRecord;
  /** `created`: a new export (202). `replayed`: the export an earlier request with this Idempotency-Key made. `deduplicated`: an identical export already queued or running. */
  outcome: "created" | "replayed" | "deduplicated";
}

/** Printable ASCII, 1 to 255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
/** An active-request fingerprint is held at most this long, whatever happens to its export. */
const FINGERPRINT_TTL_SECONDS = 24 * 3600;
/** A claim whose export never appeared after this long belongs to a request that died half way. */
const ORPHAN_CLAIM_MS = 30_000;
/** Retry-After of the concurrency limit: exports take a while; asking every second would not help. */
const ACTIVE_LIMIT_RETRY_AFTER_SECONDS = 30;

/**
 * The one way to request an export (the API's path, used by the portal's
 * pages and the tests alike): validates the request, applies idempotency,
 * deduplication and the per-supplier concurrency limit, then records the
 * export and enqueues it.
 *
 * - With an `Idempotency-Key`: the key is claimed (per supplier, for
 *   `idempotencyTtlSeconds`) with the request's hash. The same key and body
 *   replay the first export; a different body under it is a 409.
 * - Without one: the request's fingerprint is claimed for as long as its
 *   export is active. A conditional insert, not a read-then-write: of 20
 *   identical requests at once exactly one claims it and creates the export;
 *   the others get that export back, marked deduplicated. A claim whose export
 *   has finished is taken over (compare-and-set on its export id), so it needs
 *   no release when the export finishes.
 * - Claims are taken before the export is written and released if the request
 *   then fails (a limit, an unavailable queue), so a retry is not blocked.
 * - The concurrency limit counts the supplier's active exports in the job
 *   store. Two requests racing for the last slot can both pass: it is a soft
 *   limit by at most the number of concurrent requests.
 */
export async function submitExport(
  deps: ExportDeps,
  guards: RequestGuards,
  actor: Actor,
  input: unknown,
  opts: { idempotencyKey?: string | null; /** Set by the scheduler: the export is a run of this schedule. */ scheduleId?: string } = {},
): Promise<SubmitResult> {
  const prepared = prepareRequest(deps, actor, input, opts.scheduleId ?? null);
  const { record } = prepared;
  const scope = record.supplierId ?? `admin:${actor.userId}`;
  const now = deps.now();
  const claimOf = (key: string, hash: string, ttlSeconds: number): RequestClaim => ({
    key,
    exportId: record.id,
    requestHash: hash,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
  });

  let claim: RequestClaim;
  if (opts.idempotencyKey != null) {
    if (!IDEMPOTENCY_KEY_PATTERN.test(opts.idempotencyKey)) {
      throw new ApiError("validation_failed", "Idempotency-Key must be 1 to 255 printable ASCII characters.", [
        { path: "Idempotency-Key", message: "1 to 255 printable ASCII characters." },
      ]);
    }
    claim = claimOf(`idem:${scope}:${opts.idempotencyKey}`, prepared.requestHash, guards.limits.idempotencyTtlSeconds);
    const held = await takeClaim(deps, guards, claim, (current, existing) => {
      if (current.requestHash !== claim.requestHash) {
        throw new ApiError("conflict", "This Idempotency-Key was already used with a different request. Use a new key for a new request.");
      }
      return existing ? "return" : "wait";
    });
    if (held) return { export: held, outcome: "replayed" };
  } else {
    claim = claimOf(`active:${scope}:${prepared.fingerprint}`, prepared.fingerprint, FINGERPRINT_TTL_SECONDS);
    const held = await takeClaim(deps, guards, claim, (_current, existing) => {
      if (!existing) return "wait";
      return ACTIVE_STATUSES.includes(existing.status) ? "return" : "take-over";
    });
    if (held) return { export: held, outcome: "deduplicated" };
  }

  try {
    if (record.supplierId !== null) {
      const active = await deps.jobs.countActive(record.supplierId);
      if (active >= guards.limits.maxActiveExportsPerSupplier) {
        throw new ApiError(
          "rate_limited",
          `You already have ${active} exports queued or running; the limit is ${guards.limits.maxActiveExportsPerSupplier} at once. ` +
            "Wait for one to finish (or cancel one), then try again.",
          undefined,
          { "Retry-After": String(ACTIVE_LIMIT_RETRY_AFTER_SECONDS) },
        );
      }
    }
    return { export: await createAndEnqueue(deps, actor, record), outcome: "created" };
  } catch (err) {
    await guards.claims.release(claim.key, claim.exportId).catch((e: unknown) => deps.log.warn({ err: e, key: claim.key }, "could not release request claim"));
    throw err;
  }
}

/**
 * Claims `claim.key`; returns null when it is ours (go on and create the
 * export), or the export to answer with. `decide` looks at the claim that
 * holds the key and its export (null while the holder has not written it yet):
 * "return" it, "wait" for it to appear, or "take-over" a finished one.
 */
async function takeClaim(
  deps: ExportDeps,
  guards: RequestGuards,
  claim: RequestClaim,
  decide: (current: RequestClaim, existing: ExportRecord | null) => "return" | "wait" | "take-over",
): Promise<ExportRecord | null> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const current = await guards.claims.claim(claim, deps.now().toISOString());
    if (!current) return null;
    const existing = await deps.jobs.getExport(current.exportId);
    let verdict = decide(current, existing);
    if (verdict === "wait" && deps.now().getTime() - Date.parse(current.createdAt) > ORPHAN_CLAIM_MS) verdict = "take-over";
    if (verdict === "return" && existing) return existing;
    if (verdict === "take-over") {
      if (await guards.claims.replace(claim, current.exportId)) return null;
      continue; // someone else took it over first: look again
    }
    if (Date.now() > deadline) {
      throw new ApiError("conflict", "An identical request is still being processed. Try again in a few seconds.", undefined, { "Retry-After": "2" });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
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
  const [steps, lease] = await Promise.all([deps.jobs.listSteps(id), record.status === "archiving" ? deps.jobs.getArchiveLease(id) : null]);
  // While archiving: how far the archive step got, as it last reported (every 2 s or so).
  const archiveProgress = lease ? { bytesDone: lease.bytesDone, bytesTotal: lease.bytesTotal } : null;
  const summary = summarizeExport(record, steps, deps.now(), deps.settings.maxReceives, archiveProgress);
  // Suppliers never see raw failure text (paths, commands, driver messages): that is for logs and admins.
  return actor.role === "admin" ? { export: record, steps, summary, archiveProgress } : { ...redactForSupplier(record, steps), summary, archiveProgress };
}

function parseListQuery(input: unknown) {
  const parsed = ZListExportsQuery.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The list filters are not valid.", zodDetails(parsed.error));
  const { q: search, ...q } = parsed.data;
  const range = createdAtRange(q);
  // A bookmarked URL with the dates swapped, or a dataset that no longer exists, would silently list nothing: say so instead.
  if (range.from && range.to && range.from >= range.to) {
    throw new ApiError("validation_failed", "The list filters are not valid.", [{ path: "to", message: `The end date (${q.to}) is before the start date (${q.from}).` }]);
  }
  if (q.dataset !== undefined && !getDataset(q.dataset)) {
    throw new ApiError("validation_failed", "The list filters are not valid.", [{ path: "dataset", message: `There is no dataset "${q.dataset}".` }]);
  }
  return { ...q, ...range, ...searchFilter(search) };
}

/** The admin search box: an export id, an email address, or a supplier id. */
function searchFilter(search: string | undefined): { id?: string; requesterEmail?: string; supplierId?: string } {
  if (search === undefined) return {};
  if (ZExportIdPattern.test(search)) return { id: search };
  if (search.includes("@")) return { requesterEmail: search.toLowerCase() };
  if (/^[a-z0-9_]{1,40}$/.test(search)) return { supplierId: search };
  throw new ApiError("validation_failed", "Search for an export id (exp_…), an email address or a supplier id.", [{ path: "q", message: "Not an export id, email or supplier id." }]);
}

/** One supplier's export history, newest first. `input` is the raw query (strings). */
export async function listExports(deps: ExportDeps, actor: Actor, input: unknown): Promise<Page<ExportRecord>> {
  const q = parseListQuery(input);
  if (q.supplierId !== undefined) throw new ApiError("validation_failed", "supplierId is an admin filter.");
  if (!actor.supplierId) throw new ApiError("forbidden", "Your account is not linked to a supplier.");
  if (q.id !== undefined || q.requesterEmail !== undefined) throw new ApiError("validation_failed", "Search is an admin filter.");
  const page = await deps.jobs.listExports({ ...q, supplierId: actor.supplierId });
  return { ...page, items: page.items.map((r) => redactForSupplier(r, []).export) };
}

/** Every supplier's exports (admins only), newest first, optionally filtered by supplier. */
export async function listAllExports(deps: ExportDeps, actor: Actor, input: unknown): Promise<Page<ExportRecord>> {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Admins only.");
  const { id, ...q } = parseListQuery(input);
  if (id !== undefined) {
    // An export id names one export: the list is it (when it also meets the other filters) or nothing.
    const rec = await deps.jobs.getExport(id);
    const matches = rec !== null && (q.supplierId === undefined || rec.supplierId === q.supplierId) && (q.status === undefined || rec.status === q.status);
    return { items: matches ? [rec] : [], nextCursor: null };
  }
  return deps.jobs.listExports(q);
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
  await deps.queue.send(exportMessage(id, "retry"), exportSendOptions(moved)).catch(() => undefined);
  for (const hook of deps.outcomeHooks) {
    // A scheduled run settles now rather than at the next tick (which still settles it if this fails).
    await hook.exportCancelled?.(moved)?.catch((err: unknown) => deps.log.warn({ exportId: id, hook: hook.name, err }, "outcome hook failed on cancel"));
  }
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
  await deps.queue.send(exportMessage(id, "retry"), exportSendOptions(moved));
  return moved;
}

/** A fresh short-lived signed URL for a ready export's archive. */
export async function getDownloadUrl(deps: ExportDeps, actor: Actor, id: string): Promise<string> {
  const record = await getExportOrThrow(deps, actor, id);
  if (isNoRows(record)) throw new ApiError("conflict", `${NO_ROWS_MESSAGE} This export finished without a file to download.`);
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
