import Link from "next/link";
import { buttonClass } from "@/components/ui";

export default function ExportNotFound() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-brand-700">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-gray-900">Export not found</h1>
      <p className="mt-2 text-sm text-gray-600">
        There is no export with this address in your account. Check the link, or find the export in your history.
      </p>
      <div className="mt-6 flex justify-center gap-3">
        <Link href="/exports" className={buttonClass.primary}>
          Export history
        </Link>
        <Link href="/exports/new" className={buttonClass.secondary}>
          New export
        </Link>
      </div>
    </div>
  );
}
