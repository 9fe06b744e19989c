import type { SentMail } from "@/lib/ports";
import { RelativeTime } from "./relative-time";

/** Turns the http(s) URLs of a plain-text email into links. */
function linkify(text: string): React.ReactNode[] {
  return text.split(/(https?:\/\/[^\s<>"']+)/g).map((part, i) =>
    /^https?:\/\//.test(part) ? (
      <a key={i} href={part} className="text-brand-700 underline">
        {part}
      </a>
    ) : (
      part
    ),
  );
}

/**
 * Sent emails, newest first; each opens (a native <details>, so no script is
 * needed) to its text and its HTML, the latter in a sandboxed iframe so the
 * message's markup cannot run anything or touch the portal.
 */
export function MailList({ mails }: { mails: SentMail[] }) {
  return (
    <ul className="space-y-3">
      {mails.map((m) => (
        <li key={m.messageId} data-message-id={m.messageId}>
          <details className="group rounded-lg border border-gray-200 bg-white shadow-sm open:ring-1 open:ring-brand-600/30">
            <summary className="flex cursor-pointer list-none flex-col gap-1 rounded-lg px-4 py-3 hover:bg-gray-50 sm:flex-row sm:items-center sm:gap-4 [&::-webkit-details-marker]:hidden">
              <span aria-hidden="true" className="hidden text-gray-400 transition-transform group-open:rotate-90 sm:inline">
                ▸
              </span>
              <span className="min-w-0 flex-1">
                <span className="block truncate font-medium text-gray-900">{m.subject}</span>
                <span className="block truncate text-xs text-gray-500">To {m.to}</span>
              </span>
              <RelativeTime iso={m.sentAt} className="shrink-0 text-xs text-gray-500" />
            </summary>
            <div className="space-y-4 border-t border-gray-100 px-4 py-4">
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs">
                <dt className="text-gray-500">From</dt>
                <dd className="break-all text-gray-900">{m.from}</dd>
                <dt className="text-gray-500">To</dt>
                <dd className="break-all text-gray-900">{m.to}</dd>
                <dt className="text-gray-500">Message id</dt>
                <dd className="break-all font-mono text-gray-900">{m.messageId}</dd>
              </dl>
              <section>
                <h3 className="text-xs font-medium uppercase tracking-wide text-gray-500">Text</h3>
                <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-words rounded-md bg-gray-50 p-3 font-mono text-xs text-gray-900" data-testid="mail-text">
                  {linkify(m.text)}
                </pre>
              </section>
              <section>
                <h3 className="text-xs font-medium uppercase tracking-wide text-gray-500">HTML</h3>
                <iframe
                  title={`HTML of “${m.subject}”`}
                  srcDoc={m.html}
                  sandbox=""
                  className="mt-1 h-96 w-full rounded-md border border-gray-200 bg-white"
                />
              </section>
            </div>
          </details>
        </li>
      ))}
    </ul>
  );
}
