import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native modules (and pino's worker-thread transports) must be loaded by Node, not bundled.
  // ssh2 (SFTP destinations) carries an optional native addon that Turbopack cannot place in a chunk.
  serverExternalPackages: ["better-sqlite3", "@duckdb/node-api", "pino", "ssh2"],
  poweredByHeader: false,
  // Next 16 serves its dev scripts only to allowed origins: without this a page opened at 127.0.0.1 never hydrates in dev.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  // `forbidden()` renders app/forbidden.tsx with a real 403 status (admin pages for suppliers).
  experimental: { authInterrupts: true },
  // Build assets skip proxy.ts (no nonce needed); they still must not be sniffed or framed.
  async headers() {
    return [
      {
        source: "/_next/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
