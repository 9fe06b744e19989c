import type { Metadata } from "next";
import Link from "next/link";
import { getDeps } from "@/lib/config";

export const metadata: Metadata = { title: "API docs" };
export const dynamic = "force-dynamic";

function Code({ children, label }: { children: string; label: string }) {
  return (
    // Focusable: on a phone the block scrolls sideways, and keyboard users must be able to scroll it too (axe: scrollable-region-focusable).
    <pre aria-label={label} tabIndex={0} className="mt-2 overflow-x-auto rounded-md bg-gray-900 p-4 text-xs leading-relaxed text-gray-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600">
      <code>{children}</code>
    </pre>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section id={id} className="scroll-mt-6">
      <h2 className="mt-10 text-xl font-semibold text-gray-900">{title}</h2>
      <div className="mt-2 space-y-3 text-sm leading-6 text-gray-700">{children}</div>
    </section>
  );
}

const VERIFY_SNIPPET = `// Node 18+: verify a webhook delivery before trusting it.
import { createHmac, timingSafeEqual } from "node:crypto";

/** rawBody: the request body exactly as received (a string, before JSON.parse). */
export function verifyWebhook(secret, headers, rawBody) {
  const timestamp = headers["webhook-timestamp"];
  const signature = headers["webhook-signature"]; // "v1=<hex>"
  // Refuse old deliveries (replays): allow 5 minutes of clock skew.
  if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = "v1=" + createHmac("sha256", secret).update(\`\${timestamp}.\${rawBody}\`).digest("hex");
  return typeof signature === "string" && signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

// Express example: keep the raw body for the signature.
// app.post("/hooks/exports", express.text({ type: "application/json" }), (req, res) => {
//   if (!verifyWebhook(process.env.WEBHOOK_SECRET, req.headers, req.body)) return res.sendStatus(400);
//   const event = JSON.parse(req.body);            // {id, type, createdAt, data: {export}}
//   if (alreadySeen(event.id)) return res.sendStatus(200); // deliveries can repeat: dedupe on id
//   res.sendStatus(204);                           // answer fast (10 s limit), work afterwards
// });`;

/** How partner applications use the API: a walkthrough with curl, and webhook verification. */
export default async function ApiDocsPage() {
  const deps = await getDeps();
  const base = deps.config.settings.publicUrl;
  const { api } = deps.config;
  return (
    <main id="main" className="mx-auto w-full max-w-4xl px-4 py-8 sm:px-6">
      <p className="text-sm">
        <Link href="/exports/new" className="font-medium text-brand-700 hover:underline">
          ← Portal
        </Link>
      </p>
      <h1 className="mt-2 text-3xl font-semibold tracking-tight text-gray-900">Partner Export API</h1>
      <p className="mt-2 text-sm text-gray-700">
        Request exports of your data, follow them and download the archives from your own applications. The machine-readable description is the{" "}
        <a className="font-medium text-brand-700 hover:underline" href="/api/v1/openapi.json">
          OpenAPI 3.1 document
        </a>
        ; this page walks through the flow.
      </p>
      <nav aria-label="On this page" className="mt-4 text-sm">
        <ol className="list-inside list-decimal space-y-1 text-brand-700">
          <li><a href="#auth" className="hover:underline">Authenticate</a></li>
          <li><a href="#request" className="hover:underline">Request an export</a></li>
          <li><a href="#poll" className="hover:underline">Follow it</a></li>
          <li><a href="#download" className="hover:underline">Download</a></li>
          <li><a href="#webhooks" className="hover:underline">Webhooks</a></li>
          <li><a href="#limits" className="hover:underline">Limits and errors</a></li>
        </ol>
      </nav>

      <Section id="auth" title="1. Authenticate">
        <p>
          Create a token under <Link href="/settings" className="font-medium text-brand-700 hover:underline">Settings → API tokens</Link>. It is shown once;
          keep it in your secret store. Send it on every request. A token sees your supplier&apos;s data only; revoke it there at any time.
        </p>
        <Code label="Set the token">{`export PEP_TOKEN="pep_xxxxxxxxxxxx_…"
export PEP="${base}/api/v1"
curl -s "$PEP/datasets" -H "Authorization: Bearer $PEP_TOKEN"`}</Code>
      </Section>

      <Section id="request" title="2. Request an export">
        <p>
          Send an <code>Idempotency-Key</code> (any unique string up to 255 characters, e.g. a UUID) so that retrying after a timeout cannot start a
          second export: the same key and body return the same export (<code>200</code>) for 24 hours; the same key with a different body is a{" "}
          <code>409</code>. A new export answers <code>202</code>.
        </p>
        <Code label="Request an export">{`curl -s -X POST "$PEP/exports" \\
  -H "Authorization: Bearer $PEP_TOKEN" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: $(uuidgen)" \\
  -d '{"dataset": "product_inventory", "params": {"lowStockOnly": true}, "format": "csv"}'

# 202 {"export": {"id": "exp_01…", "status": "queued", …}}`}</Code>
        <p>
          Without a key, an identical request (same dataset, filters, format) while one is still queued or running returns that export with{" "}
          <code>200</code>, <code>{`"deduplicated": true`}</code> and the header <code>X-Export-Deduplicated: true</code>.
        </p>
      </Section>

      <Section id="poll" title="3. Follow it">
        <p>
          Poll every few seconds (or use a webhook) until <code>status</code> is <code>ready</code>, <code>failed</code> or <code>cancelled</code>. The{" "}
          <code>steps</code> list shows what happened so far.
        </p>
        <Code label="Poll an export">{`ID=exp_01…
while :; do
  STATUS=$(curl -s "$PEP/exports/$ID" -H "Authorization: Bearer $PEP_TOKEN" | jq -r .export.status)
  echo "$STATUS"
  case "$STATUS" in ready|failed|cancelled|expired) break;; esac
  sleep 5
done`}</Code>
      </Section>

      <Section id="download" title="4. Download">
        <p>
          The download URL redirects to a short-lived signed link; <code>-L</code> follows it and <code>-OJ</code> keeps the file name we send.
        </p>
        <Code label="Download the archive">{`curl -L -OJ "$PEP/exports/$ID/download" -H "Authorization: Bearer $PEP_TOKEN"`}</Code>
      </Section>

      <Section id="webhooks" title="5. Webhooks">
        <p>
          Register an HTTPS endpoint under <Link href="/settings" className="font-medium text-brand-700 hover:underline">Settings → Webhooks</Link> for{" "}
          <code>export.ready</code>, <code>export.failed</code> and <code>export.delivered</code> (a scheduled run pushed to all its destinations). Each delivery is a JSON POST:
        </p>
        <Code label="A delivery">{`POST /hooks/exports
Content-Type: application/json
Webhook-Id: whd_…                 (the same on every retry of one delivery: dedupe on it)
Webhook-Timestamp: 1795760000     (Unix seconds)
Webhook-Signature: v1=5d41402abc4b2a76b9719d911017c592…

{"id": "whd_…", "type": "export.ready", "createdAt": "2026-11-27T06:30:00.000Z",
 "data": {"export": {"id": "exp_01…", "status": "ready", …}}}`}</Code>
        <p>
          The signature is the hex HMAC-SHA256, keyed with the endpoint&apos;s signing secret, of <code>{"`${timestamp}.${body}`"}</code>. Answer any{" "}
          <code>2xx</code> within 10 seconds; anything else (a redirect too) is retried with exponential backoff for 24 hours. Each attempt is logged
          under the endpoint&apos;s deliveries in Settings.
        </p>
        <Code label="Verify a delivery in Node">{VERIFY_SNIPPET}</Code>
      </Section>

      <Section id="limits" title="6. Limits and errors">
        <p>
          Up to {api.maxActiveExportsPerSupplier} exports may be queued or running at once per supplier, and {api.requestsPerMinute} requests a minute per
          token. Beyond either you get <code>429</code> with a <code>Retry-After</code> header in seconds.
        </p>
        <p>
          Every error has the same shape: <code>{`{"error": {"code": "rate_limited", "message": "…", "details": [...]}}`}</code>. A revoked or unknown
          token gets <code>401</code> with <code>WWW-Authenticate: Bearer</code>; another supplier&apos;s export is a <code>404</code>.
        </p>
      </Section>
    </main>
  );
}
