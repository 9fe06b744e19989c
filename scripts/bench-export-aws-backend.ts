// The AWS emulators and the fake Redshift for `bench:export --backend aws`, in a process of their
// own, so the bench's CPU figures are the worker's alone: s3rver, the SigV4 gate, dynalite,
// local-aws-sqs and the fake Redshift's DuckDB query and gzip (the cluster's work) all run here.
//
// Started by scripts/bench-export-aws.ts with an IPC channel. Between the worker and S3 sits a
// counting TCP proxy: every byte the worker sends to S3 (uploads) or receives from it (downloads),
// headers included, is counted; a part copied server-side (UploadPartCopy) never crosses it.
// Messages: {type:"counts"} -> {type:"counts", up, down}; on start it sends {type:"ready", env, dbPath}.
import net from "node:net";
import { startAwsBackend } from "@/test/support/aws-backend";

interface Counts {
  up: number;
  down: number;
}

/** A TCP proxy to `target` that counts the bytes each way. */
async function countingProxy(target: URL, counts: Counts): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (d: Buffer) => (counts.up += d.length));
    upstream.on("data", (d: Buffer) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const rows = Number(process.env.BENCH_ROWS);
  const dbPath = process.env.BENCH_DB_PATH;
  if (!process.send || !dbPath || !Number.isInteger(rows)) throw new Error("start this through scripts/bench-export-aws.ts");
  const backend = await startAwsBackend({ rows, dbPath });
  backend.redshift.setSlices(Number(process.env.BENCH_SLICES ?? "2"));
  const counts: Counts = { up: 0, down: 0 };
  const proxy = await countingProxy(new URL(backend.env.AWS_ENDPOINT_URL_S3), counts);
  const stop = async () => {
    await proxy.close();
    await backend.stop();
    process.exit(0);
  };
  process.on("message", (m: { type: string }) => {
    if (m.type === "counts") process.send!({ type: "counts", ...counts });
    if (m.type === "stop") void stop();
  });
  process.on("disconnect", () => void stop());
  process.send({ type: "ready", env: { ...backend.env, AWS_ENDPOINT_URL_S3: proxy.url }, dbPath: backend.dbPath });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
