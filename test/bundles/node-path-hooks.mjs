// Module resolution hooks for lambda-runtime.mjs: ES module imports fall back to NODE_PATH, as Lambda's Node.js runtime does.
import path from "node:path";
import { pathToFileURL } from "node:url";

const dirs = (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean);

/** Bare specifiers Node cannot find from the importing file are looked up in each NODE_PATH folder, in order. */
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || /^(\.|\/|[a-z]+:)/i.test(specifier)) throw err;
    for (const dir of dirs) {
      try {
        // Resolve as if imported from a file inside that folder: Node then walks its node_modules.
        return await next(specifier, { ...context, parentURL: pathToFileURL(path.join(dir, "noop.mjs")).href });
      } catch {
        // not in this folder; try the next
      }
    }
    throw err;
  }
}
