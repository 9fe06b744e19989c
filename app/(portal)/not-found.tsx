import Link from "next/link";
import { buttonClass } from "@/components/ui";

export default function PortalNotFound() {
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-brand-700">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight text-gray-900">Not found</h1>
      <p className="mt-2 text-sm text-gray-600">There is nothing at this address in your account.</p>
      <Link href="/exports" className={`${buttonClass.primary} mt-6`}>
        Export history
      </Link>
    </div>
  );
}
