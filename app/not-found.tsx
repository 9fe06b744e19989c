import Link from "next/link";
import { buttonClass } from "@/components/ui";

export default function NotFound() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="max-w-md text-center">
        <p className="text-sm font-semibold text-brand-700">404</p>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight text-gray-900">Page not found</h1>
        <p className="mt-2 text-sm text-gray-600">This address does not lead anywhere in the portal. It may be mistyped, or the page may have moved.</p>
        <Link href="/exports/new" className={`${buttonClass.primary} mt-6`}>
          Go to the portal
        </Link>
      </div>
    </main>
  );
}
