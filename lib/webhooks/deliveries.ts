/**
 * Webhook deliveries: scheduled through the export outcome hook when an export
 * becomes ready or failed, then sent one attempt per queue message, never inline in a request
 * or in the export's own step.
 *
 * - Scheduling is idempotent: a delivery's id is derived from (export,
 *   endpoint, event) and created with a conditional insert, so a redelivered
 *   worker step schedules nothing twice.
 * - Each attempt is recorded with a compare-and-set on the attempt count; a
 *   duplicate message for an attempt already recorded is dropped. A crash
 *   between the POST and the record sends that attempt again: delivery is at
 *   least once, and receivers deduplicate on `Webhook-Id`.
 * - Retries back off exponentially (`retryBaseSeconds` doubling) until the
 *   delivery is `maxAgeSeconds` old (24 h). Delays beyond the queue's 15
 *   minutes are covered in hops (`notBefore`).
 * - Guards: public addresses only (`target.ts`), `timeoutMs` per attempt,
 *   redirects are not followed (a 3xx is a failure), and only a short
 *   excerpt of the response is read and kept.
 * - Their own lane (issue 12, finding 2): messages go on `deliveryQueue`,
 *   worked by slots export work never waits on. Within the lane, at most
 *   `maxPerEndpoint` attempts run at once per endpoint and `maxPerSupplier`
 *   per supplier (slots in the claim store, shared by every worker), and an
 *   endpoint whose last `breakerFailures` deliveries all failed gets no
 *   attempt for `breakerCooldownSeconds` (circuit open), then one probe at
 *   a time until an attempt succeeds (half-open). A message that
 *   finds its cap full or the circuit open is put back with a delay; that
 *   is not an attempt and does not count toward the delivery's attempts.
 */
import type { Logger } from "pino";
import type { ExportOutcomeHook } from "../exports/deps";
import type { ExportRecord } from "../exports/model";
import { acquireSlots } from "../deliveries/slots";
import type { Queue, RequestClaimStore, WebhookAttemptPatch, WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEvent, WebhookStore } from "../ports";
import { buildPayload, signPayload } from "./payload";
import type { WebhookSettings } from "./settings";
import { openSecret } from "./secrets";
import { checkDeliveryTarget } from "./target";
import { webhookDeliverMessage, type TWebhookDeliverMessage } from "./messages";

export interface DeliveryDeps {
  webhooks: { store: WebhookStore; settings: WebhookSettings };
  /** The delivery lane's queue: every webhook message goes here, never on the export queue. */
  deliveryQueue: Queue;
  /** Holds the lane's concurrency slots. */
  claims: RequestClaimStore;
  log: Logger;
  now: () => Date;
}

/** Longest single queue delay (SQS's limit). */
const MAX_QUEUE_DELAY_SECONDS = 900;
/** Longest gap between two attempts. */
const MAX_BACKOFF_SECONDS = 4 * 3600;
/** Characters of a response body kept in the log. */
const EXCERPT_CHARS = 200;
/** A message that found its cap full comes back after this many seconds, plus up to as many again (jitter). */
const CAP_FULL_DELAY_SECONDS = 2;

export function deliveryIdOf(exportId: string, endpointId: string, event: WebhookEvent): string {
  return `whd_${exportId.replace(/^exp_/, "")}_${endpointId.replace(/^whe_/, "")}_${event === "export.ready" ? "r" : "f"}`;
}

/** Seconds to wait after failed attempt number `attempt` (1-based). */
export function backoffSeconds(settings: WebhookSettings, attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, settings.retryBaseSeconds * 2 ** (attempt - 1));
}

/**
 * Webhooks as a subscriber to export outcomes (composed into
 * `ExportDeps.outcomeHooks` by lib/config.ts). `deps` is read at each call,
 * so it may be the very object the hook is added to.
 */
export function webhookOutcomeHook(deps: DeliveryDeps): ExportOutcomeHook {
  return {
    name: "webhooks",
    exportFinished: async (rec) => {
      await enqueueWebhookDeliveries(deps, rec);
    },
  };
}

/**
 * Schedules one delivery per endpoint of the export's supplier subscribed to
 * its outcome (`export.ready` / `export.failed`). Called through the outcome
 * hook each time the worker sees the export ready or failed; idempotent.
 */
export async function enqueueWebhookDeliveries(deps: DeliveryDeps, rec: ExportRecord, event?: WebhookEvent): Promise<void> {
  if (rec.supplierId === null) return;
  if (rec.status !== "ready" && rec.status !== "failed") return;
  // `export.delivered` is sent by the scheduler (lib/schedules) once a scheduled run's pushes all succeeded.
  if (event === undefined) event = rec.status === "ready" ? "export.ready" : "export.failed";
  const { store } = deps.webhooks;
  const endpoints = (await store.listEndpoints(rec.supplierId)).filter((e) => e.events.includes(event));
  let sent = 0;
  for (const endpoint of endpoints) {
    const id = deliveryIdOf(rec.id, endpoint.id, event);
    const createdAt = deps.now().toISOString();
    const delivery: WebhookDeliveryRecord = {
      id,
      endpointId: endpoint.id,
      supplierId: rec.supplierId,
      exportId: rec.id,
      event,
      payload: buildPayload(id, event, createdAt, rec),
      status: "pending",
      attempts: 0,
      lastAttemptAt: null,
      lastStatusCode: null,
      lastError: null,
      nextAttemptAt: createdAt,
      createdAt,
    };
    const created = await store.createDelivery(delivery);
    // Also re-send the first attempt of a delivery created by a step that died before sending it.
    const existing = created ? delivery : await store.getDelivery(id);
    if (existing && existing.status === "pending" && existing.attempts === 0) {
      await deps.deliveryQueue.send(webhookDeliverMessage(id, 1));
      sent++;
    }
  }
  if (sent > 0) deps.log.info({ exportId: rec.id, event, deliveries: sent }, "webhook deliveries scheduled");
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** One signed POST, with the endpoint's plain secret. Never throws: every failure is a result. */
export async function postWebhook(endpoint: WebhookEndpointRecord, delivery: WebhookDeliveryRecord, settings: WebhookSettings, now: Date): Promise<AttemptResult> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const refused = await checkDeliveryTarget(endpoint.url, settings);
  if (refused) return { ok: false, statusCode: null, error: `Not sent: ${refused}.`.slice(0, EXCERPT_CHARS) };
  try {
    const res = await fetch(endpoint.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(settings.timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "AcmeFlowers-Webhooks/1",
        "Webhook-Id": delivery.id,
        "Webhook-Timestamp": String(timestamp),
        "Webhook-Signature": signPayload(endpoint.secret, timestamp, delivery.payload),
      },
      body: delivery.payload,
    });
    const excerpt = await readExcerpt(res);
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: null };
    const why = res.status >= 300 && res.status < 400 ? "redirects are not followed" : excerpt;
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}${why ? `: ${why}` : ""}` };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    const error = name === "TimeoutError" || name === "AbortError" ? `no answer within ${settings.timeoutMs / 1000} s` : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { ok: false, statusCode: null, error: error.slice(0, EXCERPT_CHARS) };
  }
}

/** The start of the response body, and no more: the rest is never read. */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < EXCERPT_CHARS * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } catch {
    /* an excerpt is best effort */
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim().slice(0, EXCERPT_CHARS);
}

/** Handles one `webhook.deliver` message: one attempt, recorded, and the next one scheduled if it failed. */
export async function handleWebhookMessage(deps: DeliveryDeps, msg: TWebhookDeliverMessage): Promise<void> {
  const { store, settings } = deps.webhooks;
  const log = deps.log.child({ deliveryId: msg.deliveryId, attempt: msg.attempt });
  const now = deps.now();

  if (msg.notBefore && Date.parse(msg.notBefore) > now.getTime()) {
    // Not due yet: another hop.
    const wait = Math.ceil((Date.parse(msg.notBefore) - now.getTime()) / 1000);
    await deps.deliveryQueue.send(msg, { delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait) });
    return;
  }

  const delivery = await store.getDelivery(msg.deliveryId);
  if (!delivery || delivery.status !== "pending" || delivery.attempts !== msg.attempt - 1) {
    log.debug("stale or duplicate webhook message; dropping it");
    return;
  }
  const endpoint = await store.getEndpoint(delivery.endpointId);
  let result: AttemptResult;
  if (!endpoint) {
    result = { ok: false, statusCode: null, error: "The endpoint was removed." };
  } else {
    const circuit = await circuitState(store, endpoint.id, settings, now);
    if (circuit.state === "open") {
      const openUntil = circuit.until;
      if (now.getTime() - Date.parse(delivery.createdAt) > settings.maxAgeSeconds * 1000) {
        result = { ok: false, statusCode: null, error: "Not sent: the endpoint kept failing (circuit open) until the delivery was too old." };
      } else {
        const notBefore = new Date(openUntil).toISOString();
        const wait = Math.max(1, Math.ceil((openUntil - now.getTime()) / 1000));
        log.info({ endpointId: endpoint.id, notBefore }, "endpoint circuit open; attempt put off");
        await deps.deliveryQueue.send({ ...msg, notBefore }, { delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait) });
        return;
      }
    } else {
      const slots = await acquireSlots(
        deps.claims,
        [
          { name: `webhook-endpoint:${endpoint.id}`, limit: settings.maxPerEndpoint },
          { name: `webhook-supplier:${delivery.supplierId}`, limit: settings.maxPerSupplier },
          // Half-open: a single probe, whatever the endpoint's cap; the others wait for its verdict.
          ...(circuit.state === "half-open" ? [{ name: `webhook-probe:${endpoint.id}`, limit: 1 }] : []),
        ],
        `${delivery.id}:${msg.attempt}`,
        Math.ceil(settings.timeoutMs / 1000) + 60,
        now,
      );
      if (!slots) {
        log.debug({ endpointId: endpoint.id }, "endpoint or supplier at its concurrency cap; attempt put off");
        await deps.deliveryQueue.send(msg, { delaySeconds: CAP_FULL_DELAY_SECONDS + Math.floor(Math.random() * (CAP_FULL_DELAY_SECONDS + 1)) });
        return;
      }
      try {
        result = await postWebhook({ ...endpoint, secret: openSecret(settings.secretKey, endpoint.secret) }, delivery, settings, now);
      } finally {
        await slots.release();
      }
    }
  }

  const at = deps.now();
  let patch: WebhookAttemptPatch;
  if (result.ok) {
    patch = { status: "delivered", attempts: msg.attempt, lastAttemptAt: at.toISOString(), lastStatusCode: result.statusCode, lastError: null, nextAttemptAt: null };
  } else {
    const next = new Date(at.getTime() + backoffSeconds(settings, msg.attempt) * 1000);
    const giveUp = !endpoint || next.getTime() - Date.parse(delivery.createdAt) > settings.maxAgeSeconds * 1000;
    patch = {
      status: giveUp ? "failed" : "pending",
      attempts: msg.attempt,
      lastAttemptAt: at.toISOString(),
      lastStatusCode: result.statusCode,
      lastError: result.error,
      nextAttemptAt: giveUp ? null : next.toISOString(),
    };
  }
  if (!(await store.recordAttempt(delivery.id, msg.attempt - 1, patch))) {
    log.debug("attempt already recorded by another worker");
    return;
  }
  log.info({ status: patch.status, statusCode: result.statusCode, error: result.error, nextAttemptAt: patch.nextAttemptAt }, "webhook attempt");
  if (patch.status === "pending" && patch.nextAttemptAt) {
    const wait = Math.max(0, Math.ceil((Date.parse(patch.nextAttemptAt) - at.getTime()) / 1000));
    await deps.deliveryQueue.send(webhookDeliverMessage(delivery.id, msg.attempt + 1, wait > MAX_QUEUE_DELAY_SECONDS ? patch.nextAttemptAt : undefined), {
      delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait),
    });
  }
}

/** A delivery whose latest attempt failed. */
function lastAttemptFailed(d: WebhookDeliveryRecord): boolean {
  return d.attempts > 0 && d.status !== "delivered" && d.lastAttemptAt !== null;
}

/** Where an endpoint's circuit stands: closed, open until an instant (epoch ms), or half-open (one probe may go). */
export type CircuitState = { state: "closed" } | { state: "open"; until: number } | { state: "half-open" };

/**
 * The circuit breaker, read from the endpoint's own delivery log rather than
 * kept as separate state: open when the endpoint's last `breakerFailures`
 * deliveries all failed their latest attempt and the newest of those failures
 * is younger than the cooldown. Once the cooldown has passed it is half-open:
 * one probe attempt at a time goes through (the caller holds the endpoint's
 * single probe slot for it); its success closes the circuit, its failure opens
 * it for another cooldown.
 */
export async function circuitState(store: WebhookStore, endpointId: string, settings: WebhookSettings, now: Date): Promise<CircuitState> {
  const recent = (await store.listDeliveries(endpointId, settings.breakerFailures + 5)).filter((d) => d.attempts > 0);
  if (recent.length < settings.breakerFailures) return { state: "closed" };
  const window = recent.slice(0, settings.breakerFailures);
  if (!window.every(lastAttemptFailed)) return { state: "closed" };
  const newest = Math.max(...window.map((d) => Date.parse(d.lastAttemptAt!)));
  const until = newest + settings.breakerCooldownSeconds * 1000;
  return until > now.getTime() ? { state: "open", until } : { state: "half-open" };
}

/** When the endpoint's open circuit closes (epoch ms), or null when it is not open. */
export async function circuitOpenUntil(store: WebhookStore, endpointId: string, settings: WebhookSettings, now: Date): Promise<number | null> {
  const circuit = await circuitState(store, endpointId, settings, now);
  return circuit.state === "open" ? circuit.until : null;
}
