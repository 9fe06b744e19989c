import { describe, expect, it } from "vitest";
import { createdAtRange } from "./schemas";

describe("createdAtRange", () => {
  it("makes a bare `to` date inclusive of that whole day", () => {
    expect(createdAtRange({ from: "2026-11-01", to: "2026-11-27" })).toEqual({ from: "2026-11-01T00:00:00.000Z", to: "2026-11-28T00:00:00.000Z" });
  });

  it("drops an end past year 9999 instead of writing a six-digit year that sorts before every date (issue 12, finding 12)", () => {
    expect(createdAtRange({ to: "9999-12-31" })).toEqual({ from: undefined, to: undefined });
    expect(createdAtRange({ to: "9999-12-31T23:59:59Z" }).to).toBe("9999-12-31T23:59:59.000Z");
  });
});
