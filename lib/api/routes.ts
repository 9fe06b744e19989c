/**
 * The route table: every /api/v1 route, keyed "METHOD /path", with who may
 * call it (`access`) and what it takes and returns. This is the one place a
 * route's access is written: the wrapper (`route()` in ./handler.ts) enforces
 * it, the OpenAPI document (./openapi.ts) renders it as `security`, and
 * test/app/api/v1/route-matrix.test.ts calls every route as every kind of
 * caller and checks the status the declaration implies.
 *
 * Schemas are the zod schemas the routes validate with (request side) and the
 * typed response schemas of ./schemas.ts; nothing here is hand-written JSON Schema.
 */
import { z } from "zod";
import { SCHEDULE_ROUTES } from "./schedule-routes";
import type { Actor } from "../core/actor";
import type { Membership } from "../ports";
import type { TokenScope } from "../tokens/scopes";
import { ZCreateExportRequest, ZListExportsQuery } from "../exports/schemas";
import { ZExportStatsQuery } from "../exports/stats";
import { ZApiToken, ZCreateTokenRequest } from "../tokens/api-tokens";
import { ZCreateWebhookRequest, ZWebhookDelivery, ZWebhookEndpoint } from "../webhooks/schemas";
import { TEAM_ROUTES } from "./routes-teams";
import { ZDatasetDescription, ZErrorBody, ZExport, ZExportPage, ZExportPreview, ZExportStats, ZExportView, ZIdempotencyKey, ZParamOptions } from "./schemas";
import { ZParamOptionsQuery } from "../exports/param-options";

export type Role = Actor["role"];

/**
 * Who may call a route. `public` routes skip sign-in altogether. Otherwise
 * the caller must be signed in (session cookie) with one of `roles`, or, where
 * `tokens` is true, present an API token (a token acts as its supplier, role
 * "supplier"); a token on a `tokens: false` route is a 401.
 *
 * Room to grow without reshaping: finer supplier roles go in `roles`, and a
 * token scope the route needs goes in a `scope` field beside `tokens`.
 */
export type Access =
  | { public: true }
  | {
      public?: never;
      roles: readonly Role[];
      tokens: boolean;
      /**
       * The least membership a supplier user needs (owner > member > viewer;
       * issue 15). Admins are let in by `roles` alone. Absent on admin-only routes.
       */
      membership?: Membership;
      /** The scope an API token needs; set exactly when `tokens` is true. */
      scope?: TokenScope;
    };

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

export interface RouteSpec {
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  headers?: Record<string, { schema: z.ZodType; description: string }>;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
}

const ZExportEnvelope = z.object({ export: ZExport });
const id = { id: "The resource's id." };

/** Every /api/v1 route. lib/api/openapi.test.ts checks these keys against the route files. */
export const ROUTES = {
  "POST /api/v1/exports": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "member", scope: "exports:write" },
    summary: "Request an export",
    description:
      "Queues an export of a dataset. Send an `Idempotency-Key` to make retries safe: the same key and body return the same export (200); " +
      "the same key with another body is a 409. Without a key, an identical request (same dataset, params, format, bom) while one is still " +
      "queued or running returns that export (200, `deduplicated: true`, header `X-Export-Deduplicated: true`).",
    headers: { "Idempotency-Key": { schema: ZIdempotencyKey, description: "Optional. 1 to 255 printable characters, kept 24 hours." } },
    body: ZCreateExportRequest,
    responses: {
      202: { description: "A new export, queued.", schema: ZExportEnvelope },
      200: {
        description: "An existing export: a replay of the same Idempotency-Key, or an identical request still active.",
        schema: ZExportEnvelope.extend({ replayed: z.literal(true).optional(), deduplicated: z.literal(true).optional() }),
        headers: { "Idempotent-Replayed": "`true` on an Idempotency-Key replay.", "X-Export-Deduplicated": "`true` when an identical active export was returned." },
      },
      409: { description: "The Idempotency-Key was used with a different body.", schema: ZErrorBody },
      429: { description: "Too many exports queued or running, or too many requests.", schema: ZErrorBody, headers: { "Retry-After": "Seconds to wait." } },
    },
  },
  "POST /api/v1/exports/preview": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "member", scope: "exports:write" },
    summary: "Preview an export: row count, size estimate, columns and first rows",
    description:
      "Takes the same body as `POST /api/v1/exports` and answers, scoped exactly as that export would be, with its row count (exact when the " +
      "warehouse counts it within 3 seconds, else `unknown`), an estimated size, its columns and its first 20 rows. Nothing is recorded or queued.",
    body: ZCreateExportRequest,
    responses: {
      200: { description: "The preview.", schema: ZExportPreview },
      503: { description: "The warehouse could not make a preview right now.", schema: ZErrorBody, headers: { "Retry-After": "Seconds to wait." } },
    },
  },
  "GET /api/v1/datasets/{id}/options/{param}": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "viewer", scope: "exports:read" },
    summary: "The values a filter can take in your data (e.g. your warehouses)",
    description: "Only for filters that list values (`warehouse` of `product_inventory`). Admins may add `?supplierId=`.",
    pathParams: { id: "The dataset's id.", param: "The filter's name." },
    query: ZParamOptionsQuery,
    responses: { 200: { description: "The values, sorted.", schema: ZParamOptions }, 404: { description: "No such dataset, or the filter lists no values.", schema: ZErrorBody } },
  },
  "GET /api/v1/exports": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "viewer", scope: "exports:read" },
    summary: "List your exports, newest first",
    description: "A supplier sees its own exports; `supplierId` is an admin filter (an admin gets every supplier's exports here).",
    query: ZListExportsQuery,
    responses: { 200: { description: "One page; pass `nextCursor` back as `cursor`.", schema: ZExportPage } },
  },
  "GET /api/v1/exports/{id}": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "viewer", scope: "exports:read" },
    summary: "One export and its step history",
    pathParams: id,
    responses: { 200: { description: "The export.", schema: ZExportView }, 404: { description: "No such export (or another supplier's).", schema: ZErrorBody } },
  },
  "POST /api/v1/exports/{id}/cancel": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "member", scope: "exports:write" },
    summary: "Cancel a queued or running export",
    pathParams: id,
    responses: { 200: { description: "Cancelled.", schema: ZExportEnvelope }, 404: { description: "No such export.", schema: ZErrorBody }, 409: { description: "Already finished.", schema: ZErrorBody } },
  },
  "POST /api/v1/exports/{id}/retry": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: queue a failed export again",
    pathParams: id,
    responses: { 200: { description: "Queued again.", schema: ZExportEnvelope }, 409: { description: "Not failed.", schema: ZErrorBody } },
  },
  "GET /api/v1/exports/{id}/download": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "viewer", scope: "exports:read" },
    summary: "Download a ready export",
    description: "Redirects to a fresh short-lived signed URL of the zip. Use `curl -L -OJ` to follow it and keep the file name.",
    pathParams: id,
    responses: {
      302: { description: "Redirect to the archive.", headers: { Location: "The signed URL (valid a few minutes)." } },
      404: { description: "No such export, or it has expired.", schema: ZErrorBody },
      409: { description: "Not ready yet.", schema: ZErrorBody },
    },
  },
  "GET /api/v1/datasets": {
    tag: "Exports",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "viewer", scope: "exports:read" },
    summary: "The datasets you can export, their columns and the JSON Schema of their params",
    responses: { 200: { description: "The catalog.", schema: z.object({ datasets: z.array(ZDatasetDescription) }) } },
  },
  "GET /api/v1/admin/exports": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: every supplier's exports",
    query: ZListExportsQuery,
    responses: { 200: { description: "One page.", schema: ZExportPage } },
  },
  "GET /api/v1/admin/stats": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: counts, durations and exports per day",
    query: ZExportStatsQuery,
    responses: { 200: { description: "The figures.", schema: ZExportStats } },
  },
  "GET /api/v1/tokens": {
    tag: "API tokens",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Your supplier's API tokens (never their secrets)",
    responses: { 200: { description: "Tokens, newest first.", schema: z.object({ tokens: z.array(ZApiToken) }) } },
  },
  "POST /api/v1/tokens": {
    tag: "API tokens",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Create an API token",
    description: "The response carries the token (`secret`) this once; only its SHA-256 is stored.",
    body: ZCreateTokenRequest,
    responses: { 201: { description: "Created.", schema: z.object({ token: ZApiToken, secret: z.string() }) } },
  },
  "DELETE /api/v1/tokens/{id}": {
    tag: "API tokens",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Revoke an API token (at once)",
    pathParams: id,
    responses: { 200: { description: "Revoked.", schema: z.object({ token: ZApiToken }) }, 404: { description: "No such token.", schema: ZErrorBody } },
  },
  "GET /api/v1/webhooks": {
    tag: "Webhooks",
    access: { roles: ["supplier"], tokens: true, membership: "owner", scope: "webhooks:manage" },
    summary: "Your webhook endpoints",
    responses: { 200: { description: "Endpoints, newest first.", schema: z.object({ endpoints: z.array(ZWebhookEndpoint) }) } },
  },
  "POST /api/v1/webhooks": {
    tag: "Webhooks",
    access: { roles: ["supplier"], tokens: true, membership: "owner", scope: "webhooks:manage" },
    summary: "Register a webhook endpoint",
    description: "The response carries the endpoint's signing secret this once.",
    body: ZCreateWebhookRequest,
    responses: { 201: { description: "Registered.", schema: z.object({ endpoint: ZWebhookEndpoint, secret: z.string() }) } },
  },
  "DELETE /api/v1/webhooks/{id}": {
    tag: "Webhooks",
    access: { roles: ["supplier"], tokens: true, membership: "owner", scope: "webhooks:manage" },
    summary: "Remove a webhook endpoint",
    pathParams: id,
    responses: { 204: { description: "Removed." }, 404: { description: "No such endpoint.", schema: ZErrorBody } },
  },
  "GET /api/v1/webhooks/{id}/deliveries": {
    tag: "Webhooks",
    access: { roles: ["supplier"], tokens: true, membership: "owner", scope: "webhooks:manage" },
    summary: "An endpoint's recent deliveries and their attempts",
    pathParams: id,
    responses: { 200: { description: "Deliveries, newest first.", schema: z.object({ deliveries: z.array(ZWebhookDelivery) }) } },
  },
  ...SCHEDULE_ROUTES,
  "GET /api/v1/openapi.json": {
    tag: "Meta",
    access: { public: true },
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1.", schema: z.record(z.string(), z.unknown()) } },
  },
  ...TEAM_ROUTES,
} satisfies Record<string, RouteSpec>;


export type RouteKey = keyof typeof ROUTES;
export type ProtectedRouteKey = { [K in RouteKey]: (typeof ROUTES)[K]["access"] extends { public: true } ? never : K }[RouteKey];
export type PublicRouteKey = Exclude<RouteKey, ProtectedRouteKey>;

/** The table's entries with their method and path split out of the key. */
export function routeEntries(): { key: RouteKey; method: "get" | "post" | "patch" | "delete"; path: string; spec: RouteSpec }[] {
  return (Object.entries(ROUTES) as [RouteKey, RouteSpec][]).map(([key, spec]) => {
    const [method, path] = key.split(" ") as [string, string];
    return { key, method: method.toLowerCase() as "get" | "post" | "patch" | "delete", path, spec };
  });
}
