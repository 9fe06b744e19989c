import type { Metadata } from "next";
import Link from "next/link";
import { forbidden } from "next/navigation";
import { describeCadence, inZone } from "@/components/schedules/describe";
import type { Cadence } from "@/components/schedules/schedule-form";
import { Card, EmptyState, PageHeader } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { listSchedulesOfSuppliers, withSchedules } from "@/lib/schedules/service";
import { listSuppliers } from "@/lib/teams/admin";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Schedules · Admin" };

/** Admins: every supplier's schedules, so "why did my Monday export not come?" has an answer without a database. */
export default async function AdminSchedulesPage() {
  const { actor } = await requireActor("/admin/schedules");
  if (actor.role !== "admin") forbidden();
  const deps = await getDeps();
  const suppliers = await listSuppliers(deps, actor);
  const names = new Map(suppliers.map((s) => [s.id, s.name]));
  const views = await listSchedulesOfSuppliers(withSchedules(deps), actor, suppliers.map((s) => s.id));
  return (
    <>
      <PageHeader
        title="Schedules"
        description={
          <>
            Every supplier&apos;s scheduled exports, most recently run first. Suppliers manage their own; see also{" "}
            <Link href="/admin/suppliers" className="font-medium text-brand-700 hover:underline">
              suppliers
            </Link>{" "}
            and{" "}
            <Link href="/admin/exports" className="font-medium text-brand-700 hover:underline">
              exports
            </Link>
            .
          </>
        }
      />
      {views.length === 0 ? (
        <EmptyState title="No schedules yet">Suppliers create schedules on their Schedules page.</EmptyState>
      ) : (
        <Card scrollLabel="Schedules">
          <table className="min-w-full text-left text-sm">
            <thead className="bg-gray-50 text-xs uppercase tracking-wide text-gray-500">
              <tr>
                <th className="px-3 py-2 font-medium">Supplier</th>
                <th className="px-3 py-2 font-medium">Name</th>
                <th className="px-3 py-2 font-medium">Dataset and timing</th>
                <th className="px-3 py-2 font-medium">Next run</th>
                <th className="px-3 py-2 font-medium">Last run</th>
                <th className="px-3 py-2 font-medium">Owner</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100">
              {views.map(({ schedule: s, lastRun }) => (
                <tr key={s.id} data-testid="admin-schedule-row" data-id={s.id}>
                  <td className="px-3 py-2">
                    {names.get(s.supplierId) ?? s.supplierId}
                    <span className="block font-mono text-xs text-gray-500">{s.supplierId}</span>
                  </td>
                  <td className="px-3 py-2 font-medium text-gray-900">{s.name}</td>
                  <td className="px-3 py-2">
                    {String(s.request.dataset)}
                    {s.incremental ? " · incremental" : ""}
                    <span className="block text-xs text-gray-600">{describeCadence(s.cadence as Cadence, s.timezone)}</span>
                  </td>
                  <td className="px-3 py-2">{s.status === "paused" ? "Paused" : s.nextRunAt ? inZone(s.nextRunAt, s.timezone) : "—"}</td>
                  <td className="px-3 py-2">
                    {lastRun ? (
                      <Link className="text-brand-700 hover:underline" href={`/exports/${lastRun.exportId}`}>
                        {s.lastRunStatus ?? lastRun.status}
                        {s.lastRunAt ? ` · ${inZone(s.lastRunAt, s.timezone)}` : ""}
                      </Link>
                    ) : (
                      "Never"
                    )}
                    {s.lastRunError ? <span className="block text-xs text-red-700">{s.lastRunError}</span> : null}
                  </td>
                  <td className="px-3 py-2 text-xs">{s.ownerEmail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </>
  );
}
