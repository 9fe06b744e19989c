// `npm run worker` – runs the export worker as a plain process against the configured backend.
import { pruneAudit } from "@/lib/audit/audit";
import { getDeps } from "@/lib/config";
import { tickSchedules } from "@/lib/schedules/runs";
import { tuneWorkerHeap } from "./heap";
import { runWorker } from "./runner";

tuneWorkerHeap();

async function main(): Promise<void> {
  const deps = await getDeps();
  const log = deps.log.child({ component: "worker" });
  const controller = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, "shutdown requested");
      controller.abort();
    });
  }
  // The audit log's retention (AUDIT_RETENTION_DAYS), at start and hourly.
  const prune = () =>
    pruneAudit(deps, deps.config.teams.auditRetentionDays).then(
      (n) => n > 0 && log.info({ removed: n }, "pruned the audit log"),
      (err: unknown) => log.error({ err }, "audit log prune failed"),
    );
  void prune();
  const pruneTimer = setInterval(() => void prune(), 3_600_000);
  pruneTimer.unref();
  await runWorker(
    { ...deps, log },
    {
      concurrency: deps.config.env.WORKER_CONCURRENCY,
      deliveryConcurrency: deps.config.env.DELIVERY_CONCURRENCY,
      signal: controller.signal,
      scheduler: { tick: () => tickSchedules({ ...deps, log }), intervalMs: deps.config.schedules.tickSeconds * 1000 },
    },
  );
  clearInterval(pruneTimer);
  await deps.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
