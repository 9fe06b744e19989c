"use client";

import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch, ApiClientError } from "../api-client";
import { QueryTable } from "../query-table";
import { buttonClass, Card, inputClass, labelClass, Notice } from "../ui";

interface Supplier {
  id: string;
  name: string;
  createdAt: string | null;
  disabledAt: string | null;
  members: number;
  owners: number;
}

interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: "supplier" | "admin";
  supplierId: string | null;
  supplierName: string | null;
  membership: string | null;
  status: "active" | "invited" | "disabled";
}

function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}

/** Admin → Suppliers: create (inviting the first owner), rename, disable/enable, invite someone. */
export function SuppliersAdmin() {
  const qc = useQueryClient();
  const hydrated = useHydrated();
  const [notice, setNotice] = useState<string | null>(null);
  const key = ["admin-suppliers"];
  const suppliers = useQuery({ queryKey: key, queryFn: ({ signal }) => apiFetch<{ suppliers: Supplier[] }>("/api/v1/admin/suppliers", { signal }) });
  const done = (msg: string) => {
    setNotice(msg);
    void qc.invalidateQueries({ queryKey: key });
  };
  const create = useMutation({
    mutationFn: (body: { id: string; name: string; ownerEmail?: string }) => apiFetch("/api/v1/admin/suppliers", { method: "POST", body }),
    onSuccess: () => done("Supplier created."),
  });
  const update = useMutation({
    mutationFn: (v: { id: string; body: { name?: string; disabled?: boolean } }) => apiFetch(`/api/v1/admin/suppliers/${v.id}`, { method: "PATCH", body: v.body }),
    onSuccess: () => done("Supplier updated."),
  });
  const invite = useMutation({
    mutationFn: (v: { id: string; email: string }) => apiFetch(`/api/v1/admin/suppliers/${v.id}/invitations`, { method: "POST", body: { email: v.email, membership: "owner" } }),
    onSuccess: () => done("Invitation sent."),
  });
  const error = (create.error ?? update.error ?? invite.error) as ApiClientError | null;

  return (
    <div className="space-y-4" data-hydrated={hydrated ? "" : undefined}>
      <Card className="p-4">
        <form
          className="grid gap-3 sm:grid-cols-4 sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            const d = new FormData(e.currentTarget);
            const ownerEmail = String(d.get("ownerEmail") ?? "").trim();
            create.mutate({ id: String(d.get("id")), name: String(d.get("name")), ...(ownerEmail ? { ownerEmail } : {}) });
          }}
        >
          <div>
            <label htmlFor="s-id" className={labelClass}>
              Supplier id
            </label>
            <input id="s-id" name="id" required placeholder="sup_aster" className={`${inputClass} mt-1`} />
          </div>
          <div>
            <label htmlFor="s-name" className={labelClass}>
              Name
            </label>
            <input id="s-name" name="name" required className={`${inputClass} mt-1`} />
          </div>
          <div>
            <label htmlFor="s-owner" className={labelClass}>
              First owner's email (invited)
            </label>
            <input id="s-owner" name="ownerEmail" type="email" className={`${inputClass} mt-1`} />
          </div>
          <button type="submit" className={buttonClass.primary} disabled={create.isPending}>
            Create supplier
          </button>
        </form>
      </Card>
      {notice ? <Notice tone="success" role="status">{notice}</Notice> : null}
      {error ? <Notice tone="error" role="alert">{error.message}</Notice> : null}
      <Card scrollLabel="Suppliers">
        <QueryTable
          query={suppliers}
          loading="Loading…"
          layout="card"
          columns={["Id", "Name", "Members", "Owners", "Status"]}
          rows={(data) =>
            data.suppliers.map((s) => (
              <tr key={s.id} data-testid="supplier-row" data-id={s.id}>
                <td className="px-3 py-2 font-mono text-xs">{s.id}</td>
                <td className="px-3 py-2">{s.name}</td>
                <td className="px-3 py-2">{s.members}</td>
                <td className="px-3 py-2">{s.owners}</td>
                <td className="px-3 py-2">{s.disabledAt ? "disabled" : "active"}</td>
                <td className="space-x-2 whitespace-nowrap px-3 py-2 text-right">
                  <button
                    type="button"
                    className={buttonClass.ghost}
                    onClick={() => {
                      const name = window.prompt(`New name for ${s.id}`, s.name);
                      if (name) update.mutate({ id: s.id, body: { name } });
                    }}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className={buttonClass.ghost}
                    onClick={() => {
                      const email = window.prompt(`Invite an owner into ${s.name} (email)`);
                      if (email) invite.mutate({ id: s.id, email });
                    }}
                  >
                    Invite owner
                  </button>
                  <button
                    type="button"
                    className={s.disabledAt ? buttonClass.secondary : buttonClass.danger}
                    aria-label={`${s.disabledAt ? "Enable" : "Disable"} ${s.id}`}
                    onClick={() => update.mutate({ id: s.id, body: { disabled: !s.disabledAt } })}
                  >
                    {s.disabledAt ? "Enable" : "Disable"}
                  </button>
                </td>
              </tr>
            ))
          }
        />
      </Card>
    </div>
  );
}

/** Admin → Users: every account; disable (sessions and tokens end at once) or enable. */
export function UsersAdmin({ selfId }: { selfId: string }) {
  const qc = useQueryClient();
  const hydrated = useHydrated();
  const key = ["admin-users"];
  const users = useQuery({ queryKey: key, queryFn: ({ signal }) => apiFetch<{ users: AdminUser[] }>("/api/v1/admin/users", { signal }) });
  const toggle = useMutation({
    mutationFn: (v: { id: string; disabled: boolean }) => apiFetch(`/api/v1/admin/users/${v.id}`, { method: "PATCH", body: { disabled: v.disabled } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  return (
    <div className="space-y-4" data-hydrated={hydrated ? "" : undefined}>
      {toggle.error ? <Notice tone="error" role="alert">{(toggle.error as ApiClientError).message}</Notice> : null}
      <Card scrollLabel="Users">
        <QueryTable
          query={users}
          loading="Loading…"
          layout="card"
          columns={["Email", "Supplier", "Role", "Status"]}
          rows={(data) =>
            data.users.map((u) => (
              <tr key={u.id} data-testid="user-row" data-email={u.email}>
                <td className="px-3 py-2 font-medium">{u.email}</td>
                <td className="px-3 py-2">{u.role === "admin" ? "— (admin)" : `${u.supplierName ?? ""} (${u.supplierId})`}</td>
                <td className="px-3 py-2">{u.role === "admin" ? "admin" : u.membership}</td>
                <td className="px-3 py-2">{u.status}</td>
                <td className="px-3 py-2 text-right">
                  {u.id === selfId ? null : (
                    <button
                      type="button"
                      className={u.status === "disabled" ? buttonClass.secondary : buttonClass.danger}
                      aria-label={`${u.status === "disabled" ? "Enable" : "Disable"} ${u.email}`}
                      onClick={() => toggle.mutate({ id: u.id, disabled: u.status !== "disabled" })}
                      disabled={toggle.isPending}
                    >
                      {u.status === "disabled" ? "Enable" : "Disable"}
                    </button>
                  )}
                </td>
              </tr>
            ))
          }
        />
      </Card>
    </div>
  );
}
