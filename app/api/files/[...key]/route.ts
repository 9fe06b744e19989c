// GET /api/files/{key} – serves a local signed download URL
import { getDeps } from "@/lib/config";
import { serveObject } from "@/lib/http/serve-object";

export async function GET(req: Request, ctx: { params: Promise<{ key: string[] }> }): Promise<Response> {
  // Next hands catch-all segments over already percent-decoded; decoding again would corrupt keys containing "%".
  const key = (await ctx.params).key.join("/");
  const store = (await getDeps()).archiveStore;
  const verdict = await store.verifySignedRequest(key, new URL(req.url).searchParams);
  if (verdict === "not-served-here") {
    return Response.json({ error: { code: "not_found", message: "Not found." } }, { status: 404 });
  }
  if (verdict === "forbidden") {
    return Response.json(
      {
        error: {
          code: "forbidden",
          message: "This download link is invalid or has expired. Open the export page to get a fresh one.",
        },
      },
      { status: 403, headers: { "Cache-Control": "no-store" } },
    );
  }
  return serveObject(store, verdict.key, verdict.filename, req.headers.get("range"));
}
