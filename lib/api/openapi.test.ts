/**
 * The OpenAPI document validates against the OpenAPI 3.1 schema (an
 * independent validator from npm), and lists exactly the routes and methods
 * the route files under app/api/v1 export (the route table's keys; that each
 * file wraps its handler with its own key is test/app/api/v1/route-matrix.test.ts).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { buildOpenApiDocument } from "./openapi";

const ROOT = path.resolve(import.meta.dirname, "../..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Every `route.ts` under app/api/v1, as "METHOD /api/v1/path/{param}". */
async function routeFiles(): Promise<string[]> {
  const out: string[] = [];
  // A glob of app/api/v1/**/route.ts (fs.glob needs Node 22).
  const entries = await fs.readdir(path.join(ROOT, "app/api/v1"), { recursive: true });
  for (const entry of entries.filter((e) => path.basename(e) === "route.ts")) {
    const file = path.join("app/api/v1", entry);
    const source = await fs.readFile(path.join(ROOT, file), "utf8");
    const urlPath = "/" + path.dirname(file).split(path.sep).join("/").replace(/^app\//, "").replace(/\[(\w+)\]/g, "{$1}");
    for (const m of METHODS) {
      if (new RegExp(`export (const|async function) ${m}\\b`).test(source)) out.push(`${m} ${urlPath}`);
    }
  }
  return out.sort();
}

describe("OpenAPI document", () => {
  const doc = buildOpenApiDocument("http://localhost:3000");

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const res = await validator.validate(structuredClone(doc));
    expect(res.errors ?? [], JSON.stringify(res.errors, null, 2)).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists every /api/v1 route file and method, and nothing else", async () => {
    const files = await routeFiles();
    expect(files.length).toBeGreaterThan(10);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).toEqual(files);
  });

  it("describes bodies and queries from the zod schemas, errors in one shape, and both security schemes", () => {
    const paths = doc.paths as Record<string, any>;
    const post = paths["/api/v1/exports"].post;
    expect(post.requestBody.content["application/json"].schema.properties).toHaveProperty("dataset");
    expect(post.requestBody.content["application/json"].schema.additionalProperties).toBe(false);
    expect(post.parameters.map((p: { name: string }) => p.name)).toContain("Idempotency-Key");
    expect(post.responses["429"].headers).toHaveProperty("Retry-After");
    expect(paths["/api/v1/exports"].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["status", "cursor", "limit"]));
    expect(post.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(post.security).toEqual([{ bearerAuth: [] }, { cookieAuth: [] }]);
    expect(paths["/api/v1/admin/exports"].get.security).toEqual([{ cookieAuth: [] }]);
    expect(paths["/api/v1/tokens"].post.security).toEqual([{ cookieAuth: [] }]);
    expect(paths["/api/v1/openapi.json"].get.security).toEqual([]);
    // Roles come from the same declaration the wrapper enforces (lib/api/routes.ts).
    expect(paths["/api/v1/admin/exports"].get["x-roles"]).toEqual(["admin"]);
    expect(paths["/api/v1/tokens"].post["x-roles"]).toEqual(["supplier"]);
    expect(post["x-roles"]).toEqual(["supplier", "admin"]);
    expect((doc.components as any).securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
