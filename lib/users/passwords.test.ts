import { scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_PASSWORD_LENGTH, hashPassword, needsRehash, verifyPassword } from "./passwords";

/** A hash in the stored format, made with explicit (possibly weak) parameters. */
function handMadeHash(password: string, N: number, r = 8, p = 1): string {
  const salt = Buffer.from("0123456789abcdef");
  const key = scryptSync(password, salt, 32, { N, r, p });
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

describe("hashPassword / verifyPassword", () => {
  it("stores scrypt$N$r$p$salt$hash and verifies the same password", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
  });

  it("refuses a wrong password, including one that differs only in case or a trailing space", async () => {
    const hash = await hashPassword("correct horse battery");
    for (const wrong of ["correct horse batter", "Correct horse battery", "correct horse battery ", "x"]) {
      expect(await verifyPassword(wrong, hash)).toBe(false);
    }
  });

  it("salts every hash: the same password hashes differently twice", async () => {
    const [a, b] = await Promise.all([hashPassword("same password!"), hashPassword("same password!")]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password!", a)).toBe(true);
    expect(await verifyPassword("same password!", b)).toBe(true);
  });

  it("treats composed and decomposed accents as the same password", async () => {
    const composed = "ros\u00e9-bouquet-2025";
    const decomposed = "rose\u0301-bouquet-2025";
    expect(composed).not.toBe(decomposed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it("verifies hashes made with other parameters, so the cost can change without resetting passwords", async () => {
    expect(await verifyPassword("legacy-password", handMadeHash("legacy-password", 1024, 4, 2))).toBe(true);
    expect(await verifyPassword("other-password", handMadeHash("legacy-password", 1024, 4, 2))).toBe(false);
  });

  it("returns false, without throwing, for malformed or tampered hashes", async () => {
    const good = await hashPassword("correct horse battery");
    const parts = good.split("$");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const bad = [
      "",
      "plain text",
      good.replace(/^scrypt/, "bcrypt"),
      parts.slice(0, 5).join("$"),
      [...parts.slice(0, 5), flip(parts[5])].join("$"), // hash tampered
      [...parts.slice(0, 4), flip(parts[4]), parts[5]].join("$"), // salt tampered
      ["scrypt", "1000", ...parts.slice(2)].join("$"), // N not a power of two
      ["scrypt", String(2 ** 30), ...parts.slice(2)].join("$"), // N so large it would allocate 128 GiB
      ["scrypt", parts[1], "1000", ...parts.slice(3)].join("$"), // r out of bounds
      ["scrypt", parts[1], parts[2], "0", ...parts.slice(4)].join("$"), // p out of bounds
      [...parts.slice(0, 5), "not base64!"].join("$"),
      [...parts.slice(0, 5), "AAAA"].join("$"), // key too short
    ];
    for (const stored of bad) expect(await verifyPassword("correct horse battery", stored), stored).toBe(false);
  });

  it("refuses empty and oversized passwords", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(await verifyPassword("", hash)).toBe(false);
    expect(await verifyPassword("x".repeat(MAX_PASSWORD_LENGTH + 1), hash)).toBe(false);
    await expect(hashPassword("")).rejects.toThrow(RangeError);
    await expect(hashPassword("x".repeat(MAX_PASSWORD_LENGTH + 1))).rejects.toThrow(RangeError);
  });
});

describe("needsRehash", () => {
  it("is false for a fresh hash and true for weaker parameters or an unreadable hash", async () => {
    expect(needsRehash(await hashPassword("correct horse battery"))).toBe(false);
    expect(needsRehash(handMadeHash("legacy-password", 1024))).toBe(true);
    expect(needsRehash("garbage")).toBe(true);
  });
});
