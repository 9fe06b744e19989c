/** Requesting an export in tests the way the API does; no backend of its own, so any test may import it. */
import { randomUUID } from "node:crypto";
import type { AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import type { ExportRecord } from "@/lib/exports/model";
import { submitExport } from "@/lib/exports/service";

/**
 * Requests an export through the API's own path (`submitExport`, with its
 * limits and a fresh Idempotency-Key, so each call is a new export rather
 * than a deduplicated repeat of one still active).
 */
export async function requestExportAs(deps: AppDeps, actor: Actor, input: unknown): Promise<ExportRecord> {
  const guards = { claims: deps.claims, limits: deps.config.api };
  return (await submitExport(deps, guards, actor, input, { idempotencyKey: randomUUID() })).export;
}
