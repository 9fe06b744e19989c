import type { Metadata } from "next";
import { ApiTokens } from "@/components/settings/api-tokens";
import { ChangePassword } from "@/components/settings/change-password";
import { Members } from "@/components/settings/members";
import { Webhooks } from "@/components/settings/webhooks";
import { Destinations } from "@/components/settings/destinations";
import { Notice, PageHeader } from "@/components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const { actor } = await requireActor("/settings");
  const owner = actor.role === "supplier" && actor.membership === "owner";
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          <>
            Your team, your password and API access for your applications. The{" "}
            <a className="font-medium text-brand-700 hover:underline" href="/docs/api">
              API docs
            </a>{" "}
            show the whole flow.
          </>
        }
      />
      {actor.role === "admin" ? (
        <div className="space-y-6">
          <Notice tone="info" title="For supplier accounts">
            Members, API tokens and webhooks belong to a supplier; admin accounts have none. Manage suppliers and users under Admin.
          </Notice>
          <ChangePassword />
        </div>
      ) : (
        <div className="space-y-6">
          <Members canManage={owner} selfId={actor.userId} />
          {/* Tokens and webhooks are the owners' (the route table says so; the server refuses others). */}
          {owner ? (
            <>
              <ApiTokens />
              <Webhooks />
              <Destinations />
            </>
          ) : (
            <Notice tone="info" title={`Your role: ${actor.membership ?? "viewer"}`}>
              API tokens and webhooks are managed by your supplier&apos;s owners.
            </Notice>
          )}
          <ChangePassword />
        </div>
      )}
    </>
  );
}
