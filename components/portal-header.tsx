import Link from "next/link";
import { NavLinks, type NavItem } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

export interface HeaderUser {
  email: string;
  name?: string | null;
  role: "supplier" | "admin";
  supplierName?: string | null;
  membership?: "owner" | "member" | "viewer" | null;
}

/** The portal's top bar: product name, navigation, who is signed in, Sign out. */
export function PortalHeader({ user, showDevMail }: { user: HeaderUser; showDevMail: boolean }) {
  const items: NavItem[] = [{ href: "/exports/new", label: "New export" }];
  // An admin's history is the admin list (every supplier's exports, theirs included).
  if (user.role === "admin") items.push({ href: "/admin/exports", label: "Admin", match: ["/admin/"] }, { href: "/audit", label: "Audit log" });
  else {
    items.push(
      { href: "/exports", label: "History", match: ["/exports/exp_"] },
      { href: "/schedules", label: "Schedules", match: ["/schedules/"] },
      { href: "/settings", label: "Settings" },
    );
    if (user.membership === "owner") items.push({ href: "/audit", label: "Audit log" });
  }
  items.push({ href: "/docs/api", label: "API docs" });
  if (showDevMail) items.push({ href: "/dev/mail", label: "Dev mail" });

  const who = user.role === "admin" ? "Admin · all suppliers" : `${user.supplierName ?? "Supplier"}${user.membership ? ` · ${user.membership}` : ""}`;
  return (
    <header className="border-b border-gray-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 px-4 sm:px-6">
        <Link href="/exports/new" className="flex items-center gap-2 rounded-md py-3">
          <span aria-hidden="true" className="grid size-8 place-items-center rounded-md bg-brand-700 text-base text-white">
            ✿
          </span>
          <span className="leading-tight">
            <span className="block text-sm font-semibold text-gray-900">Partner Export Portal</span>
            <span className="block text-xs text-gray-500">Acme Flowers</span>
          </span>
        </Link>
        <nav aria-label="Main" className="order-last -mx-1 w-full pb-2 sm:order-none sm:mx-0 sm:w-auto sm:flex-1 sm:pb-0">
          <NavLinks items={items} />
        </nav>
        <div className="ml-auto flex items-center gap-3 py-3">
          <div className="hidden min-w-0 text-right leading-tight sm:block" data-testid="signed-in-user">
            <span className="block max-w-[16rem] truncate text-sm font-medium text-gray-900">{user.email}</span>
            <span className="block max-w-[16rem] truncate text-xs text-gray-500">{who}</span>
          </div>
          <SignOutButton />
        </div>
        <p className="order-last -mt-1 w-full truncate pb-2 text-xs text-gray-500 sm:hidden" data-testid="signed-in-user-mobile">
          Signed in as <span className="font-medium text-gray-700">{user.email}</span> · {who}
        </p>
      </div>
    </header>
  );
}
