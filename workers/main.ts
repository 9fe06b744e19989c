// `npm run worker` – runs the export worker as a plain process against the configured backend.
import { getDeps } from "@/lib/config";
import { tickSchedules } from "@/lib/schedules/runs";
import { runWorker } from "./runner";

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
  await runWorker(
    { ...deps, log },
    {
      concurrency: deps.config.env.WORKER_CONCURRENCY,
      deliveryConcurrency: deps.config.env.DELIVERY_CONCURRENCY,
      signal: controller.signal,
      scheduler: { tick: () => tickSchedules({ ...deps, log }), intervalMs: deps.config.schedules.tickSeconds * 1000 },
    },
  );
  await deps.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
