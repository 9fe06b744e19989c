/**
 * The export domain's queue message: sent by the service (new export,
 * cancel, retry) and the worker's poll; received by workers/dispatch.ts,
 * which re-validates every body against the union of all messages
 * (workers/messages.ts) and dispatches on `type`.
 */
import { z } from "zod";
import { ZExportIdPattern } from "../core/ids";

export const ZExportMessage = z.object({
  type: z.literal("export.process"),
  exportId: z.string().regex(ZExportIdPattern),
  /** Why it was sent; for logs only. */
  reason: z.enum(["requested", "poll", "retry", "continue"]).default("requested"),
});
export type TExportMessage = z.infer<typeof ZExportMessage>;

export function exportMessage(exportId: string, reason: TExportMessage["reason"]): TExportMessage {
  return { type: "export.process", exportId, reason };
}

/**
 * Send options for an export's messages: the queue shares deliveries fairly between suppliers
 * (admins' all-supplier exports are one more share), so one supplier's burst cannot starve the rest.
 */
export function exportSendOptions(record: { supplierId: string | null }, delaySeconds?: number): { fairShareKey: string; delaySeconds?: number } {
  return { fairShareKey: record.supplierId ?? "all-suppliers", ...(delaySeconds === undefined ? {} : { delaySeconds }) };
}

