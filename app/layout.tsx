import type { Metadata, Viewport } from "next";
import { Providers } from "@/components/providers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Partner Export Portal", template: "%s · Partner Export Portal" },
  description: "Export your Acme Flowers inventory, product and review data.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#be185d" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-gray-50 text-gray-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
