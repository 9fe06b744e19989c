/**
 * The queue message schema, shared by the side that sends (routes, the worker's
 * poll) and the side that receives (workers re-validate every body).
 */
import { z } from "zod";
import { ZExportIdPattern } from "./ids";

export const ZExportMessage = z.object({
  type: z.literal("export.process"),
  exportId: z.string().regex(ZExportIdPattern),
  /** Why it was sent; for logs only. */
  reason: z.enum(["requested", "poll", "retry"]).default("requested"),
});
export type TExportMessage = z.infer<typeof ZExportMessage>;

export function exportMessage(exportId: string, reason: TExportMessage["reason"]): TExportMessage {
  return { type: "export.process", exportId, reason };
}
