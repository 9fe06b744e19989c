/**
 * What /dev/mail may show (issue 12, finding 8): the local outbox holds every
 * supplier's mail, so a supplier sees only mail addressed to them; admins
 * see all. The page itself exists only in local mode.
 */
import type { Actor } from "../core/actor";
import type { Mailer, SentMail } from "../ports";

/** How far back a supplier's own mail is looked for among everyone's. */
const SCAN_LIMIT = 2_000;

/** The newest `limit` sent mails `actor` may read, or null when the mailer keeps no copies. */
export async function listOutboxFor(mailer: Mailer, actor: Actor, limit: number): Promise<SentMail[] | null> {
  if (actor.role === "admin") return mailer.listSent(limit);
  const all = await mailer.listSent(SCAN_LIMIT);
  if (all === null) return null;
  const me = actor.email.trim().toLowerCase();
  return all.filter((m) => m.to.trim().toLowerCase() === me).slice(0, limit);
}
