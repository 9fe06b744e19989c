/**
 * What an API token may be allowed to do. A token acts within both its scopes
 * and its creator's current membership: demoting the creator narrows the token.
 */
export const TOKEN_SCOPES = ["exports:read", "exports:write", "webhooks:manage", "audit:read"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What each scope allows, for Settings and the OpenAPI document. */
export const SCOPE_DESCRIPTIONS: Record<TokenScope, string> = {
  "exports:read": "list and read exports, download archives, list datasets",
  "exports:write": "request and cancel exports",
  "webhooks:manage": "list, register and delete webhook endpoints and read their deliveries",
  "audit:read": "read the supplier's audit log",
};

/** Tokens made before scopes existed carried all of a supplier's rights: they keep those they had. */
export const LEGACY_TOKEN_SCOPES: readonly TokenScope[] = ["exports:read", "exports:write", "webhooks:manage"];
