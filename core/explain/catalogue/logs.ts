/**
 * Where each wrapper logs, and where it puts bhyve's own messages (bhyve's stderr), from the
 * wrappers' sources; `{vm}` and `{vmdir}` stand for the VM's name and directory.
 *
 * - vm-bhyve (churchers/vm-bhyve 6e91ff5 lib/vm-run `vm::run`): `bhyve ... 2> "${_logpath}"`,
 *   `/dev/null` unless `debug="yes"`, then `$vm_dir/NAME/bhyve.log` (since 0.12.3).
 * - CBSD (cbsd/cbsd 007ddb5 share/bhyverun.sh): bhyve's stdout and stderr go to the VM's
 *   bstart.log after its `cmd:` and `-----` lines (since 12.1.3).
 * - wifibox (pgj/freebsd-wifibox 36809a1 sbin/wifibox): `capture_output debug bhyve`, logged only
 *   at `loglevel=debug`.
 * - iohyve (pr1ntf/iohyve 2950404 lib/ioh-guest): no log; bhyve inherits the terminal.
 * - Hoster (yaroslav-gwit/HosterCore 4f3b5d8 internal/app/vm_supervisor): every stderr line goes
 *   to the VM's vm_supervisor.log as `type=sys_stderr`.
 *
 * @module
 */

import type { Wrapper } from "./schema.ts";

/** One wrapper's logging. */
export interface WrapperLog {
  /** Its log. */
  readonly log: string;
  /** Where bhyve's own messages go. */
  readonly stderr: string;
  /** How to get them into a text explain can read. */
  readonly reveal: string;
  /** How -S gets onto its bhyve command line. */
  readonly wired: string;
}

export const WRAPPER_LOGS: Readonly<Record<Wrapper, WrapperLog>> = {
  "vm-bhyve": {
    log: "{vmdir}/vm-bhyve.log",
    stderr: "vm-bhyve sends bhyve's own messages to /dev/null unless the VM's config has " +
      'debug="yes"; then to {vmdir}/bhyve.log, rewritten at every start',
    reveal: 'set debug="yes" in {vmdir}/{vm}.conf, start the VM again, then ' +
      "pptkit explain < {vmdir}/bhyve.log",
    wired: "vm-bhyve adds -S itself for passthruN devices: look for a bhyve_options that hides it",
  },
  cbsd: {
    log: "/usr/jails/jails-system/{vm}/bstart.log, and syslog (tag bhyverun.sh)",
    stderr:
      "CBSD's bhyverun.sh writes bhyve's messages to /usr/jails/jails-system/{vm}/bstart.log " +
      "after its cmd: and ----- lines (before 12.1.3: to the file vm_logfile names in bhyve.conf); " +
      "syslog gets only the exit code",
    reveal: "pptkit explain < /usr/jails/jails-system/{vm}/bstart.log",
    wired: "cbsd bset bhyve_wire_memory=1 jname={vm}",
  },
  wifibox: {
    log: "/var/log/wifibox.log",
    stderr: "wifibox logs bhyve's messages to /var/log/wifibox.log only at loglevel=debug, as " +
      "DEBUG [bhyve] lines",
    reveal: "set loglevel=debug in /usr/local/etc/wifibox/core.conf, service wifibox restart, " +
      "then pptkit explain < /var/log/wifibox.log",
    wired: "wifibox always passes -S",
  },
  iohyve: {
    log: "none: iohyve writes no log",
    stderr: "iohyve writes no log: bhyve's messages go to the terminal that ran iohyve start " +
      "(the console when started at boot)",
    reveal: "run iohyve start {vm} on a terminal and explain what it prints",
    wired: "iohyve set {vm} bargs=-A_-H_-P_-S (iohyve never adds -S)",
  },
  hoster: {
    log: "{vmdir}/vm_supervisor.log",
    stderr: "Hoster's supervisor logs bhyve's messages in {vmdir}/vm_supervisor.log as " +
      "type=sys_stderr lines; hoster vm start prints none of them",
    reveal: "hoster vm show-log {vm}, or pptkit explain < {vmdir}/vm_supervisor.log",
    wired: "Hoster adds -S for any passthru list",
  },
};
