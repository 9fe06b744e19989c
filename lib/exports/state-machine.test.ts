import { describe, expect, it } from "vitest";
import { canTransition, sourcesOf } from "./state-machine";
import { EXPORT_STATUSES } from "./model";

describe("export state machine", () => {
  it("allows the lifecycle of docs/ARCHITECTURE.md", () => {
    expect(canTransition("queued", "running")).toBe(true);
    expect(canTransition("running", "archiving")).toBe(true);
    expect(canTransition("archiving", "ready")).toBe(true);
    expect(canTransition("ready", "expired")).toBe(true);
    for (const s of ["queued", "running", "archiving"] as const) {
      expect(canTransition(s, "failed")).toBe(true);
      expect(canTransition(s, "cancelled")).toBe(true);
    }
    expect(canTransition("failed", "queued")).toBe(true);
  });

  it("refuses everything else", () => {
    expect(canTransition("ready", "running")).toBe(false);
    expect(canTransition("queued", "ready")).toBe(false);
    expect(canTransition("cancelled", "queued")).toBe(false);
    expect(canTransition("expired", "ready")).toBe(false);
    expect(canTransition("ready", "cancelled")).toBe(false);
    expect(canTransition("failed", "running")).toBe(false);
    for (const s of EXPORT_STATUSES) expect(canTransition("expired", s)).toBe(false);
  });

  it("lists the sources of a status", () => {
    expect(sourcesOf("cancelled").sort()).toEqual(["archiving", "queued", "running"]);
    expect(sourcesOf("queued").sort()).toEqual(["failed", "queued"]);
    expect(sourcesOf("running").sort()).toEqual(["queued", "running"]);
  });
});
