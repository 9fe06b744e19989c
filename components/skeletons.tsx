/** Placeholders shown while a list page loads (its loading.tsx). */
export function ListSkeleton({ title, withFigures = false }: { title: string; withFigures?: boolean }) {
  return (
    <div role="status" aria-live="polite">
      <span className="sr-only">Loading {title.toLowerCase()}…</span>
      <div aria-hidden="true" className="animate-pulse space-y-4">
        <div className="mb-6">
          <div className="h-7 w-48 rounded bg-gray-200" />
          <div className="mt-2 h-4 w-80 max-w-full rounded bg-gray-200" />
        </div>
        <div className="h-20 rounded-lg border border-gray-200 bg-white" />
        {withFigures ? (
          <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
            <div className="h-56 rounded-lg border border-gray-200 bg-white lg:col-span-2" />
            <div className="h-56 rounded-lg border border-gray-200 bg-white" />
          </div>
        ) : null}
        <div className="space-y-px overflow-hidden rounded-lg border border-gray-200 bg-white">
          {Array.from({ length: 6 }, (_, i) => (
            <div key={i} className="h-12 bg-white odd:bg-gray-50" />
          ))}
        </div>
      </div>
    </div>
  );
}
