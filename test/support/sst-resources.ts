// SST linked resources for tests: the environment SST gives a process it runs.
/**
 * `SST_RESOURCE_<name>` variables: how SST hands linked resources to a process
 * it runs (`sst dev`, `sst shell`); the `sst` package's `Resource` reads them.
 * (Deployed functions get the same data from an encrypted file, SST_KEY_FILE;
 * the bundle tests use that form.)
 */
export function sstResourceEnv(resources: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { SST_RESOURCE_App: JSON.stringify({ name: "partner-export-portal", stage: "test" }) };
  for (const [name, value] of Object.entries(resources)) env[`SST_RESOURCE_${name}`] = JSON.stringify({ type: "sst.sst.Secret", ...value });
  return env;
}
