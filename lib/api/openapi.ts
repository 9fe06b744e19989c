/**
 * The OpenAPI 3.1 document of /api/v1, built from a registry of routes whose
 * schemas are the zod schemas the routes validate with (request side) and
 * the typed response schemas of `lib/api/schemas.ts`. Nothing here is a
 * hand-written JSON Schema: every schema is `z.toJSONSchema` output.
 */
import { z } from "zod";
import { ZCreateExportRequest, ZListExportsQuery } from "../exports/schemas";
import { ZExportStatsQuery } from "../exports/stats";
import { ZApiToken, ZCreateTokenRequest } from "../tokens/api-tokens";
import { ZCreateWebhookRequest, ZWebhookDelivery, ZWebhookEndpoint } from "../webhooks/schemas";
import { ZWebhookPayload } from "../webhooks/payload";
import { accessFor } from "./access";
import { TEAM_ROUTES } from "./openapi-teams";
import { ZDatasetDescription, ZErrorBody, ZExport, ZExportPage, ZExportStats, ZExportStep, ZIdempotencyKey } from "./schemas";

type Method = "get" | "post" | "patch" | "delete";
/** Who may call: a supplier (session or API token; admins too), admins (session), any signed-in person (session only), anyone. */
export type Access = "supplier" | "admin" | "session" | "public";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

export interface RouteSpec {
  method: Method;
  /** OpenAPI path, e.g. `/api/v1/exports/{id}`. */
  path: string;
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

/** Every /api/v1 route. The OpenAPI test checks this against the route files. */
export const ROUTES: readonly RouteSpec[] = [
  {
    method: "post",
    path: "/api/v1/exports",
    tag: "Exports",
    access: "supplier",
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
  {
    method: "get",
    path: "/api/v1/exports",
    tag: "Exports",
    access: "supplier",
    summary: "List your exports, newest first",
    description: "A supplier sees its own exports; `supplierId` is an admin filter (an admin gets every supplier's exports here).",
    query: ZListExportsQuery,
    responses: { 200: { description: "One page; pass `nextCursor` back as `cursor`.", schema: ZExportPage } },
  },
  {
    method: "get",
    path: "/api/v1/exports/{id}",
    tag: "Exports",
    access: "supplier",
    summary: "One export and its step history",
    pathParams: id,
    responses: { 200: { description: "The export.", schema: z.object({ export: ZExport, steps: z.array(ZExportStep) }) }, 404: { description: "No such export (or another supplier's).", schema: ZErrorBody } },
  },
  {
    method: "post",
    path: "/api/v1/exports/{id}/cancel",
    tag: "Exports",
    access: "supplier",
    summary: "Cancel a queued or running export",
    pathParams: id,
    responses: { 200: { description: "Cancelled.", schema: ZExportEnvelope }, 404: { description: "No such export.", schema: ZErrorBody }, 409: { description: "Already finished.", schema: ZErrorBody } },
  },
  {
    method: "post",
    path: "/api/v1/exports/{id}/retry",
    tag: "Admin",
    access: "admin",
    summary: "Admins: queue a failed export again",
    pathParams: id,
    responses: { 200: { description: "Queued again.", schema: ZExportEnvelope }, 409: { description: "Not failed.", schema: ZErrorBody } },
  },
  {
    method: "get",
    path: "/api/v1/exports/{id}/download",
    tag: "Exports",
    access: "supplier",
    summary: "Download a ready export",
    description: "Redirects to a fresh short-lived signed URL of the zip. Use `curl -L -OJ` to follow it and keep the file name.",
    pathParams: id,
    responses: {
      302: { description: "Redirect to the archive.", headers: { Location: "The signed URL (valid a few minutes)." } },
      404: { description: "No such export, or it has expired.", schema: ZErrorBody },
      409: { description: "Not ready yet.", schema: ZErrorBody },
    },
  },
  {
    method: "get",
    path: "/api/v1/datasets",
    tag: "Exports",
    access: "supplier",
    summary: "The datasets you can export, their columns and the JSON Schema of their params",
    responses: { 200: { description: "The catalog.", schema: z.object({ datasets: z.array(ZDatasetDescription) }) } },
  },
  {
    method: "get",
    path: "/api/v1/admin/exports",
    tag: "Admin",
    access: "admin",
    summary: "Admins: every supplier's exports",
    query: ZListExportsQuery,
    responses: { 200: { description: "One page.", schema: ZExportPage } },
  },
  {
    method: "get",
    path: "/api/v1/admin/stats",
    tag: "Admin",
    access: "admin",
    summary: "Admins: counts, durations and exports per day",
    query: ZExportStatsQuery,
    responses: { 200: { description: "The figures.", schema: ZExportStats } },
  },
  {
    method: "get",
    path: "/api/v1/tokens",
    tag: "API tokens",
    access: "session",
    summary: "Your supplier's API tokens (never their secrets)",
    responses: { 200: { description: "Tokens, newest first.", schema: z.object({ tokens: z.array(ZApiToken) }) } },
  },
  {
    method: "post",
    path: "/api/v1/tokens",
    tag: "API tokens",
    access: "session",
    summary: "Create an API token",
    description: "The response carries the token (`secret`) this once; only its SHA-256 is stored.",
    body: ZCreateTokenRequest,
    responses: { 201: { description: "Created.", schema: z.object({ token: ZApiToken, secret: z.string() }) } },
  },
  {
    method: "delete",
    path: "/api/v1/tokens/{id}",
    tag: "API tokens",
    access: "session",
    summary: "Revoke an API token (at once)",
    pathParams: id,
    responses: { 200: { description: "Revoked.", schema: z.object({ token: ZApiToken }) }, 404: { description: "No such token.", schema: ZErrorBody } },
  },
  {
    method: "get",
    path: "/api/v1/webhooks",
    tag: "Webhooks",
    access: "supplier",
    summary: "Your webhook endpoints",
    responses: { 200: { description: "Endpoints, newest first.", schema: z.object({ endpoints: z.array(ZWebhookEndpoint) }) } },
  },
  {
    method: "post",
    path: "/api/v1/webhooks",
    tag: "Webhooks",
    access: "supplier",
    summary: "Register a webhook endpoint",
    description: "The response carries the endpoint's signing secret this once.",
    body: ZCreateWebhookRequest,
    responses: { 201: { description: "Registered.", schema: z.object({ endpoint: ZWebhookEndpoint, secret: z.string() }) } },
  },
  {
    method: "delete",
    path: "/api/v1/webhooks/{id}",
    tag: "Webhooks",
    access: "supplier",
    summary: "Remove a webhook endpoint",
    pathParams: id,
    responses: { 204: { description: "Removed." }, 404: { description: "No such endpoint.", schema: ZErrorBody } },
  },
  {
    method: "get",
    path: "/api/v1/webhooks/{id}/deliveries",
    tag: "Webhooks",
    access: "supplier",
    summary: "An endpoint's recent deliveries and their attempts",
    pathParams: id,
    responses: { 200: { description: "Deliveries, newest first.", schema: z.object({ deliveries: z.array(ZWebhookDelivery) }) } },
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    tag: "Meta",
    access: "public",
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1.", schema: z.record(z.string(), z.unknown()) } },
  },
  ...TEAM_ROUTES,
];

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete out.$schema;
  return out;
}

const SECURITY: Record<Access, Record<string, string[]>[] | undefined> = {
  supplier: [{ bearerAuth: [] }, { cookieAuth: [] }],
  admin: [{ cookieAuth: [] }],
  session: [{ cookieAuth: [] }],
  public: [],
};

const STANDARD_ERRORS: Record<number, string> = {
  400: "Bad input: `{error: {code, message, details?}}` with one detail per field.",
  401: "Not signed in, or the API token is unknown or revoked (`WWW-Authenticate: Bearer`).",
  403: "Signed in but not allowed.",
  429: "Too many requests (`Retry-After` says how long to wait).",
};

function operation(route: RouteSpec): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const [name, description] of Object.entries(route.pathParams ?? {})) {
    parameters.push({ name, in: "path", required: true, description, schema: { type: "string" } });
  }
  if (route.query) {
    const shape = route.query.shape as Record<string, z.ZodType>;
    for (const [name, field] of Object.entries(shape)) {
      parameters.push({ name, in: "query", required: !field.safeParse(undefined).success, schema: jsonSchema(field, "input") });
    }
  }
  for (const [name, h] of Object.entries(route.headers ?? {})) {
    parameters.push({ name, in: "header", required: false, description: h.description, schema: jsonSchema(h.schema, "input") });
  }
  const responses: JsonSchema = {};
  const add = (status: number, spec: ResponseSpec) => {
    const r: JsonSchema = { description: spec.description };
    if (spec.schema) r.content = { "application/json": { schema: spec.schema === ZErrorBody ? { $ref: "#/components/schemas/Error" } : jsonSchema(spec.schema, "output") } };
    if (spec.headers) r.headers = Object.fromEntries(Object.entries(spec.headers).map(([k, d]) => [k, { description: d, schema: { type: "string" } }]));
    responses[String(status)] = r;
  };
  for (const [status, spec] of Object.entries(route.responses)) add(Number(status), spec);
  if (route.access !== "public") {
    for (const [status, description] of Object.entries(STANDARD_ERRORS)) {
      if (!responses[status]) add(Number(status), { description, schema: ZErrorBody, headers: status === "429" ? { "Retry-After": "Seconds to wait." } : undefined });
    }
  }
  const op: JsonSchema = {
    operationId: `${route.method}${route.path.replace(/^\/api\/v1/, "").replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    summary: route.summary,
    tags: [route.tag],
    security: SECURITY[route.access],
    parameters,
    responses,
  };
  if (route.description) op.description = route.description;
  if (route.access !== "public") {
    // Who may call it, from the one access table (lib/api/access.ts).
    const access = accessFor(route.method.toUpperCase(), route.path);
    op["x-membership"] = access.adminOnly ? "admin" : access.membership;
    if (access.scope) op["x-token-scope"] = access.scope;
  }
  if (route.body) op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } };
  return op;
}

let cached: JsonSchema | undefined;

/** The document, built once per process. `serverUrl` is where the portal is reached. */
export function buildOpenApiDocument(serverUrl: string): JsonSchema {
  if (cached && (cached.servers as { url: string }[])[0]?.url === serverUrl) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method] = operation(route);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Acme Flowers Partner Export API",
      version: "1.0.0",
      description: "Request exports of your data, follow them and download the archives. See /docs/api for a walkthrough.",
    },
    servers: [{ url: serverUrl }],
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    webhooks: {
      "export.ready": {
        post: {
          summary: "An export is ready to download (or `export.failed`: it failed)",
          description: "Signed: `Webhook-Signature: v1=<hex HMAC-SHA256 of `${Webhook-Timestamp}.${body}` with the endpoint's secret>`.",
          parameters: [
            { name: "Webhook-Id", in: "header", required: true, schema: { type: "string" } },
            { name: "Webhook-Timestamp", in: "header", required: true, schema: { type: "string" }, description: "Unix seconds." },
            { name: "Webhook-Signature", in: "header", required: true, schema: { type: "string" } },
          ],
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(ZWebhookPayload, "output") } } },
          responses: { "200": { description: "Any 2xx acknowledges the delivery; anything else (or no answer in 10 s) is retried with backoff for 24 hours." } },
        },
      },
    },
    components: {
      schemas: { Error: jsonSchema(ZErrorBody, "output") },
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "An API token from Settings (`pep_…`)." },
        cookieAuth: { type: "apiKey", in: "cookie", name: "next-auth.session-token", description: "The portal's session (browser)." },
      },
    },
  };
  return cached;
}
