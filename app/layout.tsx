import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import { Providers } from "@/components/providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Partner Export Portal", template: "%s · Partner Export Portal" },
  description: "Export your Acme Flowers inventory, product and review data.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#be185d" };

/**
 * Reading the request's headers makes every page render per request: Next
 * puts proxy.ts's CSP nonce on the scripts only when it renders, and a page
 * prerendered at build time would carry scripts without it (blocked).
 */
export default async function RootLayout({ children }: { children: React.ReactNode }) {
  await headers();
  return (
    <html lang="en">
      <body className="min-h-screen bg-gray-50 text-gray-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
