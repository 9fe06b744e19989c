"use client";

import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch, ApiClientError } from "../api-client";
import { QueryTable } from "../query-table";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice, scrollRegionClass } from "../ui";

type Membership = "owner" | "member" | "viewer";

interface Member {
  id: string;
  email: string;
  name: string;
  membership: Membership;
  status: "active" | "invited" | "disabled";
}

const membersKey = ["members"] as const;
const ROLE_HELP: Record<Membership, string> = {
  owner: "manages members, tokens, webhooks; sees the audit log",
  member: "requests and downloads exports",
  viewer: "downloads only",
};

/** Settings → Members: everyone sees who is in the team; owners invite, change roles and remove. */
export function Members({ canManage, selfId }: { canManage: boolean; selfId: string }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Membership>("member");
  const [notice, setNotice] = useState<string | null>(null);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: membersKey });

  const members = useQuery({ queryKey: membersKey, queryFn: ({ signal }) => apiFetch<{ members: Member[] }>("/api/v1/members", { signal }) });
  const invite = useMutation({
    mutationFn: () => apiFetch<{ member: Member; expiresAt: string }>("/api/v1/members", { method: "POST", body: { email, membership: role } }),
    onSuccess: (res) => {
      setNotice(`Invitation sent to ${res.member.email}. The link works once and expires ${new Date(res.expiresAt).toLocaleString()}.`);
      setEmail("");
      refresh();
    },
  });
  const change = useMutation({
    mutationFn: (v: { id: string; membership: Membership }) => apiFetch(`/api/v1/members/${v.id}`, { method: "PATCH", body: { membership: v.membership } }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => apiFetch(`/api/v1/members/${id}`, { method: "DELETE" }),
    onSuccess: refresh,
  });
  const error = (invite.error ?? change.error ?? remove.error) as ApiClientError | null;

  return (
    <Card className="p-5">
      <h2 className="text-lg font-semibold text-gray-900" data-hydrated={hydrated ? "" : undefined} id="members">
        Members
      </h2>
      <p className="mt-1 text-sm text-gray-600">
        Owners {ROLE_HELP.owner}; members {ROLE_HELP.member}; viewers {ROLE_HELP.viewer}. Removing someone ends their sessions and API tokens at once.
      </p>
      {canManage ? (
        <form
          className="mt-4 flex flex-col gap-2 sm:flex-row sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            setNotice(null);
            invite.mutate();
          }}
        >
          <div className="flex-1">
            <label htmlFor="invite-email" className={labelClass}>
              Invite by email
            </label>
            <input id="invite-email" type="email" required className={`${inputClass} mt-1`} value={email} onChange={(e) => setEmail(e.target.value)} />
            <p className={helpClass}>They get a link to choose a password. It works once and expires.</p>
          </div>
          <div>
            <label htmlFor="invite-role" className={labelClass}>
              Role
            </label>
            <select id="invite-role" className={`${inputClass} mt-1`} value={role} onChange={(e) => setRole(e.target.value as Membership)}>
              <option value="owner">Owner</option>
              <option value="member">Member</option>
              <option value="viewer">Viewer</option>
            </select>
          </div>
          <button type="submit" className={buttonClass.primary} disabled={invite.isPending || !email}>
            {invite.isPending ? "Sending…" : "Send invitation"}
          </button>
        </form>
      ) : null}
      {notice ? (
        <div className="mt-3">
          <Notice tone="success" role="status">
            {notice}
          </Notice>
        </div>
      ) : null}
      {error ? (
        <div className="mt-3">
          <Notice tone="error" role="alert">
            {error.message}
          </Notice>
        </div>
      ) : null}
      <div role="region" aria-label="Members" tabIndex={0} className={`mt-6 ${scrollRegionClass}`}>
        <QueryTable
          query={members}
          loading="Loading members…"
          layout="section"
          columns={["Email", "Name", "Role", "Status"]}
          rows={(data) =>
            data.members.map((m) => (
              <tr key={m.id} data-testid="member-row" data-email={m.email}>
                <td className="py-2 pr-4 font-medium">{m.email}</td>
                <td className="py-2 pr-4">{m.name}</td>
                <td className="py-2 pr-4">
                  {canManage ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      className={inputClass}
                      value={m.membership}
                      disabled={change.isPending}
                      onChange={(e) => change.mutate({ id: m.id, membership: e.target.value as Membership })}
                    >
                      <option value="owner">Owner</option>
                      <option value="member">Member</option>
                      <option value="viewer">Viewer</option>
                    </select>
                  ) : (
                    m.membership
                  )}
                </td>
                <td className="py-2 pr-4">{m.status}</td>
                <td className="py-2 text-right">
                  {canManage && m.id !== selfId ? (
                    <button
                      type="button"
                      className={buttonClass.danger}
                      aria-label={`Remove ${m.email}`}
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(`Remove ${m.email}? Their sessions and API tokens end at once.`)) remove.mutate(m.id);
                      }}
                    >
                      Remove
                    </button>
                  ) : null}
                </td>
              </tr>
            ))
          }
        />
      </div>
    </Card>
  );
}
