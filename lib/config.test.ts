import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pep-config-"));
}

describe("loadConfig", () => {
  it("starts with no environment at all: local backend, defaults, a generated secret kept in DATA_DIR", () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.env.EXPORT_BACKEND).toBe("local");
    expect(first.settings.retentionDays).toBe(7);
    expect(first.settings.zipLevel).toBe(1);
    expect(first.authSecret.length).toBeGreaterThanOrEqual(32);
    // A second process (web vs worker) or a restart gets the same secret.
    expect(loadConfig({ DATA_DIR: dir }).authSecret).toBe(first.authSecret);
  });

  it("treats empty strings as unset", () => {
    const c = loadConfig({ DATA_DIR: tempDir(), EXPORT_BACKEND: "", RETENTION_DAYS: "", PUBLIC_URL: "" });
    expect(c.env.EXPORT_BACKEND).toBe("local");
    expect(c.settings.retentionDays).toBe(7);
    expect(c.settings.publicUrl).toBe("http://localhost:3000");
  });

  it("takes PUBLIC_URL's default from PORT, so links and local download URLs follow the port the portal runs on", () => {
    expect(loadConfig({ DATA_DIR: tempDir(), PORT: "4000" }).settings.publicUrl).toBe("http://localhost:4000");
    expect(loadConfig({ DATA_DIR: tempDir(), PORT: "4000", PUBLIC_URL: "https://exports.example.test/" }).settings.publicUrl).toBe("https://exports.example.test");
    expect(() => loadConfig({ DATA_DIR: tempDir(), PORT: "70000" })).toThrowError(/PORT/);
  });

  it("fails with one message naming every bad variable", () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), EXPORT_BACKEND: "azure", RETENTION_DAYS: "-1", ZIP_LEVEL: "12" })).toThrowError(
      /Invalid environment:[\s\S]*EXPORT_BACKEND[\s\S]*RETENTION_DAYS[\s\S]*ZIP_LEVEL/,
    );
  });

  it("reads the aws-mode secret from the linked sst.Secret, never generating one", () => {
    const none = () => undefined;
    expect(() => loadConfig({ EXPORT_BACKEND: "aws" }, none)).toThrowError(/AuthSecret: sst.Secret\("AuthSecret"\) is not linked/);
    const linked = (resource: string, property: string) => (resource === "AuthSecret" && property === "value" ? "linked-secret-linked-secret-linked-secret" : undefined);
    const config = loadConfig({ EXPORT_BACKEND: "aws", DATA_DIR: tempDir() }, linked);
    expect(config.authSecret).toBe("linked-secret-linked-secret-linked-secret");
    // Nothing was written where local mode keeps its generated secret.
    expect(fs.existsSync(path.join(config.dataDir, "auth-secret"))).toBe(false);
    expect(() => loadConfig({ EXPORT_BACKEND: "aws" }, () => "short")).toThrowError(/AuthSecret: must be at least 32 characters/);
  });

  it("refuses AUTH_SECRET in aws mode: a plain environment variable is not where a deployed secret lives", () => {
    const linked = () => "linked-secret-linked-secret-linked-secret";
    expect(() => loadConfig({ EXPORT_BACKEND: "aws", AUTH_SECRET: "env-secret-env-secret-env-secret-0123" }, linked)).toThrowError(
      /AUTH_SECRET: is not read with EXPORT_BACKEND=aws/,
    );
  });

  it("ignores SST links in local mode: the generated secret stays", () => {
    const dir = tempDir();
    const linked = () => "linked-secret-linked-secret-linked-secret";
    expect(loadConfig({ DATA_DIR: dir }, linked).authSecret).toBe(fs.readFileSync(path.join(dir, "auth-secret"), "utf8"));
  });

  it("refuses a short AUTH_SECRET", () => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), AUTH_SECRET: "short" })).toThrowError(/AUTH_SECRET/);
  });
  describe("SSO", () => {
    const SSO = { OIDC_ISSUER: "https://login.example.test/", OIDC_CLIENT_ID: "portal", OIDC_SUPPLIER_DOMAINS: "rose.example=sup_rose" };
    /** A deployed portal's links: AuthSecret, and OidcClientSecret when `oidc` is given. */
    const links = (oidc?: string) => (resource: string, property: string) =>
      property !== "value" ? undefined : resource === "AuthSecret" ? "linked-secret-linked-secret-linked-secret" : resource === "OidcClientSecret" ? oidc : undefined;

    it("reads the client secret from the linked sst.Secret in aws mode", () => {
      const config = loadConfig({ EXPORT_BACKEND: "aws", DATA_DIR: tempDir(), ...SSO }, links("short-idp-secret"));
      expect(config.sso).toMatchObject({ issuer: "https://login.example.test", clientId: "portal", clientSecret: "short-idp-secret", domains: { "rose.example": "sup_rose" } });
    });

    it("refuses an aws-mode issuer whose secret is not linked or is still the empty placeholder", () => {
      expect(() => loadConfig({ EXPORT_BACKEND: "aws", ...SSO }, links(undefined))).toThrowError(/OidcClientSecret: sst.Secret\("OidcClientSecret"\) is not linked/);
      expect(() => loadConfig({ EXPORT_BACKEND: "aws", ...SSO }, links(""))).toThrowError(/OidcClientSecret/);
    });

    it("refuses OIDC_CLIENT_SECRET in aws mode, and an issuer without a client id", () => {
      expect(() => loadConfig({ EXPORT_BACKEND: "aws", ...SSO, OIDC_CLIENT_SECRET: "env-secret" }, links("linked"))).toThrowError(
        /OIDC_CLIENT_SECRET: is not read with EXPORT_BACKEND=aws/,
      );
      expect(() => loadConfig({ EXPORT_BACKEND: "aws", OIDC_ISSUER: SSO.OIDC_ISSUER }, links("linked"))).toThrowError(/SSO needs OIDC_ISSUER and OIDC_CLIENT_ID together/);
    });

    it("is off in aws mode without an issuer, whatever the secret holds", () => {
      expect(loadConfig({ EXPORT_BACKEND: "aws", DATA_DIR: tempDir() }, links("")).sso).toBeNull();
      expect(loadConfig({ EXPORT_BACKEND: "aws", DATA_DIR: tempDir() }, links("left-over")).sso).toBeNull();
    });

    it("reads the client secret from the environment in local mode, never from a link", () => {
      const config = loadConfig({ DATA_DIR: tempDir(), ...SSO, OIDC_CLIENT_SECRET: "env-secret" }, links("linked-secret"));
      expect(config.sso?.clientSecret).toBe("env-secret");
      expect(() => loadConfig({ DATA_DIR: tempDir(), ...SSO }, links("linked-secret"))).toThrowError(/SSO needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together/);
    });
  });
});
