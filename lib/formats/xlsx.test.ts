import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsvRecords } from "./csv-records";
import { createXlsxStream, sheetCount } from "./xlsx";

let spoolDir: string;
beforeAll(async () => {
  spoolDir = await mkdtemp(path.join(os.tmpdir(), "xlsx-test-"));
});
afterAll(async () => {
  await rm(spoolDir, { recursive: true, force: true });
});

const columns = [
  { name: "sku", type: "varchar" },
  { name: "qty", type: "integer" },
  { name: "cost", type: "decimal(10,2)" },
  { name: "at", type: "timestamp" },
];

/** A part as a stream of small chunks, so records and quotes straddle chunk boundaries. */
function part(text: string, chunk = 7) {
  return async () => Readable.from(Array.from({ length: Math.ceil(text.length / chunk) }, (_, i) => Buffer.from(text.slice(i * chunk, (i + 1) * chunk))));
}

async function load(stream: Readable): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await buffer(stream)) as unknown as ArrayBuffer);
  return wb;
}

describe("readCsvRecords", () => {
  it("reads quotes, doubled quotes, newlines in fields and tells NULL from empty", async () => {
    const text = 'a,b,c\n"x, ""y""\nz",,""\r\n1,2,3';
    for (const chunk of [1, 2, 5, 100]) {
      const out = [];
      for await (const r of readCsvRecords(await part(text, chunk)())) out.push(r);
      expect(out).toEqual([
        ["a", "b", "c"],
        ['x, "y"\nz', null, ""],
        ["1", "2", "3"],
      ]);
    }
  });
  it("refuses a quote left open", async () => {
    const it = readCsvRecords(Readable.from(['a,"b']));
    await expect((async () => { for await (const _ of it) void _; })()).rejects.toThrow(/inside a quoted field/);
  });
});

describe("createXlsxStream", () => {
  it("writes typed cells that exceljs reads back, across several parts", async () => {
    const stream = createXlsxStream({
      sheetName: "product_inventory",
      columns,
      totalRows: 3,
      parts: [
        part('sku,qty,cost,at\nROSE-1,5,1.50,2025-01-31 08:00:00\n"Café ""Tōkyō"" 東京",,12.00,\n'),
        part("sku,qty,cost,at\nTULIP-<&>,-3,0.99,2024-02-29 23:59:59\n"),
      ],
      level: 1,
      spoolDir,
      mtime: new Date("2026-01-01T00:00:00Z"),
    });
    const wb = await load(stream);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["product_inventory"]);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, "sku", "qty", "cost", "at"]);
    expect(ws.getCell("A2").value).toBe("ROSE-1");
    expect(ws.getCell("B2").value).toBe(5);
    expect(ws.getCell("C2").value).toBe(1.5);
    expect((ws.getCell("D2").value as Date).toISOString()).toBe("2025-01-31T08:00:00.000Z");
    expect(ws.getCell("A3").value).toBe('Café "Tōkyō" 東京');
    expect(ws.getCell("B3").value).toBeNull();
    expect(ws.getCell("A4").value).toBe("TULIP-<&>");
    expect(ws.getCell("B4").value).toBe(-3);
    expect((ws.getCell("D4").value as Date).toISOString()).toBe("2024-02-29T23:59:59.000Z");
    expect(ws.rowCount).toBe(4);
  });

  it("continues on further sheets, each with the header, when a sheet is full", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `S${i},${i},1.00,2025-01-01 00:00:00`);
    const stream = createXlsxStream({
      sheetName: "customer_reviews",
      columns,
      totalRows: 10,
      parts: [part(`sku,qty,cost,at\n${lines.slice(0, 6).join("\n")}\n`), part(`sku,qty,cost,at\n${lines.slice(6).join("\n")}\n`)],
      maxRowsPerSheet: 4, // header + 3 rows
      level: 1,
      spoolDir,
      mtime: new Date(),
    });
    const wb = await load(stream);
    expect(sheetCount(10, 4)).toBe(4);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["customer_reviews", "customer_reviews (2)", "customer_reviews (3)", "customer_reviews (4)"]);
    const skus = wb.worksheets.flatMap((w) => {
      expect(w.getCell("A1").value).toBe("sku");
      const out: unknown[] = [];
      w.eachRow((row, n) => n > 1 && out.push(row.getCell(1).value));
      return out;
    });
    expect(skus).toEqual(lines.map((_, i) => `S${i}`));
  });

  it("fails the stream when the parts disagree with the manifest's row count", async () => {
    const stream = createXlsxStream({ sheetName: "x", columns, totalRows: 5, parts: [part("sku,qty,cost,at\nA,1,1,\n")], level: 1, spoolDir, mtime: new Date() });
    await expect(buffer(stream)).rejects.toThrow(/hold 1 rows, the manifest says 5/);
  });

  it("fails the stream on a row whose width is not the columns'", async () => {
    const stream = createXlsxStream({ sheetName: "x", columns, totalRows: 1, parts: [part("sku,qty,cost,at\nA,1\n")], level: 1, spoolDir, mtime: new Date() });
    await expect(buffer(stream)).rejects.toThrow(/has 2 fields/);
  });
});
