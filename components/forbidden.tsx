import Link from "next/link";
import { buttonClass } from "./ui";

/**
 * What a signed-in person sees on a page their role does not open: the admin
 * pages for suppliers, the audit log for a supplier's members and viewers.
 * `path`: the page asked for (the proxy's x-portal-path), to say which.
 */
export function Forbidden({ path }: { path?: string | null }) {
  const admin = !path || path.startsWith("/admin");
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-brand-700">403</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-gray-900">{admin ? "Admins only" : "Owners only"}</h1>
      <p className="mt-2 text-sm text-gray-600">
        {admin
          ? "This page is for Acme Flowers staff. Your own exports are in your history."
          : "This page is for your supplier's owners; ask one of them if you need it. Your own exports are in your history."}
      </p>
      <Link href="/exports" className={`${buttonClass.primary} mt-6`}>
        Go to my exports
      </Link>
    </div>
  );
}
