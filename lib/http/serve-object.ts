import { Readable } from "node:stream";
import type { ObjectStore } from "@/lib/ports";
import { ObjectNotFoundError } from "@/lib/core/errors";
import { contentDisposition } from "@/lib/object-keys";
import { parseRange } from "./range";

/**
 * The response for a verified download: the object streamed as an attachment
 * named `filename`, honouring a single-range `Range` header (resumed downloads).
 */
export async function serveObject(
  store: ObjectStore,
  key: string,
  filename: string,
  rangeHeader: string | null,
): Promise<Response> {
  const object = await store.head(key);
  if (!object) return notFound();
  const size = object.bytes;
  const headers = new Headers({
    "Content-Type": key.toLowerCase().endsWith(".zip") ? "application/zip" : "application/octet-stream",
    "Accept-Ranges": "bytes",
    "Content-Disposition": contentDisposition(filename),
    "Cache-Control": "private, no-store",
  });

  const range = parseRange(rangeHeader, size);
  if (range.kind === "unsatisfiable") {
    headers.set("Content-Range", `bytes */${size}`);
    headers.delete("Content-Disposition");
    headers.delete("Content-Type");
    return new Response(null, { status: 416, headers });
  }

  let stream: Readable;
  try {
    stream = await store.openRead(key, range.kind === "partial" ? { start: range.start, end: range.end } : undefined);
  } catch (err) {
    // Deleted between head() and openRead() (e.g. by the expiry sweep).
    if (err instanceof ObjectNotFoundError) return notFound();
    throw err;
  }
  const body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
  if (range.kind === "partial") {
    headers.set("Content-Length", String(range.end - range.start + 1));
    headers.set("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
    return new Response(body, { status: 206, headers });
  }
  headers.set("Content-Length", String(size));
  return new Response(body, { status: 200, headers });
}

function notFound(): Response {
  return Response.json(
    { error: { code: "not_found", message: "This file no longer exists. Open the export page to see its status." } },
    { status: 404, headers: { "Cache-Control": "no-store" } },
  );
}
