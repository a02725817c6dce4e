/**
 * Hoster's guest layout: the `-s` list HosterCore's `GenerateBhyveStartCmd`
 * (internal/pkg/hoster/vm/utils/generate_bhyve_command.go @4f3b5d8, unchanged in its slot logic
 * since b080592, 2024-02-20) builds from a `vm_config.json`; checked against its own generator
 * run on /work/research/hoster/fixtures.
 *
 * - `-s 0:0,hostbridge -s 31,lpc`; a counter from slot 2: NICs at 2, 3, ... (no NIC leaves 2
 *   empty); each disk the next slot (`internal` disks under the VM's directory); each 9p share
 *   the next slot, written without a function; the VNC framebuffer always, the next slot.
 * - passthru, when the list has any string: `passthruPciSplitter` from the slot after fbuf. An
 *   entry with fewer than three `/` parts is skipped (Hoster prints "This PCI device would not
 *   be added to passthru"). An entry without `-` leads a group: every later or earlier plain
 *   entry with the same bus and slot strings joins it (members compared trimmed, the leader
 *   not), guest function = the host function string as written; a `-` entry is alone at
 *   function 0. Each leader takes the next slot. The splitter returns the last slot used, or 0
 *   when the last leader was the list's first entry, and xhci takes the slot after that (so
 *   often `-s 1:0,xhci,tablet`).
 * - `-S` whenever `passthru` holds any string; xhci unless `disable_xhci`, and only for the
 *   loaders `bios` and `uefi`.
 *
 * The tap of each NIC is created at start (`<tap>`); the VNC password is shown as `<secret>`.
 *
 * Pure.
 *
 * @module
 */

import type { Finding } from "../../findings.ts";
import type { HosterGuest } from "../../vms/guest.ts";
import type { Entry } from "../../vms/types.ts";
import {
  type GuestLayout,
  placesUnits,
  type PlanUnit,
  type SlotLine,
  slotLine,
} from "../layout.ts";

/** One string of the passthru array, with the entry pptkit read from it. */
export interface HosterPassthruItem {
  readonly text: string;
  readonly line?: number;
  readonly entry: Entry | null;
}

/** The `w=,h=` of `vnc_resolution` (setScreenResolution): 800x600 for anything else. */
const RESOLUTIONS: Readonly<Record<number, string>> = {
  1: "w=640,h=480",
  2: "w=800,h=600",
  3: "w=1024,h=768",
  4: "w=1280,h=720",
  5: "w=1280,h=1024",
  6: "w=1600,h=900",
  7: "w=1600,h=1200",
  8: "w=1920,h=1080",
  9: "w=1920,h=1200",
};

/** The passthru strings of a Hoster VM with their entries (an entry's `order` is its index). */
export function hosterPassthru(
  guest: HosterGuest,
  entries: readonly Entry[],
): HosterPassthruItem[] {
  return guest.passthru.map((p, i) => ({
    text: p.text,
    line: p.line,
    entry: entries.find((e) => e.order === i) ?? null,
  }));
}

/** Runs Hoster's generator over a VM's settings (see the module comment). */
export function hosterLayout(
  guest: HosterGuest,
  passthru: readonly HosterPassthruItem[],
): GuestLayout {
  const lines: SlotLine[] = [];
  const notes: Finding[] = [];
  const emit = (arg: string, from: string, line?: number, entry: Entry | null = null) =>
    lines.push(slotLine(arg, from, { line, entry }));
  emit("0:0,hostbridge", "hostbridge");
  emit("31,lpc", "lpc");
  let slot = 2;
  guest.networks.forEach((nic, i) => {
    if (i > 0) slot++;
    emit(`${slot}:0,${nic.type},<tap>,mac=${nic.mac}`, `networks[${i}]`, nic.line);
  });
  guest.disks.forEach((disk, i) => {
    slot++;
    const path = disk.location === "internal" ? `${guest.location}/${disk.image}` : disk.image;
    emit(`${slot}:0,${disk.type},${path}`, `disks[${i}]`, disk.line);
  });
  guest.shares.forEach((share, i) => {
    slot++;
    emit(
      `${slot},virtio-9p,${share.name}=${share.location}${share.readOnly ? ",ro" : ""}`,
      `9p_shares[${i}]`,
      share.line,
    );
  });
  slot++;
  const res = RESOLUTIONS[guest.vncResolution] ?? RESOLUTIONS[2];
  emit(
    `${slot}:0,fbuf,tcp=0.0.0.0:${guest.vncPort},${res},password=<secret>` +
      (guest.vga === "" ? "" : `,vga=${guest.vga}`),
    "vnc_port",
  );
  if (passthru.length > 0) {
    slot++;
    slot = splitter(slot, passthru, emit, notes);
  }
  slot++;
  if (!guest.disableXhci && (guest.loader === "bios" || guest.loader === "uefi")) {
    emit(`${slot}:0,xhci,tablet`, "xhci");
  }
  if (guest.loader !== "bios" && guest.loader !== "uefi") {
    notes.push({
      level: "warn",
      code: "vm-config",
      message: `Hoster knows the loaders "bios" and "uefi", not "${guest.loader}": it starts ` +
        "the VM without firmware, console or xhci",
      fix: 'write "loader": "uefi"',
    });
  }
  return {
    runner: "Hoster",
    detail: "HosterCore GenerateBhyveStartCmd",
    lines,
    wired: passthru.length > 0,
    notes,
  };
}

/** passthruPciSplitter: emits the passthru lines from `start`; returns Hoster's "latest slot". */
function splitter(
  start: number,
  items: readonly HosterPassthruItem[],
  emit: (arg: string, from: string, line?: number, entry?: Entry | null) => void,
  notes: Finding[],
): number {
  let pci = start;
  let iter = 0;
  const skip = new Set<number>();
  const malformed = new Set<number>();
  const parts = items.map((p) => p.text.split("/"));
  items.forEach((p, i) => {
    if (parts[i].length < 3) {
      malformed.add(i);
      return;
    }
    if (skip.has(i)) return;
    const [g0, g1] = parts[i];
    iter = i;
    const from = `passthru[${i}]`;
    if (p.text.startsWith("-")) {
      emit(`${pci}:0,passthru,${p.text.slice(1)}`, from, p.line, p.entry);
    } else {
      emit(`${pci}:${parts[i][2]},passthru,${p.text}`, from, p.line, p.entry);
      items.forEach((q, ii) => {
        if (ii === i || q.text.startsWith("-") || skip.has(ii) || parts[ii].length < 3) return;
        if (parts[ii][0].trim() === g0 && parts[ii][1].trim() === g1) {
          skip.add(ii);
          emit(`${pci}:${parts[ii][2]},passthru,${q.text}`, `passthru[${ii}]`, q.line, q.entry);
        }
      });
    }
    pci++;
  });
  for (const i of malformed) {
    notes.push({
      level: "warn",
      code: "vm-config",
      message: `Hoster leaves out "${items[i].text}" ("This PCI device would not be added to ` +
        'passthru ... because it uses the incorrect format")',
      fix: "write the device as B/S/F like 3/0/0",
      ...(items[i].line === undefined ? {} : { line: items[i].line }),
    });
  }
  return iter > 0 ? pci - 1 : 0;
}

/** What {@linkcode proposeHoster} found. */
export interface HosterProposal {
  readonly items: readonly HosterPassthruItem[];
  readonly changed: boolean;
  readonly layout: GuestLayout;
}

/**
 * The smallest change to a Hoster VM's `passthru` array that makes Hoster build the plan's
 * groups (Hoster cannot pin or renumber): the array as written when Hoster already places every
 * group alone with the plan's functions; otherwise, in the order of each group's first entry, a
 * group that keeps its host function numbers (function 0 among them, all 0-7) written plain, and
 * every other entry with a `-` (a guest slot of its own, function 0). Hoster numbers the slots
 * itself after its NICs, disks, shares and framebuffer.
 */
export function proposeHoster(
  guest: HosterGuest,
  items: readonly HosterPassthruItem[],
  units: readonly PlanUnit[],
): HosterProposal {
  const asWritten = hosterLayout(guest, items);
  if (placesUnits(asWritten, units)) return { items, changed: false, layout: asWritten };
  const index = (entry: Entry) => items.findIndex((i) => i.entry === entry);
  const ordered = [...units].sort((a, b) =>
    Math.min(...a.members.map((m) => index(m.entry))) -
    Math.min(...b.members.map((m) => index(m.entry)))
  );
  const out: HosterPassthruItem[] = [];
  for (const unit of ordered) {
    const members = [...unit.members].sort((a, b) => index(a.entry) - index(b.entry));
    // Hoster keeps host function numbers: fine when function 0 is among them.
    const plain = members.every((m) => m.function === m.entry.address.function) &&
      members.some((m) => m.function === 0);
    for (const m of members) {
      const item = items[index(m.entry)];
      const bare = item.text.startsWith("-") ? item.text.slice(1) : item.text;
      // A lone device keeps its spelling: "-B/S/F/0" and "B/S/F/0" both give function 0.
      const text = !plain ? `-${bare}` : members.length > 1 ? bare : item.text;
      out.push({ ...item, text });
    }
  }
  // Strings pptkit could not read as devices stay where Hoster skips them: at the end.
  for (const item of items) if (item.entry === null) out.push(item);
  const changed = out.length !== items.length || out.some((o, i) => o.text !== items[i].text);
  return { items: out, changed, layout: hosterLayout(guest, out) };
}
