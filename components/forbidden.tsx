import Link from "next/link";
import { buttonClass } from "./ui";

/** What a supplier sees on an admin page. */
export function Forbidden() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-brand-700">403</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-gray-900">Admins only</h1>
      <p className="mt-2 text-sm text-gray-600">This page is for Acme Flowers staff. Your own exports are in your history.</p>
      <Link href="/exports" className={`${buttonClass.primary} mt-6`}>
        Go to my exports
      </Link>
    </div>
  );
}
