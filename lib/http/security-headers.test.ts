import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, isHttps, newNonce, securityHeaders } from "./security-headers";

describe("securityHeaders (issue 12, finding 11)", () => {
  it("allows scripts only from this origin with the request's nonce, and no framing", () => {
    const csp = contentSecurityPolicy({ nonce: "abc123==", https: false, dev: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'self'");
    expect(contentSecurityPolicy({ nonce: "n", https: false, dev: true })).toContain("'unsafe-eval'");
  });

  it("sends HSTS only over HTTPS", () => {
    expect(securityHeaders({ nonce: "n", https: true, dev: false })["Strict-Transport-Security"]).toMatch(/^max-age=\d{8,}/);
    expect(securityHeaders({ nonce: "n", https: false, dev: false })).not.toHaveProperty("Strict-Transport-Security");
    expect(securityHeaders({ nonce: "n", https: false, dev: false })).toMatchObject({ "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin" });
    expect(isHttps("http://portal/x", "https")).toBe(true);
    expect(isHttps("https://portal/x", null)).toBe(true);
    expect(isHttps("http://localhost:3000/x", null)).toBe(false);
    expect(isHttps("http://localhost:3000/x", "http, https")).toBe(false);
  });

  it("makes a fresh 128-bit nonce each time", () => {
    const a = newNonce();
    expect(Buffer.from(a, "base64")).toHaveLength(16);
    expect(newNonce()).not.toBe(a);
  });
});
