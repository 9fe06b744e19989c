/**
 * Webhook endpoints as suppliers manage them: register (the signing secret is
 * returned once), list, remove, and read an endpoint's delivery log.
 */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import type { z } from "zod";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookStore } from "../ports";
import { ZCreateWebhookRequest, type ZWebhookDelivery, type ZWebhookEndpoint } from "./schemas";
import type { WebhookSettings } from "./settings";
import { sealSecret } from "./secrets";
import { refuseAddress } from "./target";

export interface EndpointDeps {
  webhooks: { store: WebhookStore; settings: WebhookSettings };
  now: () => Date;
}

type TWebhookEndpoint = z.infer<typeof ZWebhookEndpoint>;
type TWebhookDelivery = z.infer<typeof ZWebhookDelivery>;

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Endpoints one supplier may register. */
const MAX_ENDPOINTS = 10;

function supplierOf(actor: Actor): string {
  if (!actor.supplierId) throw new ApiError("forbidden", "Webhooks belong to a supplier; admin accounts have none.");
  return actor.supplierId;
}

/**
 * The endpoint URL, checked: https, or http on localhost where the settings
 * allow it (local mode). No credentials in the URL (they would be logged and
 * shown back).
 */
export function checkEndpointUrl(raw: string, settings: WebhookSettings): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError("validation_failed", "The webhook URL is not a valid URL.", [{ path: "url", message: "Not a URL." }]);
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  const ok = url.protocol === "https:" || (url.protocol === "http:" && local && settings.allowHttpLocalhost);
  if (!ok) {
    const message = settings.allowHttpLocalhost ? "Use an https:// URL (or http://localhost)." : "Use an https:// URL.";
    throw new ApiError("validation_failed", message, [{ path: "url", message }]);
  }
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal)) {
    const why = refuseAddress(literal, settings);
    if (why) throw new ApiError("validation_failed", `Use a public address: ${why}.`, [{ path: "url", message: "Not a public address." }]);
  }
  if (url.username || url.password) {
    throw new ApiError("validation_failed", "Leave credentials out of the URL; verify deliveries with the signature instead.", [{ path: "url", message: "No credentials in the URL." }]);
  }
  return url.toString();
}

export function toPublicEndpoint(e: WebhookEndpointRecord): TWebhookEndpoint {
  return { id: e.id, url: e.url, events: e.events, description: e.description, createdAt: e.createdAt, createdBy: e.createdBy };
}

export function toPublicDelivery(d: WebhookDeliveryRecord): TWebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    exportId: d.exportId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    lastAttemptAt: d.lastAttemptAt,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    nextAttemptAt: d.nextAttemptAt,
    createdAt: d.createdAt,
  };
}

export async function createWebhookEndpoint(deps: EndpointDeps, actor: Actor, input: unknown): Promise<{ endpoint: TWebhookEndpoint; secret: string }> {
  const supplierId = supplierOf(actor);
  const parsed = ZCreateWebhookRequest.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The webhook is not valid.", zodDetails(parsed.error));
  const url = checkEndpointUrl(parsed.data.url, deps.webhooks.settings);
  if ((await deps.webhooks.store.listEndpoints(supplierId)).length >= MAX_ENDPOINTS) {
    throw new ApiError("conflict", `You can register up to ${MAX_ENDPOINTS} webhook endpoints; remove one first.`);
  }
  const now = deps.now();
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  const record: WebhookEndpointRecord = {
    id: newId("whe", now.getTime()),
    supplierId,
    url,
    events: [...new Set(parsed.data.events)],
    secret: sealSecret(deps.webhooks.settings.secretKey, secret),
    description: parsed.data.description,
    createdBy: actor.userId,
    createdAt: now.toISOString(),
  };
  await deps.webhooks.store.createEndpoint(record);
  return { endpoint: toPublicEndpoint(record), secret };
}

export async function listWebhookEndpoints(deps: EndpointDeps, actor: Actor): Promise<TWebhookEndpoint[]> {
  return (await deps.webhooks.store.listEndpoints(supplierOf(actor))).map(toPublicEndpoint);
}

export async function deleteWebhookEndpoint(deps: EndpointDeps, actor: Actor, id: string): Promise<void> {
  if (!(await deps.webhooks.store.deleteEndpoint(id, supplierOf(actor)))) throw new ApiError("not_found", "Webhook endpoint not found.");
}

/** The endpoint's latest deliveries; another supplier's endpoint is a 404. */
export async function listWebhookDeliveries(deps: EndpointDeps, actor: Actor, endpointId: string): Promise<TWebhookDelivery[]> {
  const endpoint = await deps.webhooks.store.getEndpoint(endpointId);
  if (!endpoint || endpoint.supplierId !== supplierOf(actor)) throw new ApiError("not_found", "Webhook endpoint not found.");
  return (await deps.webhooks.store.listDeliveries(endpointId, 50)).map(toPublicDelivery);
}
