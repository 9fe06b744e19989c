import type { ExportStep } from "@/lib/exports/model";
import { describeStep, STEP_LABEL } from "./format";
import { RelativeTime } from "./relative-time";

const DOT: Partial<Record<ExportStep["step"], string>> = {
  ready: "bg-green-600",
  notified: "bg-green-600",
  failed: "bg-red-600",
  retrying: "bg-amber-500",
  cancelled: "bg-gray-500",
  expired: "bg-amber-600",
  retried: "bg-brand-600",
};

/**
 * The export's append-only step history, oldest first, with relative times (exact time on hover).
 * `noRows`: it finished with nothing to download, so its last step is not "Ready to download".
 * `viewer`: whose page it is (admins also see the warehouse statement id).
 */
export function StepTimeline({ steps, pending, noRows = false, viewer }: { steps: ExportStep[]; pending?: string | null; noRows?: boolean; viewer: "supplier" | "admin" }) {
  if (steps.length === 0 && !pending) return <p className="text-sm text-gray-600">No steps recorded yet.</p>;
  return (
    <ol className="relative space-y-4 border-l border-gray-200 pl-5" aria-label="Steps">
      {steps.map((s, i) => {
        const details = describeStep(s, viewer);
        return (
          <li key={`${s.at}-${s.step}-${i}`} className="relative" data-step={s.step}>
            <span aria-hidden="true" className={`absolute -left-[25px] top-1.5 size-2.5 rounded-full ring-4 ring-white ${DOT[s.step] ?? "bg-gray-400"}`} />
            {/* The time under the title, always: beside it, long titles pushed some times under and left others beside (misaligned). */}
            <div className="flex flex-col gap-y-0.5">
              <p className="text-sm font-medium text-gray-900">{noRows && s.step === "ready" ? "Finished: no rows matched" : (STEP_LABEL[s.step] ?? s.step)}</p>
              <RelativeTime iso={s.at} className="text-xs text-gray-500 tabular-nums" />
            </div>
            {details.length > 0 ? (
              <p className={`mt-0.5 break-words text-xs ${s.step === "failed" ? "text-red-700" : "text-gray-600"}`}>{details.join(" · ")}</p>
            ) : null}
          </li>
        );
      })}
      {pending ? (
        <li className="relative">
          <span aria-hidden="true" className="absolute -left-[25px] top-1.5 size-2.5 animate-pulse rounded-full bg-sky-500 ring-4 ring-white" />
          <p className="text-sm italic text-gray-600">{pending}</p>
        </li>
      ) : null}
    </ol>
  );
}
