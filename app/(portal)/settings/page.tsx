import type { Metadata } from "next";
import { ApiTokens } from "@/components/settings/api-tokens";
import { Webhooks } from "@/components/settings/webhooks";
import { Destinations } from "@/components/settings/destinations";
import { Notice, PageHeader } from "@/components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const { actor } = await requireActor("/settings");
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          <>
            API access for your applications. The <a className="font-medium text-brand-700 hover:underline" href="/docs/api">API docs</a> show the whole flow.
          </>
        }
      />
      {actor.role === "admin" ? (
        <Notice tone="info" title="For supplier accounts">API tokens, webhooks and destinations belong to a supplier; admin accounts have none.</Notice>
      ) : (
        <div className="space-y-6">
          <ApiTokens />
          <Webhooks />
          <Destinations />
        </div>
      )}
    </>
  );
}
