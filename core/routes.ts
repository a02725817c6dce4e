/**
 * The default route of a host, from `netstat -rn` (a capture: `netstat.txt` in a snapshot):
 * which interfaces carry it, so that the NIC the host reaches the network through is known to
 * be host-critical (DESIGN §7).
 *
 * FreeBSD's `netstat -rn` prints one table per address family, each under a header line
 * `Destination Gateway Flags Netif Expire`; a default route's destination is `default`.
 *
 * @module
 */

import { lines, words } from "./text.ts";

const DEFAULT_DESTINATIONS = new Set(["default", "0.0.0.0/0", "::/0"]);

/**
 * The interfaces of the default routes in `netstat -rn` output (IPv4 and IPv6), or null when
 * the output is unknown. Lines outside a table with a `Netif` column are ignored.
 */
export function defaultRouteInterfaces(netstat: string | null): Set<string> | null {
  if (netstat === null) return null;
  const out = new Set<string>();
  let netif = -1;
  for (const [, line] of lines(netstat)) {
    const f = words(line);
    if (f.length === 0) {
      netif = -1;
      continue;
    }
    if (f[0] === "Destination") {
      netif = f.indexOf("Netif");
      continue;
    }
    if (netif > 0 && DEFAULT_DESTINATIONS.has(f[0]) && f.length > netif) out.add(f[netif]);
  }
  return out;
}
