// The zip module's public face: a streaming writer of deterministic, ZIP64-capable archives. Imports nothing from the project.
export { createZipArchive, type ZipEntryInput, type ZipOptions, type ZipResult } from "./archive";
export { runResumableZip } from "./resumable";
export * from "./resumable-types";
