/**
 * The "ready" and "failed" emails. They link to the export's page in the
 * portal, never to a raw signed URL: the page (or the download route behind
 * it) signs a fresh URL each time, so the link never goes stale.
 */
import { getDataset, paramLabel } from "../datasets/catalog";
import { isNoRows, NO_ROWS_MESSAGE, supplierFailureMessage } from "./outcome";
import type { MailMessage } from "../ports";
import { describeFormat, formatBytes } from "./format";
import type { ExportRecord } from "./model";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** The filters as the form labels them ("SKU prefix: ROSE"), dates with their time zone. */
function describeFilters(record: ExportRecord): string {
  const entries = Object.entries(record.params).filter(([, v]) => v !== undefined && v !== null);
  if (entries.length === 0) return "none (all rows)";
  const value = (v: unknown) => {
    if (v === true) return "yes";
    if (v === false) return "no";
    if (Array.isArray(v)) return v.join(", ");
    const text = String(v);
    return /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text} (UTC)` : text;
  };
  return entries.map(([k, v]) => `${paramLabel(record.dataset, k)}: ${value(v)}`).join("; ");
}

/** Who the export is for, by name: the supplier's display name, or "All suppliers". */
export interface EmailContext {
  publicUrl: string;
  supplierName: string | null;
}

function layout(title: string, rows: [string, string][], link: string, linkText: string, note: string): string {
  const body = rows
    .map(([k, v]) => `<tr><td style="padding:4px 12px 4px 0;color:#555">${escapeHtml(k)}</td><td style="padding:4px 0">${escapeHtml(v)}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;color:#111;max-width:560px">
<h1 style="font-size:20px">${escapeHtml(title)}</h1>
<table style="border-collapse:collapse;font-size:14px">${body}</table>
<p><a href="${escapeHtml(link)}" style="display:inline-block;background:#be185d;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(linkText)}</a></p>
<p style="font-size:12px;color:#666">Or open this address: ${escapeHtml(link)}</p>
<p style="font-size:12px;color:#666">${escapeHtml(note)}</p>
</body></html>`;
}

/** "4 Dec 2026, 05:12 UTC": mail clients show text as is, so the date must read well everywhere. */
function formatUtc(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const day = d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  return `${day}, ${d.toISOString().slice(11, 16)} UTC`;
}

export function exportPageUrl(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/$/, "")}/exports/${id}`;
}

export function renderReadyEmail(record: ExportRecord, ctx: EmailContext): MailMessage {
  const title = getDataset(record.dataset)?.title ?? record.dataset;
  const link = exportPageUrl(ctx.publicUrl, record.id);
  const supplier = record.supplierId ? (ctx.supplierName ?? record.supplierId) : "All suppliers";
  if (isNoRows(record)) {
    const rows: [string, string][] = [
      ["Dataset", title],
      ["Supplier", supplier],
      ["Filters", describeFilters(record)],
    ];
    const note = "Nothing was wrong with the export itself: the filters matched nothing. Change them on the export form and run it again.";
    const heading = `Your ${title} export finished: no rows matched`;
    return {
      to: record.requesterEmail,
      subject: heading,
      text: [`${NO_ROWS_MESSAGE} There is no file to download.`, "", ...rows.map(([k, v]) => `${k}: ${v}`), "", `Export page: ${link}`, "", note].join("\n"),
      html: layout(heading, [["Result", NO_ROWS_MESSAGE], ...rows], link, "Open the export", note),
      idempotencyKey: `export-ready-${record.id}`,
    };
  }
  const rows: [string, string][] = [
    ["Dataset", title],
    ["Supplier", supplier],
    ["Filters", describeFilters(record)],
    ["Format", describeFormat(record)],
    ["Rows", (record.rowCount ?? 0).toLocaleString("en-US")],
    ["Size", formatBytes(record.archiveBytes ?? 0)],
    ["Available until", formatUtc(record.expiresAt)],
  ];
  const note = "The download link on the export page is created fresh each time you open it.";
  return {
    to: record.requesterEmail,
    subject: `Your ${title} export is ready`,
    text: [`Your ${title} export is ready.`, "", ...rows.map(([k, v]) => `${k}: ${v}`), "", `Download it from the export page: ${link}`, "", note].join("\n"),
    html: layout(`Your ${title} export is ready`, rows, link, "Open the export", note),
    idempotencyKey: `export-ready-${record.id}`,
  };
}

/** The failure in plain words (`supplierFailureMessage`): the raw error text stays in the logs and the admin view. */
export function renderFailedEmail(record: ExportRecord, ctx: EmailContext): MailMessage {
  const title = getDataset(record.dataset)?.title ?? record.dataset;
  const link = exportPageUrl(ctx.publicUrl, record.id);
  const rows: [string, string][] = [
    ["Dataset", title],
    ["Supplier", record.supplierId ? (ctx.supplierName ?? record.supplierId) : "All suppliers"],
    ["Filters", describeFilters(record)],
    ["What happened", supplierFailureMessage(record)],
    ["Export id", record.id],
  ];
  const note = "You can run it again from the export page.";
  return {
    to: record.requesterEmail,
    subject: `Your ${title} export failed`,
    text: [`Your ${title} export failed.`, "", ...rows.map(([k, v]) => `${k}: ${v}`), "", `Details: ${link}`, "", note].join("\n"),
    html: layout(`Your ${title} export failed`, rows, link, "See what happened", note),
    idempotencyKey: `export-failed-${record.id}-${record.attempts}`,
  };
}
