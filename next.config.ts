import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native modules (and pino's worker-thread transports) must be loaded by Node, not bundled.
  // ssh2 (SFTP destinations) carries an optional native addon that Turbopack cannot place in a chunk.
  serverExternalPackages: ["better-sqlite3", "@duckdb/node-api", "pino", "ssh2"],
  poweredByHeader: false,
  // `forbidden()` renders app/forbidden.tsx with a real 403 status (admin pages for suppliers).
  experimental: { authInterrupts: true },
};

export default nextConfig;
