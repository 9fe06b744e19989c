/**
 * Property test of every dataset's filters (issue 12, acceptance 9): values
 * generated from each dataset's own JSON Schema (the one the API documents),
 * valid and hostile alike, sent through the export service the API route
 * calls. Each one either is refused with a 400, or becomes an export whose
 * query (built as the worker builds it) runs on DuckDB without error. Before,
 * a value the schema accepted (a far-future date) failed the query.
 *
 * Deterministic for CI: a fixed seed and a bounded number of runs per dataset.
 * The generator reads only the JSON Schema, so a filter a dataset gains is
 * fuzzed without touching this file.
 */
import fs from "node:fs/promises";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import fc from "fast-check";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { getDataset, listDatasets } from "@/lib/datasets/catalog";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import { makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";

const SEED = 20261201;
const RUNS_PER_DATASET = 150;

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
  anyOf?: JsonSchema[];
};

/** Dates at the edges that broke or might break the query: far future, year 1, offsets across year ends, leap days. */
const edgeDates = fc.constantFrom(
  "9999-12-31",
  "9999-12-31T23:59:59Z",
  "9999-12-31T23:00:00-05:00",
  "9999-12-31T23:59:59.999+00:00",
  "0001-01-01",
  "0001-01-01T00:30:00+01:00",
  "1970-01-01",
  "2024-02-29",
  "2025-02-29",
  "2026-12-01T10:00:00",
  "2026-13-01",
  "10000-01-01",
  "",
  "2026-12-01T24:00:00Z",
);
const anyDate = fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).chain((d) =>
  fc.constantFrom(d.toISOString().slice(0, 10), d.toISOString(), d.toISOString().replace("Z", "+14:00"), d.toISOString().replace("Z", "-12:00")),
);
const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("' OR 1=1 --", "a'); DROP TABLE x; --", "\u0000", "\\", "%", "_", "é", "ＡＢＣ", "a".repeat(2000), " leading", "trailing "),
);
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));

/** `valid`: values of the schema's own shape (most pass); `mixed`: hostile ones too. */
type Mode = "valid" | "mixed";

function forSchema(name: string, s: JsonSchema, mode: Mode): fc.Arbitrary<unknown> {
  const mix = (valid: fc.Arbitrary<unknown>, ...hostile: fc.Arbitrary<unknown>[]) =>
    mode === "valid" ? valid : fc.oneof({ weight: 4, arbitrary: valid }, ...hostile.map((arbitrary) => ({ weight: 1, arbitrary })));
  if (s.enum) return mix(fc.constantFrom(...s.enum), hostileString);
  if (s.anyOf) return fc.oneof(...s.anyOf.map((x) => forSchema(name, x, mode)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string": {
      const valid = s.pattern ? fc.stringMatching(new RegExp(s.pattern)) : /date|since|from|to|created|updated|until|before|after/i.test(name) ? fc.oneof(edgeDates, anyDate) : fc.string({ maxLength: s.maxLength ?? 40 });
      return mix(valid, hostileString, notAString);
    }
    case "integer":
    case "number": {
      const min = s.minimum ?? -1e6;
      const max = s.maximum ?? 1e6;
      return mix(
        fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
        fc.integer({ min: Math.ceil(min) - 2, max: Math.floor(max) + 2 }),
        fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -0, 0.5, 2 ** 31),
        fc.oneof(hostileString, fc.constant(null), fc.boolean()),
      );
    }
    case "boolean":
      return mix(fc.boolean(), fc.constantFrom("true", 1, 0, null));
    case "array": {
      const items = forSchema(name, s.items ?? {}, mode);
      const max = s.maxItems ?? 8;
      return mix(
        fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(max, 8) }),
        fc.array(items, { minLength: 0, maxLength: Math.min(max, 8) }),
        fc.array(fc.constant("A1"), { minLength: max + 1, maxLength: max + 1 }),
        notAString,
      );
    }
    case "object":
      return paramsFor(s);
    default:
      return fc.oneof(hostileString, notAString);
  }
}

/** A params object: any subset of the schema's properties, now and then an unknown or prototype key. */
function paramsFor(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const props = schema.properties ?? {};
  const recordOf = (mode: Mode) => fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, forSchema(k, v, mode)])), { requiredKeys: [] });
  const known = fc.oneof({ weight: 3, arbitrary: recordOf("valid") }, { weight: 2, arbitrary: recordOf("mixed") });
  return fc.tuple(known, fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "unknownFilter", "toString") })).map(([p, extra]) => {
    if (extra === null) return p as Record<string, unknown>;
    // JSON.parse makes an own "__proto__" key, as a request body would.
    return JSON.parse(JSON.stringify({ ...p, [extra === "__proto__" ? "__proto_placeholder__" : extra]: "x" }).replace('"__proto_placeholder__"', '"__proto__"')) as Record<string, unknown>;
  });
}

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };
let duck: DuckDBInstance;
let con: DuckDBConnection;

beforeAll(async () => {
  warehouse = await seededWarehouse(500);
  deps = await makeLocalDeps(warehouse.dbPath);
  duck = await DuckDBInstance.create(warehouse.dbPath, { access_mode: "READ_ONLY" });
  con = await duck.connect();
});
afterAll(async () => {
  con?.closeSync();
  duck?.closeSync();
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

describe("every dataset's filters, fuzzed from its schema", () => {
  for (const dataset of listDatasets()) {
    it(`${dataset.id}: a 400, or a query that runs on DuckDB`, { timeout: 120_000 }, async () => {
      const schema = z.toJSONSchema(dataset.paramsSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
      let accepted = 0;
      const refusals = new Map<string, number>();
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(paramsFor(schema), async (params) => {
          let rec;
          try {
            rec = await requestExport(deps, rose, { dataset: dataset.id, params, notify: false });
          } catch (err) {
            // The API maps an ApiError to its status: a 400 is the only acceptable refusal of a filter.
            expect(err).toBeInstanceOf(ApiError);
            expect((err as ApiError).status).toBe(400);
            refused++;
            const why = (err as ApiError & { details?: { message: string }[] }).details?.[0]?.message ?? (err as ApiError).message;
            refusals.set(why, (refusals.get(why) ?? 0) + 1);
            return;
          }
          // As the worker builds it: re-validated params, the supplier's scope.
          const d = getDataset(rec.dataset)!;
          const sql = d.buildQuery(d.paramsSchema.parse(rec.params), { kind: "supplier", supplierId: "sup_rose" });
          await con.run(`SELECT count(*) FROM (${sql}) AS q`);
          accepted++;
        }),
        { seed: SEED, numRuns: RUNS_PER_DATASET, endOnFailure: true },
      );
      if (process.env.FUZZ_REPORT) console.log(dataset.id, { accepted, refused, refusals: Object.fromEntries(refusals) });
      // Both sides were exercised: a generator that only made garbage would prove nothing.
      expect(accepted).toBeGreaterThan(RUNS_PER_DATASET / 10);
      expect(refused).toBeGreaterThan(RUNS_PER_DATASET / 10);
    });
  }
});
