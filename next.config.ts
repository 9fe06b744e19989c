import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native modules (and pino's worker-thread transports) must be loaded by Node, not bundled.
  serverExternalPackages: ["better-sqlite3", "@duckdb/node-api", "pino"],
  poweredByHeader: false,
};

export default nextConfig;
