/**
 * `pptkit snapshot DIR`: freeze this host into a snapshot directory (DESIGN §5, app/snapshot.ts),
 * for bug reports, tests and the compatibility list. Every other command reads it back with
 * `--snapshot DIR`.
 *
 * @module
 */

import { takeSnapshot } from "../app/snapshot.ts";
import type { Command } from "./command.ts";

export const snapshot: Command = {
  synopsis: "DIR",
  description: `
Captures this host into DIR: the output of pciconf -lbcv, acpidump -t, kenv, sysctl hw.vmm,
kldstat, uname -mr, ps, netstat -rn and ls /dev/vmm (one file each), and /boot/loader.conf,
/boot/loader.conf.d/*.conf, /boot/loader.conf.local, pptkit.jsonc and the VM configs pptkit
reads (with the vm_* lines of rc.conf) under DIR/root. Run it as root so pciconf and acpidump
can read everything. DIR must not exist: pptkit creates it (mode 0700, in a directory that
exists) and creates each file in it anew, never through a link. Review the files before you
share them: kenv and ps show this host's settings and processes, and VM configs may hold VNC passwords.`,
  options: [],
  args: { min: 1, max: 1 },
  examples: [[
    "Attach a host to a bug report",
    "pptkit snapshot /tmp/host && tar czf host.tgz -C /tmp host",
  ]],
  async run(ctx) {
    const dir = ctx.args[0];
    const host = await ctx.host();
    const r = await takeSnapshot(host, await ctx.config(), dir);
    if (!ctx.global.quiet) {
      ctx.out.stdout(
        `snapshot of ${host.description} written to ${dir}: ${r.captures} captures, ` +
          `${r.files} host files\n`,
      );
      if (r.missing.length > 0) {
        ctx.out.stderr(`pptkit: not captured (unavailable here): ${r.missing.join(", ")}\n`);
      }
    }
    return 0;
  },
};
