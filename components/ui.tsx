/**
 * Small presentational pieces shared by the pages: button looks (for both
 * <button> and <a>), cards, page headings, notices and empty states.
 */
import Link from "next/link";

const base =
  "inline-flex items-center justify-center gap-2 rounded-md px-3.5 py-2 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 disabled:cursor-not-allowed disabled:opacity-60";

export const buttonClass = {
  primary: `${base} bg-brand-700 text-white shadow-sm hover:bg-brand-800 focus-visible:outline-brand-600`,
  secondary: `${base} border border-gray-300 bg-white text-gray-800 shadow-sm hover:bg-gray-50 focus-visible:outline-brand-600`,
  danger: `${base} border border-red-300 bg-white text-red-700 shadow-sm hover:bg-red-50 focus-visible:outline-red-600`,
  dangerSolid: `${base} bg-red-700 text-white shadow-sm hover:bg-red-800 focus-visible:outline-red-600`,
  ghost: `${base} text-gray-700 hover:bg-gray-100 focus-visible:outline-brand-600`,
} as const;

export const inputClass =
  "block w-full rounded-md border border-gray-300 bg-white px-3 py-2 text-sm text-gray-900 shadow-sm placeholder:text-gray-400 focus:border-brand-600 focus:outline-2 focus:outline-offset-0 focus:outline-brand-600/30 aria-[invalid=true]:border-red-500";

export const labelClass = "block text-sm font-medium text-gray-800";
export const helpClass = "mt-1 text-xs text-gray-500";

export function Card({ children, className = "", scrollLabel }: { children: React.ReactNode; className?: string; scrollLabel?: string }) {
  if (scrollLabel) {
    // A table wider than a phone scrolls sideways: keyboard users must be able to reach it (axe: scrollable-region-focusable).
    return (
      <section aria-label={scrollLabel} tabIndex={0} className={`rounded-lg border border-gray-200 bg-white shadow-sm ${scrollRegionClass} ${className}`}>
        {children}
      </section>
    );
  }
  return <section className={`rounded-lg border border-gray-200 bg-white shadow-sm ${className}`}>{children}</section>;
}

/**
 * Sideways scrolling for a wide table, with a focus ring: give the element tabIndex={0} and a label so keyboards reach it.
 * `relative` makes the region the containing block of absolutely placed children (the `sr-only` "Actions" header): without
 * it they are placed against the page, escape the region's clipping and widen the page (Settings was 622 px at 375 px).
 */
export const scrollRegionClass = "relative overflow-x-auto focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600";

export function PageHeader({ title, description, actions }: { title: string; description?: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight text-gray-900">{title}</h1>
        {description ? <p className="mt-1 text-sm text-gray-600">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap gap-2">{actions}</div> : null}
    </div>
  );
}

const noticeTone = {
  error: "border-red-200 bg-red-50 text-red-800",
  warning: "border-amber-200 bg-amber-50 text-amber-900",
  info: "border-sky-200 bg-sky-50 text-sky-900",
  success: "border-green-200 bg-green-50 text-green-900",
} as const;

export function Notice({
  tone = "info",
  title,
  children,
  role,
}: {
  tone?: keyof typeof noticeTone;
  title?: string;
  children?: React.ReactNode;
  role?: "alert" | "status";
}) {
  return (
    <div role={role} className={`rounded-md border px-4 py-3 text-sm ${noticeTone[tone]}`}>
      {title ? <p className="font-semibold">{title}</p> : null}
      {children ? <div className={title ? "mt-1" : ""}>{children}</div> : null}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: React.ReactNode; action?: { href: string; label: string } }) {
  return (
    <div className="rounded-lg border border-dashed border-gray-300 bg-white px-6 py-12 text-center">
      <h2 className="text-base font-semibold text-gray-900">{title}</h2>
      {children ? <div className="mx-auto mt-1 max-w-md text-sm text-gray-600">{children}</div> : null}
      {action ? (
        <Link href={action.href} className={`${buttonClass.primary} mt-5`}>
          {action.label}
        </Link>
      ) : null}
    </div>
  );
}

/** A definition list of label/value pairs, two columns from `sm` up. */
export function Facts({ items }: { items: [React.ReactNode, React.ReactNode][] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 text-sm sm:grid-cols-2">
      {items.map(([k, v], i) => (
        <div key={i} className="min-w-0">
          <dt className="text-xs font-medium uppercase tracking-wide text-gray-500">{k}</dt>
          <dd className="mt-0.5 break-words text-gray-900">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
