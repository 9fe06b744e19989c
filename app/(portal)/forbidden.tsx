import { Forbidden } from "@/components/forbidden";

/** Rendered by `forbidden()` inside the portal shell, with HTTP status 403. */
export default function PortalForbidden() {
  return <Forbidden />;
}
