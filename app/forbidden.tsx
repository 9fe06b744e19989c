import { Forbidden } from "@/components/forbidden";

/** Rendered by `forbidden()` outside the portal shell, with HTTP status 403. */
export default function RootForbidden() {
  return (
    <main className="px-4">
      <Forbidden />
    </main>
  );
}
