import { headers } from "next/headers";
import { Forbidden } from "@/components/forbidden";
import { PORTAL_PATH_HEADER } from "@/lib/http/security-headers";

/** Rendered by `forbidden()` inside the portal shell, with HTTP status 403; the path says whose page it was. */
export default async function PortalForbidden() {
  return <Forbidden path={(await headers()).get(PORTAL_PATH_HEADER)} />;
}
