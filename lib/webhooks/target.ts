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
  ["192.0.2.0", 24],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  // Site-local (deprecated, RFC 3879) but still routed inside some networks.
  ["fec0::", 10],
  // Local-use NAT64 (RFC 8215): translated to whatever IPv4 the operator chose.
  ["64:ff9b:1::", 48],
  // Teredo: tunnels to an IPv4 address hidden (obfuscated) in the low bits.
  ["2001::", 32],
  // Documentation.
  ["2001:db8::", 32],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, "ipv6");
}

function family(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/** The 16 bytes of an IPv6 address (any textual form, including a trailing dotted quad), or null. */
export function ipv6Bytes(address: string): Uint8Array | null {
  if (isIP(address) !== 6) return null;
  let text = address.replace(/%.*$/, "").toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, quad.index) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  return bytes;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

const ipv4At = (bytes: Uint8Array, at: number) => Array.from(bytes.subarray(at, at + 4)).join(".");

/**
 * The IPv4 address an IPv6 address stands for where a network translates or
 * tunnels it to that IPv4 host (issue 12, finding 7), else the address itself:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated, still
 * routed by some stacks), NAT64 `64:ff9b::/96` (RFC 6052) and 6to4 `2002::/16`
 * (the IPv4 address in bits 16-48). Such forms are then checked as IPv4.
 */
export function embeddedIpv4(address: string): string {
  const bytes = ipv6Bytes(address);
  if (!bytes) return address;
  const zeros = (n: number) => Array<number>(n).fill(0);
  if (startsWith(bytes, [...zeros(10), 0xff, 0xff])) return ipv4At(bytes, 12);
  // ::a.b.c.d, but not :: and ::1 (checked as IPv6 below).
  if (startsWith(bytes, zeros(12)) && (bytes[12]! | bytes[13]!) !== 0) return ipv4At(bytes, 12);
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, ...zeros(8)])) return ipv4At(bytes, 12);
  if (startsWith(bytes, [0x20, 0x02])) return ipv4At(bytes, 2);
  return address;
}

/** Why `address` may not receive webhooks, or null when it may. */
export function refuseAddress(address: string, settings: Pick<WebhookSettings, "allowHttpLocalhost">): string | null {
  const a = embeddedIpv4(address);
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
