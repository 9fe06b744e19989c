/**
 * The OpenAPI 3.1 document of /api/v1, rendered from the route table
 * (./routes.ts): its schemas become `z.toJSONSchema` output and each route's
 * declared access becomes its `security` (and `x-roles`). Nothing here is a
 * hand-written JSON Schema.
 */
import { z } from "zod";
import { ZWebhookPayload } from "../webhooks/payload";
import { routeEntries, type Access, type ResponseSpec, type RouteSpec } from "./routes";
import { ZErrorBody } from "./schemas";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** How a caller authenticates, from the route's access: none, the session cookie, or also a Bearer token. */
function security(access: Access): Record<string, string[]>[] {
  if (access.public) return [];
  return access.tokens ? [{ bearerAuth: [] }, { cookieAuth: [] }] : [{ cookieAuth: [] }];
}

const STANDARD_ERRORS: Record<number, string> = {
  400: "Bad input: `{error: {code, message, details?}}` with one detail per field.",
  401: "Not signed in, or the API token is unknown or revoked (`WWW-Authenticate: Bearer`).",
  403: "Signed in but not allowed.",
  429: "Too many requests (`Retry-After` says how long to wait).",
};

function operation(method: string, path: string, route: RouteSpec): JsonSchema {
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
  if (!route.access.public) {
    for (const [status, description] of Object.entries(STANDARD_ERRORS)) {
      if (!responses[status]) add(Number(status), { description, schema: ZErrorBody, headers: status === "429" ? { "Retry-After": "Seconds to wait." } : undefined });
    }
  }
  const op: JsonSchema = {
    operationId: `${method}${path.replace(/^\/api\/v1/, "").replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(\w)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    summary: route.summary,
    tags: [route.tag],
    security: security(route.access),
    parameters,
    responses,
  };
  if (!route.access.public) {
    op["x-roles"] = [...route.access.roles];
    // Issue 15: the least supplier membership, and the scope a token needs.
    if (route.access.membership) op["x-membership"] = route.access.membership;
    if (route.access.scope) op["x-token-scope"] = route.access.scope;
  }
  if (route.description) op.description = route.description;
  if (route.body) op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } };
  return op;
}

let cached: JsonSchema | undefined;

/** The document, built once per process. `serverUrl` is where the portal is reached. */
export function buildOpenApiDocument(serverUrl: string): JsonSchema {
  if (cached && (cached.servers as { url: string }[])[0]?.url === serverUrl) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const routes = routeEntries();
  for (const { method, path, spec } of routes) (paths[path] ??= {})[method] = operation(method, path, spec);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Acme Flowers Partner Export API",
      version: "1.0.0",
      description: "Request exports of your data, follow them and download the archives. See /docs/api for a walkthrough.",
    },
    servers: [{ url: serverUrl }],
    tags: [...new Set(routes.map((r) => r.spec.tag))].map((name) => ({ name })),
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
