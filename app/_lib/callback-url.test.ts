/** Pins issue 12 finding 1: callback URLs that a browser turns into another host. */
import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./callback-url";

describe("safeCallbackUrl", () => {
  it("keeps paths on this site, with their query and hash", () => {
    expect(safeCallbackUrl("/exports?status=ready#top")).toBe("/exports?status=ready#top");
    expect(safeCallbackUrl("/admin/exports/exp_1")).toBe("/admin/exports/exp_1");
    expect(safeCallbackUrl("http://localhost:3000/exports/new?x=1")).toBe("/exports/new?x=1");
    expect(safeCallbackUrl(undefined)).toBe("/exports/new");
    expect(safeCallbackUrl(["/settings", "/x"])).toBe("/settings");
  });

  it("refuses what browsers strip or fold into another host: tab, CR, LF, backslash, spaces", () => {
    for (const evil of [
      "/\tevil.test",
      "/\t/evil.test",
      "/\n/evil.test",
      "/\r\n/evil.test",
      "/\\evil.test",
      "/%09/evil.test".replace("%09", "\t"),
      "\t//evil.test",
      " //evil.test",
      "/\u0000/evil.test",
      "/exports\nSet-Cookie: x=1",
      "//evil.test",
      "///evil.test",
      "javascript:alert(1)",
      "evil.test",
      "/signin?callbackUrl=//evil.test",
      "/api/v1/exports",
    ]) {
      expect(safeCallbackUrl(evil), JSON.stringify(evil)).toBe("/exports/new");
    }
  });

  it("keeps only the path of an absolute URL (next-auth hands over the portal's own)", () => {
    expect(safeCallbackUrl("https://evil.test/exports")).toBe("/exports");
  });

  it("returns nothing a Location header cannot carry", () => {
    for (const v of ["/a\nb", "/a\rb", "/ä?x=ü"]) {
      expect(safeCallbackUrl(v)).not.toMatch(/[\r\n\u0080-\uffff]/);
    }
  });
});
