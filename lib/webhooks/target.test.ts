/** Pins issue 12 finding 7: IPv6 forms that reach an internal IPv4 host. */
import { describe, expect, it } from "vitest";
import { embeddedIpv4, refuseAddress } from "./target";

const strict = { allowHttpLocalhost: false };

describe("refuseAddress", () => {
  it("refuses IPv6 forms embedding a private or loopback IPv4 address", () => {
    for (const a of [
      "64:ff9b::10.0.0.1",
      "64:ff9b::a00:1",
      "64:ff9b::7f00:1",
      "64:ff9b::a9fe:a9fe", // 169.254.169.254, cloud metadata
      "2002:a00:1::1", // 6to4 of 10.0.0.1
      "2002:c0a8:101::", // 6to4 of 192.168.1.1
      "2002:7f00:1::1",
      "::10.0.0.1",
      "::a00:1",
      "::127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:a9fe:a9fe",
      "0:0:0:0:0:ffff:7f00:1",
      "fec0::1",
      "feff::1",
      "64:ff9b:1::1",
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
      "::",
      "::1",
      "fc00::1",
      "fe80::1%eth0",
    ]) {
      expect(refuseAddress(a, strict), a).toMatch(/is not a public address/);
    }
  });

  it("lets public addresses through, also in the embedding forms", () => {
    for (const a of ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1", "::ffff:93.184.215.14", "2a00:1450:4001:80b::200e"]) {
      expect(refuseAddress(a, strict), a).toBeNull();
    }
  });

  it("reads the embedded IPv4 address of each form", () => {
    expect(embeddedIpv4("64:ff9b::10.1.2.3")).toBe("10.1.2.3");
    expect(embeddedIpv4("2002:0a01:0203::")).toBe("10.1.2.3");
    expect(embeddedIpv4("::0a01:0203")).toBe("10.1.2.3");
    expect(embeddedIpv4("::1")).toBe("::1");
    expect(embeddedIpv4("2606:2800::1")).toBe("2606:2800::1");
  });

  it("allows loopback only where the setting says so", () => {
    expect(refuseAddress("127.0.0.1", { allowHttpLocalhost: true })).toBeNull();
    expect(refuseAddress("::1", { allowHttpLocalhost: true })).toBeNull();
    expect(refuseAddress("10.0.0.1", { allowHttpLocalhost: true })).toMatch(/not a public/);
  });
});
