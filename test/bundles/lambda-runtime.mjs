// A stand-in for Lambda's Node.js runtime, run by the Lambda runtime's own Node binary (see node-binary.ts) from the task folder.
/**
 * What it reproduces of Lambda's Node.js runtime (nodejs22.x):
 * - the handler module is imported from the task folder (cwd) by file name,
 *   `<file>.<export>` as in the function's `handler` setting;
 * - ES module imports of packages not in the task folder are resolved
 *   through NODE_PATH (Lambda's runtime does this since Node 18; plain Node
 *   does not), which is how the runtime's AWS SDK is found;
 * - one container: the module is loaded once, then invoked once per event
 *   (warm invocations share module state, as getDeps() relies on);
 * - each invocation gets a context with getRemainingTimeInMillis and awsRequestId.
 * Events arrive over the IPC channel as { id, event, timeoutMs }; answers go back as { id, result } or { id, error }.
 * { id, probe: "sharedObjects" } answers with the shared libraries loaded (native addons included).
 */
import { randomUUID } from "node:crypto";
import { register } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

register(new URL("./node-path-hooks.mjs", import.meta.url));

const [file, exportName] = splitHandler(process.env._HANDLER ?? "");
const started = Date.now();
let mod;
try {
  mod = await import(pathToFileURL(path.join(process.cwd(), file)).href);
} catch (err) {
  process.send({ init: "error", error: String(err?.stack ?? err) });
  process.exit(1);
}
const handler = mod[exportName];
if (typeof handler !== "function") {
  process.send({ init: "error", error: `${file} exports no function ${exportName}` });
  process.exit(1);
}
process.send({ init: "ok", initMs: Date.now() - started });

process.on("message", async ({ id, event, timeoutMs, probe }) => {
  // Not Lambda: lets a test see which native addons (.node files) the process has loaded so far.
  if (probe === "sharedObjects") return process.send({ id, result: process.report.getReport().sharedObjects });
  const deadline = Date.now() + timeoutMs;
  const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  try {
    process.send({ id, result: await handler(event, context) });
  } catch (err) {
    process.send({ id, error: String(err?.stack ?? err) });
  }
});

function splitHandler(h) {
  const dot = h.lastIndexOf(".");
  if (dot <= 0) throw new Error(`_HANDLER must be <file>.<export>, got ${JSON.stringify(h)}`);
  // Lambda looks for <file>.mjs, then <file>.js, then <file>.cjs; SST writes .mjs.
  return [`${h.slice(0, dot)}.mjs`, h.slice(dot + 1)];
}
