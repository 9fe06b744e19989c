/**
 * Exports per day as plain CSS bars (no chart library), with the numbers in a
 * table for screen readers.
 */
/** Pads the series with empty days before its first, so a short history still reads as a timeline. */
function padDays(data: { day: string; count: number }[], minDays: number): { day: string; count: number }[] {
  if (data.length >= minDays) return data;
  const first = Date.parse(`${data[0].day}T00:00:00Z`);
  const before = Array.from({ length: minDays - data.length }, (_, i) => ({
    day: new Date(first - (minDays - data.length - i) * 86_400_000).toISOString().slice(0, 10),
    count: 0,
  }));
  return [...before, ...data];
}

/** `today` (YYYY-MM-DD, UTC): its bar is labelled "Today" and marked, since it is still filling up. */
export function BarChart({ data: raw, label, minDays = 14, today }: { data: { day: string; count: number }[]; label: string; minDays?: number; today?: string }) {
  if (raw.length === 0) return <p className="text-sm text-gray-600">No exports in this period.</p>;
  const data = padDays(raw, minDays);
  const max = Math.max(1, ...data.map((d) => d.count));
  const every = Math.ceil(data.length / 8); // at most ~8 date labels under the bars
  const short = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
  return (
    <figure>
      <div aria-hidden="true" className="flex h-48 items-end gap-1 border-b border-gray-200">
        {data.map((d) => (
          <div key={d.day} className="group relative flex h-full min-w-0 flex-1 flex-col justify-end" title={`${d.day}: ${d.count}`}>
            <span className="pointer-events-none absolute -top-5 left-1/2 hidden -translate-x-1/2 whitespace-nowrap rounded bg-gray-900 px-1.5 py-0.5 text-[10px] text-white group-hover:block">
              {d.count}
            </span>
            <div
              className={`w-full rounded-t-sm transition-colors group-hover:bg-brand-700 ${d.day === today ? "bg-brand-800 ring-2 ring-brand-800/30" : "bg-brand-600/80"}`}
              style={{ height: `${Math.max(d.count > 0 ? 3 : 0, (d.count / max) * 100)}%` }}
            />
          </div>
        ))}
      </div>
      <div aria-hidden="true" className="mt-1 flex gap-1">
        {data.map((d, i) => (
          <div key={d.day} className={`min-w-0 flex-1 overflow-visible whitespace-nowrap text-center text-[10px] ${d.day === today ? "font-semibold text-gray-900" : "text-gray-600"}`}>
            {d.day === today ? "Today" : i % every === 0 && !(today && data[i + 1]?.day === today) ? short(d.day) : ""}
          </div>
        ))}
      </div>
      <figcaption className="mt-2 text-xs text-gray-600">
        {label}. Highest: {max.toLocaleString("en-US")} in a day.{today ? " Today's bar is still counting." : ""}
      </figcaption>
      <table className="sr-only">
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Exports</th>
          </tr>
        </thead>
        <tbody>
          {raw.map((d) => (
            <tr key={d.day}>
              <td>{d.day === today ? `${d.day} (today)` : d.day}</td>
              <td>{d.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
