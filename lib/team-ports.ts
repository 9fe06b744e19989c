/**
 * The ports of suppliers and the audit log (issue 15), re-exported by
 * `lib/ports.ts`. Every adapter passes the contract suite in
 * `test/contracts/` for its port.
 */

/* -------------------------------------------------------------- SupplierStore */

/** A supplier company. Users belong to one through `UserRecord.supplierId`. */
export interface SupplierRecord {
  /** `sup_<slug>`: appears in exports and tokens, never changes. */
  id: string;
  name: string;
  createdAt: string;
  /** When an admin disabled it: its users cannot sign in and their sessions and tokens are refused. */
  disabledAt: string | null;
}

/** Suppliers. Lives next to the users (same SQLite file / DynamoDB table). */
export interface SupplierStore {
  /** Creates a supplier; throws `ApiError("conflict")` when the id is taken. */
  createSupplier(supplier: SupplierRecord): Promise<void>;
  getSupplier(id: string): Promise<SupplierRecord | null>;
  /** Every supplier, by id. */
  listSuppliers(): Promise<SupplierRecord[]>;
  /** Replaces name and disabledAt (never id or createdAt); throws `ApiError("not_found")` when there is none. */
  updateSupplier(supplier: SupplierRecord): Promise<void>;
}

/* ----------------------------------------------------------------- AuditStore */

/** One thing someone did, as the audit log keeps it. Entries are never changed. */
export interface AuditEntry {
  /** `aud_<ulid-like>`: sorts by time. */
  id: string;
  at: string;
  /** e.g. `signin`, `signin.failed`, `export.requested`, `token.created`, `member.invited` (lib/audit/audit.ts lists them). */
  action: string;
  /** The user who acted, null when unknown (a failed sign-in with an unknown email). */
  actorId: string | null;
  /** Their email (kept: the user may be removed later), or the email tried for a failed sign-in. */
  actorEmail: string | null;
  /** "session", "token:<id>" or "system". */
  via: string;
  /** The supplier the entry is about; null for admin-only events. Owners see their supplier's entries. */
  supplierId: string | null;
  /** What was acted on, e.g. `export:exp_…`, `user:usr_…`, `token:tok_…`. */
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  /** A short readable note, e.g. "role member -> viewer". */
  detail: string | null;
}

export interface AuditQuery {
  /** Undefined: every supplier (admins). */
  supplierId?: string;
  action?: string;
  /** Exact actor email. */
  actorEmail?: string;
  /** ISO bounds on `at`, inclusive from, exclusive to. */
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** The audit log: append-only, newest first on read, pruned only by age. */
export interface AuditStore {
  /** Appends one entry; an id that exists already is a no-op (a retried append), never an overwrite. */
  append(entry: AuditEntry): Promise<void>;
  /**
   * Entries newest first (by `at`, then id), filtered. Cursor pagination: pass
   * back `nextCursor`; a malformed cursor throws `ApiError("bad_request")`.
   */
  list(query: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }>;
  /**
   * Deletes entries older than `before` (retention). The only deletion there
   * is. On DynamoDB the table's TTL does this too; returns how many it removed here.
   */
  prune(before: string): Promise<number>;
}
