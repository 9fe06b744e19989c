/**
 * Portal users: creating them (CLI, demo seed) and checking a sign-in.
 * Storage is the `UserStore` port; hashing is `./passwords`.
 */
import { z } from "zod";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import { MEMBERSHIPS, type UserRecord, type UserStore } from "../ports";
import { MAX_PASSWORD_LENGTH, hashPassword, needsRehash, verifyPassword } from "./passwords";

/** Passwords shorter than this are refused: length is what makes a password hard to guess. */
export const MIN_PASSWORD_LENGTH = 12;

const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email("Enter a valid email address.").max(254));

export const ZCreateUserInput = z
  .object({
    email: ZEmail,
    /** Shown in the portal header; defaults to the part of the email before "@". */
    name: z.string().trim().min(1).max(100).optional(),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`)
      .max(MAX_PASSWORD_LENGTH, `Passwords can have at most ${MAX_PASSWORD_LENGTH} characters.`),
    role: z.enum(["supplier", "admin"]),
    supplierId: z
      .string()
      .regex(/^[a-z0-9_]{1,40}$/, "Supplier ids are 1-40 lower-case letters, digits and _.")
      .nullish(),
    /** Display name of the supplier; defaults to the name other users of that supplier have, else to its id. */
    supplierName: z.string().trim().min(1).max(100).nullish(),
    /** The supplier user's role in their supplier; defaults to owner (the CLI makes a supplier's first account). */
    membership: z.enum(MEMBERSHIPS).nullish(),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.role === "supplier" && !u.supplierId) {
      ctx.addIssue({ code: "custom", path: ["supplierId"], message: "A supplier user needs a supplier id." });
    }
    if (u.role === "admin" && (u.supplierId || u.supplierName || u.membership)) {
      ctx.addIssue({ code: "custom", path: ["supplierId"], message: "Admins see every supplier and belong to none." });
    }
  });
export type TCreateUserInput = z.input<typeof ZCreateUserInput>;

/**
 * Validates, hashes the password and stores a new user. Throws
 * `ApiError("validation_failed")` with field details, or `ApiError("conflict")`
 * when the email is taken.
 */
export async function createUser(users: UserStore, input: TCreateUserInput, now: Date = new Date()): Promise<UserRecord> {
  const parsed = ZCreateUserInput.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The user is not valid.", zodDetails(parsed.error));
  const u = parsed.data;
  if (await users.getUserByEmail(u.email)) throw new ApiError("conflict", `A user with the email ${u.email} already exists.`);

  const supplierId = u.role === "supplier" ? u.supplierId! : null;
  const record: UserRecord = {
    id: newId("usr", now.getTime()),
    email: u.email,
    name: u.name ?? u.email.split("@")[0],
    role: u.role,
    supplierId,
    supplierName: supplierId ? (u.supplierName ?? (await knownSupplierName(users, supplierId)) ?? supplierId) : null,
    passwordHash: await hashPassword(u.password),
    createdAt: now.toISOString(),
    membership: supplierId ? (u.membership ?? "owner") : null,
    sessionVersion: 1,
    disabledAt: null,
  };
  // The store re-checks uniqueness atomically: the lookup above only gives a friendlier early answer.
  await users.createUser(record);
  return record;
}

/** The supplier name another user of that supplier already has, so `users add --supplier sup_rose` needs no `--supplier-name`. */
async function knownSupplierName(users: UserStore, supplierId: string): Promise<string | null> {
  const all = await users.listUsers();
  return all.find((u) => u.supplierId === supplierId && u.supplierName)?.supplierName ?? null;
}

/** Compared against when the email is unknown, so an unknown email takes as long to refuse as a wrong password. */
let dummyHash: Promise<string> | undefined;

/**
 * The user whose email and password these are, or null. Unknown emails cost
 * the same scrypt work as known ones, so response times do not reveal which
 * emails have accounts. A hash made with older, weaker parameters is
 * replaced on success.
 */
export async function authenticate(users: UserStore, email: string, password: string): Promise<UserRecord | null> {
  const normalized = typeof email === "string" ? email.trim().toLowerCase() : "";
  const user = normalized && normalized.length <= 254 ? await users.getUserByEmail(normalized) : null;
  if (!user) {
    await verifyPassword(password, await (dummyHash ??= hashPassword("not-a-real-password-just-for-timing")));
    return null;
  }
  if (!(await verifyPassword(password, user.passwordHash))) return null;
  if (needsRehash(user.passwordHash)) {
    const upgraded = { ...user, passwordHash: await hashPassword(password) };
    await users.updateUser(upgraded);
    return upgraded;
  }
  return user;
}

/** Replaces a user's password (CLI `users passwd`) and ends their sessions. Same length rules as on creation. */
export async function setPassword(users: UserStore, email: string, password: string): Promise<UserRecord> {
  const user = await users.getUserByEmail(email);
  if (!user) throw new ApiError("not_found", `No user with the email ${email.trim().toLowerCase()}.`);
  const checked = ZCreateUserInput.shape.password.safeParse(password);
  if (!checked.success) throw new ApiError("validation_failed", "The password is not valid.", zodDetails(checked.error, ["password"]));
  const updated = { ...user, passwordHash: await hashPassword(password) };
  await users.updateUser(updated);
  // A new password ends every session made with the old one (issue 12 finding 5).
  const sessionVersion = (await users.bumpSessionVersion(user.id)) ?? user.sessionVersion;
  return { ...updated, sessionVersion };
}
