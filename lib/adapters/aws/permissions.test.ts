/**
 * lib/adapters/aws/permissions.ts lists every AWS SDK command the adapters
 * send; this holds the list to the adapter files' imports, so a command added
 * to an adapter without a permission (or a permission left for a command no
 * longer sent) fails here, and sst-config.test.ts then checks the grant.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AWS_SDK_PERMISSIONS } from "@/lib/adapters/aws/permissions";
import { SST_LINKS } from "@/lib/adapters/aws/settings";

const DIR = import.meta.dirname;

/** Value imports from @aws-sdk/* that send a request: `...Command` classes and lib-storage's `Upload`. */
export function sdkCommands(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+["'](@aws-sdk\/[^"']+)["']/g)) {
    if (m[1]) continue;
    for (const raw of m[2]!.split(",")) {
      const spec = raw.trim();
      if (!spec || spec.startsWith("type ")) continue;
      const name = spec.split(/\s+as\s+/)[0]!.trim();
      if (/Command$/.test(name) || (name === "Upload" && m[3] === "@aws-sdk/lib-storage")) names.push(name);
    }
  }
  return [...new Set(names)].sort();
}

const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

describe("AWS SDK commands and their permissions", () => {
  it.each(files)("%s sends only listed commands, and every listed one", (file) => {
    const imported = sdkCommands(readFileSync(path.join(DIR, file), "utf8"));
    const listed = (AWS_SDK_PERMISSIONS[file] ?? []).map((p) => p.command).sort();
    expect(listed).toEqual(imported);
  });

  it("lists no file that is not an adapter", () => {
    expect(Object.keys(AWS_SDK_PERMISSIONS).filter((f) => !files.includes(f))).toEqual([]);
  });

  it("names only linked resources of settings.ts (SST_LINKS) as targets", () => {
    const targets = Object.values(AWS_SDK_PERMISSIONS).flat().flatMap((p) => p.on);
    const links = targets.filter((t) => t !== "*" && !t.startsWith("email:")).map((t) => t.split("/")[0]!);
    expect(links.filter((l) => !(l in SST_LINKS))).toEqual([]);
  });

  it("gives every grant on '*' a reason", () => {
    const unexplained = Object.values(AWS_SDK_PERMISSIONS).flat().filter((p) => p.on.includes("*") && !p.why);
    expect(unexplained).toEqual([]);
  });

  it("finds the commands an import names, and ignores type-only imports", () => {
    expect(sdkCommands(`import { A, GetObjectCommand, type HeadObjectCommand, PutCommand as Put } from "@aws-sdk/client-s3";\nimport type { SendMessageCommand } from "@aws-sdk/client-sqs";\nimport { Upload } from "@aws-sdk/lib-storage";`)).toEqual([
      "GetObjectCommand",
      "PutCommand",
      "Upload",
    ]);
  });
});
