import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { UsersAdmin } from "@/components/admin/teams-admin";
import { PageHeader } from "@/components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Users" };

export default async function AdminUsersPage() {
  const { actor } = await requireActor("/admin/users");
  if (actor.role !== "admin") forbidden();
  return (
    <>
      <PageHeader
        title="Users"
        description={
          <>
            Every account. Disabling ends its sessions and API tokens at once. Suppliers are under{" "}
            <a href="/admin/suppliers" className="font-medium text-brand-700 hover:underline">
              suppliers
            </a>
            .
          </>
        }
      />
      <UsersAdmin selfId={actor.userId} />
    </>
  );
}
