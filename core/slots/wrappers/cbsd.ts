/**
 * CBSD's guest layout: what `cbsd bstart` (sudoexec/bstart `start_bhyve`) compiles and
 * share/bhyverun.sh runs, written from cbsd/cbsd 007ddb5 (subr/bhyve.subr `next_pci_id`,
 * `compile_pci_passthru_args`, `compile_vnc_args`).
 *
 * CBSD keeps a per-VM bus map (table `pcibus` of `jails-system/VM/local.sqlite`): every device
 * keeps the slot it got before (looked up by name and description), and a new one takes the
 * first slot in 4-31 that has no row at all, from this start or the last. bstart writes the
 * result into `jails-system/VM/bhyve.conf` (`hostbridge_args`, `dsk_args`, `nic_args`,
 * `pci_passthru_args`, ...), so the bhyve.conf of the last start holds the map: pptkit reads it
 * instead of a second SQLite database per VM. From it:
 * - every device of the last start keeps its `-s`; 0 is the host bridge, 31 lpc, 1 the EFI
 *   helper CD, 30 xhci (bhyverun.sh adds `-s 30,xhci[,tablet]` itself for EFI guests);
 * - passthru (`compile_pci_passthru_args`, per `bhyveppt` row in attach order): nothing at all
 *   unless `bhyve_wire_memory` is 1 (CBSD 13.2.2 and later; it prints "Waning!: PCI Passthru
 *   required '-S'"); a device keeps its slot of the last start, else a `display`-class device
 *   takes slot 2 when no device had it, else the first free slot from 4; each device, every
 *   function, is a slot of its own at function 0 (`-s N,passthru,B/S/F`);
 * - the framebuffer is looked up under a name it was never stored with, so it takes the first
 *   free slot after the passthru devices, and moves between two slots from start to start.
 * Without a bhyve.conf (a VM that never started) only the fixed slots are known: CBSD's disks
 * and NICs take slots from 4 before the passthru devices, where pptkit cannot see them.
 *
 * Pure.
 *
 * @module
 */

import type { Finding } from "../../findings.ts";
import type { CbsdGuest } from "../../vms/guest.ts";
import type { Entry } from "../../vms/types.ts";
import { type GuestLayout, redact, type SlotLine, slotLine } from "../layout.ts";

/** The `*_args` of bhyve.conf in the order bhyverun.sh puts them on the command line. */
const ARGS_BEFORE_PASSTHRU = [
  "hostbridge_args",
  "virtio_9p_args",
  "uefi_boot_args",
  "dsk_args",
  "dsk_controller_args",
  "cd_args",
  "nic_args",
  "nvme_args",
  "virtiornd_args",
];
const ARGS_AFTER_PASSTHRU = ["soundhw_args", "lpc_args"];

/** The allocator's range (`_start_bus_id=4 _end_bus_id=31`). */
const FIRST = 4;
const LAST = 31;

/** The `-s` values of one `*_args` string. */
export function slotArgs(text: string): string[] {
  const words = text.split(/[ \t\n]+/).filter((w) => w !== "");
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "-s" && i + 1 < words.length) out.push(words[++i]);
  }
  return out;
}

/** Runs CBSD's slot compilation for the next start of a VM (see the module comment). */
export function cbsdLayout(guest: CbsdGuest, entries: readonly Entry[], vm: string): GuestLayout {
  const lines: SlotLine[] = [];
  const notes: Finding[] = [];
  const last = guest.lastStart;
  const args = (key: string) => last?.args.get(key) ?? "";
  const taken = new Set<number>();
  const add = (arg: string, from: string, entry: Entry | null = null) => {
    const line = slotLine(redact(arg), from, { entry });
    lines.push(line);
    return line;
  };
  if (last === null) {
    add("0,hostbridge", "hostbridge_args");
    notes.push({
      level: "warn",
      code: "wrapper-layout",
      message: `VM ${vm} has no bhyve.conf of an earlier start: CBSD gives its disks and NICs ` +
        "slots from 4 before the passthru devices, and pptkit cannot see where",
      fix: `start it once with: cbsd bstart jname=${vm}, then check it again`,
    });
  }
  for (const key of ARGS_BEFORE_PASSTHRU) {
    for (const arg of slotArgs(args(key))) taken.add(add(arg, key).slot);
  }
  const sticky = new Map<string, number>();
  for (const arg of slotArgs(args("pci_passthru_args"))) {
    const line = slotLine(arg, "pci_passthru_args");
    if (line.passthru !== null) sticky.set(line.passthru.device, line.slot);
    taken.add(line.slot);
  }
  const vnc = slotArgs(args("vnc_args"));
  for (const arg of vnc) taken.add(slotLine(arg, "vnc_args").slot);
  const afterLines = ARGS_AFTER_PASSTHRU.flatMap((key) =>
    slotArgs(args(key)).map((arg) => ({ arg, key }))
  );
  for (const { arg, key } of afterLines) taken.add(slotLine(arg, key).slot);

  const wire = last?.values.get("bhyve_wire_memory") ?? null;
  const busy = new Set<number>();
  const firstFree = () => {
    for (let n = FIRST; n <= LAST; n++) if (!taken.has(n) && !busy.has(n)) return n;
    return null;
  };
  if (wire !== null && wire !== "1" && guest.ppts.length > 0) {
    notes.push({
      level: "error",
      code: "not-wired",
      message: `CBSD starts VM ${vm} without its passthru devices: bhyve_wire_memory is ` +
        `"${wire}", and CBSD passes devices only with wired memory`,
      fix: `cbsd bset jname=${vm} bhyve_wire_memory=1`,
    });
  } else {
    for (const [i, ppt] of guest.ppts.entries()) {
      const entry = entries.find((e) => e.order === i) ?? null;
      let slot = sticky.get(ppt.ppt) ?? null;
      if (slot === null && ppt.class === "display" && !taken.has(2) && !busy.has(2)) slot = 2;
      slot ??= firstFree();
      if (slot === null) {
        notes.push({
          level: "error",
          code: "slot-full",
          message: `CBSD has no slot left for ${ppt.ppt} of VM ${vm}: "No free available ` +
            'bhyve_pci_index in 4 31 range", and bstart stops',
          fix: `cbsd bpcibus jname=${vm} mode=reset`,
        });
        break;
      }
      busy.add(slot);
      add(`${slot},passthru,${ppt.ppt}`, "bhyveppt", entry);
    }
  }
  if (vnc.length > 0) {
    const slot = firstFree();
    const arg = vnc[0];
    const comma = arg.indexOf(",");
    if (slot !== null) {
      busy.add(slot);
      add(`${slot}${comma < 0 ? "" : arg.slice(comma)}`, "vnc_args");
    }
  }
  const values = last?.values ?? new Map<string, string>();
  const efi = values.get("vm_efi") ?? "none";
  if (
    efi !== "none" && efi !== "" && values.get("vm_vnc_port") !== "1" &&
    values.get("xhci") === "1"
  ) {
    add(values.get("tablet") === "1" ? "30,xhci,tablet" : "30,xhci", "xhci");
  }
  for (const { arg, key } of afterLines) add(arg, key);
  if (last === null) add("31,lpc", "lpc_args");
  const passthru = lines.some((l) => l.passthru !== null);
  return {
    runner: "CBSD",
    detail: last === null ? "bstart, first start" : `bstart, bus map of ${last.file}`,
    lines,
    wired: passthru || wire === "1",
    notes,
  };
}
