/**
 * Where a webhook may be sent. A supplier chooses the URL and sees a short
 * excerpt of each response in the delivery log, so an unchecked URL would let
 * them probe the network the workers run in (cloud metadata, internal
 * services). Deliveries therefore go only to public addresses, checked after
 * DNS resolution at each attempt; loopback is allowed only where the
 * `allowHttpLocalhost` setting says so (local mode).
 *
 * Residual risk: the address is resolved again by fetch, so a DNS answer that
 * changes between the two lookups (rebinding) is not caught; pinning the
 * resolved address would need a custom dispatcher (undici) per request.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { WebhookSettings } from "./settings";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Not reachable from, or not meant for, the public internet. */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv6");
}

function family(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1) is checked as the IPv4 address it is. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** Why `address` may not receive webhooks, or null when it may. */
export function refuseAddress(address: string, settings: Pick<WebhookSettings, "allowHttpLocalhost">): string | null {
  const a = unmapped(address);
  if (settings.allowHttpLocalhost && LOOPBACK.check(a, family(a))) return null;
  return NON_PUBLIC.check(a, family(a)) ? `${address} is not a public address` : null;
}

/** Resolves the URL's host and refuses it when any of its addresses is not public. */
export async function checkDeliveryTarget(url: string, settings: Pick<WebhookSettings, "allowHttpLocalhost">): Promise<string | null> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    return `could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? "error"}`;
  }
  for (const a of addresses) {
    const why = refuseAddress(a, settings);
    if (why) return why;
  }
  return null;
}
