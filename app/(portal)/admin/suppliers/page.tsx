import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { SuppliersAdmin } from "@/components/admin/teams-admin";
import { PageHeader } from "@/components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Suppliers" };

export default async function AdminSuppliersPage() {
  const { actor } = await requireActor("/admin/suppliers");
  if (actor.role !== "admin") forbidden();
  return (
    <>
      <PageHeader
        title="Suppliers"
        description={
          <>
            Create suppliers and invite their first owner; rename; disable (their users' sessions and tokens end at once). See also{" "}
            <a href="/admin/users" className="font-medium text-brand-700 hover:underline">
              users
            </a>{" "}
            and{" "}
            <a href="/admin/exports" className="font-medium text-brand-700 hover:underline">
              exports
            </a>
            .
          </>
        }
      />
      <SuppliersAdmin />
    </>
  );
}
