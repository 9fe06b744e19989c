import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native modules (and pino's worker-thread transports) must be loaded by Node, not bundled.
  serverExternalPackages: ["better-sqlite3", "@duckdb/node-api", "pino"],
  poweredByHeader: false,
  // `forbidden()` renders app/forbidden.tsx with a real 403 status (admin pages for suppliers).
  experimental: { authInterrupts: true },
};

export default nextConfig;
