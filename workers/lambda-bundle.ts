/**
 * How SST bundles the worker Lambdas (sst.config.ts passes `LAMBDA_NODEJS` as
 * each function's `nodejs` option; the bundle tests in test/bundles/ build
 * with the same object, so the two cannot drift). No imports: sst.config.ts
 * loads this file as is.
 *
 * - The AWS SDK v3 is left to the runtime: Lambda's Node.js 22 runtime ships
 *   it in /var/runtime/node_modules and resolves ES module imports through
 *   NODE_PATH (Node itself does not; Lambda's runtime does since Node 18).
 * - better-sqlite3 and @duckdb/node-api are native modules of the local
 *   backend only. lib/config.ts imports the local adapters dynamically, and
 *   `splitting` puts that import in a chunk of its own: without it esbuild
 *   inlines the chunk and hoists its `import` of the native packages to the
 *   top of the bundle, which then fails to load on Lambda. They are external
 *   and not installed: aws mode never loads the chunk that names them.
 */
export const RUNTIME_PROVIDED_PACKAGES = ["@aws-sdk/*", "@smithy/*"] as const;
export const LOCAL_ONLY_PACKAGES = ["better-sqlite3", "@duckdb/node-api"] as const;

/**
 * ssh2 (SFTP pushes) and its cpu-features dependency require optional native
 * addons inside try/catch. esbuild has no loader for `.node` files, so they
 * stay unbundled requires that fail on Lambda, and ssh2 uses its pure-JS
 * crypto (without this, bundling the delivery worker fails outright).
 */
export const OPTIONAL_NATIVE_ADDONS = ["*.node"] as const;

export const LAMBDA_NODEJS = {
  splitting: true,
  esbuild: { external: [...RUNTIME_PROVIDED_PACKAGES, ...LOCAL_ONLY_PACKAGES, ...OPTIONAL_NATIVE_ADDONS] },
};

/** The Lambda runtime of every worker function; its Node major is what the bundle tests load the bundles with. */
export const LAMBDA_RUNTIME = "nodejs22.x" as const;
