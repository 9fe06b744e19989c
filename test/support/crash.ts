/** Crash stand-ins for tests that a `checkpoint` cannot reach (outside the worker). */
import type { AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import { submitExport } from "@/lib/exports/service";

/** Requests an export as if the process died right after writing the record: the send never happens. */
export async function requestAndDieBeforeSend(d: AppDeps, who: Actor, body: unknown): Promise<string> {
  const send = d.queue.send.bind(d.queue);
  let created: string | undefined;
  d.queue.send = () => new Promise<never>(() => undefined); // never returns: the process "died" here
  const createExport = d.jobs.createExport.bind(d.jobs);
  d.jobs.createExport = async (rec, steps) => {
    created = rec.id;
    return createExport(rec, steps);
  };
  void submitExport(d, { claims: d.claims, limits: { maxActiveExportsPerSupplier: 5, idempotencyTtlSeconds: 3600 } }, who, body);
  for (let i = 0; i < 500 && !created; i++) await new Promise((r) => setTimeout(r, 5));
  // Let the record write land, then give the queue back to the living.
  for (let i = 0; i < 500 && !(created && (await d.jobs.getExport(created))); i++) await new Promise((r) => setTimeout(r, 5));
  d.queue.send = send;
  d.jobs.createExport = createExport;
  if (!created) throw new Error("no export was created");
  return created;
}

