"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export interface NavItem {
  href: string;
  label: string;
  /** Path prefixes that also count as this item (e.g. an export's page under History). */
  match?: string[];
}

function isActive(pathname: string, item: NavItem): boolean {
  if (pathname === item.href) return true;
  return (item.match ?? []).some((prefix) => pathname.startsWith(prefix));
}

export function NavLinks({ items }: { items: NavItem[] }) {
  const pathname = usePathname() ?? "";
  return (
    <ul className="flex gap-1 overflow-x-auto">
      {items.map((item) => {
        const active = isActive(pathname, item);
        return (
          <li key={item.href} className="shrink-0">
            <Link
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={`block rounded-md px-3 py-2 text-sm font-medium transition-colors ${
                active ? "bg-brand-50 text-brand-800" : "text-gray-600 hover:bg-gray-100 hover:text-gray-900"
              }`}
            >
              {item.label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
