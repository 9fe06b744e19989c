/**
 * `next dev` serves its scripts (and its HMR socket) only to origins it
 * allows: a page opened at http://127.0.0.1:3000 otherwise gets 403 for every
 * /_next/ chunk and never becomes interactive (issue 13). Checked here with
 * Next's own check and the project's next.config.ts, without starting a dev
 * server (that takes minutes on this machine); the manual check in a browser
 * is in the closing notes.
 */
import { describe, expect, it } from "vitest";
import { blockCrossSiteDEV } from "next/dist/server/lib/router-utils/block-cross-site-dev";
import nextConfig from "@/next.config";

/** A dev-script request as Chromium sends it from a page at `origin`; true when Next refuses it. */
function blocked(origin: string, path = "/_next/static/chunks/main-app.js"): boolean {
  const req = { url: path, headers: { origin, "sec-fetch-mode": "cors", "sec-fetch-site": "same-site" } };
  const res = { statusCode: 200, end: () => undefined };
  return blockCrossSiteDEV(req as never, res as never, nextConfig.allowedDevOrigins, undefined);
}

describe("dev mode origins (next.config.ts allowedDevOrigins)", () => {
  it("serves the dev scripts to pages at 127.0.0.1 as at localhost, on any port", () => {
    for (const origin of ["http://127.0.0.1:3000", "http://127.0.0.1:3299", "http://localhost:3000", "http://localhost:4000"]) {
      expect(blocked(origin), origin).toBe(false);
    }
  });

  it("still refuses other origins (Next's protection stays on)", () => {
    expect(blocked("http://192.0.2.2:3000")).toBe(true);
    expect(blocked("https://evil.example")).toBe(true);
  });
});
