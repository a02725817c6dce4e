/**
 * vm-bhyve's guest layout: the `-s` list `vm::run` (lib/vm-run) builds from a guest's config,
 * written from churchers/vm-bhyve 6e91ff5 and freebsd/vm-bhyve 89c21d0 (identical slot logic;
 * checked against the stubbed runs of /work/research/vm-bhyve/fixtures).
 *
 * One counter (`bus`, `slot`, `func`) from `start_slot` (default "4", used as text until the
 * first arithmetic: an empty one gives `-s 0::0`), after hostbridge (0) and lpc (31):
 * 1. disks `diskN_*` until the first without name or type: under UEFI (`loader` without its last
 *    `-suffix` is `uefi`) a slot each, otherwise functions of one slot and one slot after them;
 *    with `ahci_device_limit` 2-32 `ahci-hd`/`ahci-cd` disks share a controller, and a
 *    controller left over at the end is written `-s S:F` (no bus);
 * 2. NICs `networkN_type` until the first missing: functions of one slot, one slot after them; a
 *    NIC without `networkN_switch` is dropped and takes no function;
 * 3. `virt_random`: a slot;
 * 4. passthru `passthruN` until the first missing or empty (vm::bhyve_device_passthru): `X=S:F`
 *    is written `-s BUS:S:F` (text after the last `=`) and touches no counter; the others share
 *    a slot while the text before their first `/` (the host bus) stays the same from one to the
 *    next, functions 0, 1, 2 ... in file order (no limit at 8); any entry at all moves the slot
 *    on by one and adds `-S`;
 * 5. graphics (UEFI only: `fbuf`), `xhci_mouse`, `sound` (`hda`), `virt_console0..15`: a slot each;
 * 6. `nulliso_fix` (loader exactly `uefi`): `-s INSTALL_SLOT:0,ahci-cd,VM_DIR/.config/null.iso`.
 * A slot at `maxslots` (31 on bus 0, then 32) moves to the next bus at slot 0 (`-Y` is added).
 * freebsd/vm-bhyve appends `,passthruN_options` (since e61c1d7) and `,fwcfg=` to lpc; it takes a
 * `9p` disk name as written. Values are word-split by the shell: a blank inside one ends the
 * `-s` argument there.
 *
 * Runtime values pptkit cannot know are written `<tap>` (a tap vm-bhyve creates), `<mac>`
 * (generated at the first start) and `<port>` (the first free VNC port from 5900); a VNC
 * password is shown as `<secret>`.
 *
 * Pure.
 *
 * @module
 */

import type { Finding } from "../../findings.ts";
import type { VmBhyveFork, VmBhyveGuest } from "../../vms/guest.ts";
import type { Entry } from "../../vms/types.ts";
import { VM_BHYVE_RUN } from "../../vms/vm_bhyve.ts";
import { type GuestLayout, redact, type SlotLine, slotLine } from "../layout.ts";

/** One `passthruN` as vm-bhyve reads it. */
export interface VmBhyvePassthru {
  /** The value of `passthruN` as `config::get` returns it. */
  readonly value: string;
  /** `passthruN_options`, "" when absent. */
  readonly options: string;
  /** The config line, when the setting is in the file. */
  readonly line?: number;
  /** The VM entry it is (null: pptkit could not read it as a device). */
  readonly entry: Entry | null;
}

/** The model's result: the layout, and facts the proposal needs. */
export interface VmBhyveRun {
  readonly layout: GuestLayout;
  /** Where unpinned passthru starts: the counter when the passthru step begins. */
  readonly passthruStart: { readonly bus: number; readonly slot: number };
  /** `install_slot` (default 3): where `vm install` puts its ISO, on bus 0. */
  readonly installSlot: number;
}

/** vm-bhyve's `util::yesno`: empty, no, false, off, 0 (any case) are no; anything else yes. */
export function vmBhyveYes(value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  const v = value.toLowerCase();
  return v !== "no" && v !== "false" && v !== "off" && v !== "0";
}

/** A sh arithmetic operand: decimal, or 0 (an empty value, as sh counts it). */
function shNumber(text: string): number | null {
  if (text === "") return 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(text);
}

/** True under UEFI: the loader without its last `-suffix` is `uefi` (uefi, uefi-csm, ...). */
export function isUefi(loader: string): boolean {
  const dash = loader.lastIndexOf("-");
  return (dash < 0 ? loader : loader.slice(0, dash)) === "uefi";
}

/** The `passthruN` settings vm-bhyve reads, with the entries pptkit read from them. */
export function vmBhyvePassthru(
  guest: VmBhyveGuest,
  entries: readonly Entry[],
): VmBhyvePassthru[] {
  const out: VmBhyvePassthru[] = [];
  for (let n = 0;; n++) {
    const setting = guest.values.get(`passthru${n}`);
    if (setting === undefined || setting.value === "") break;
    out.push({
      value: setting.value,
      options: guest.values.get(`passthru${n}_options`)?.value ?? "",
      line: setting.line,
      entry: entries.find((e) => e.order === n) ?? null,
    });
  }
  return out;
}

/** Runs vm-bhyve's device functions over a guest config (see the module comment). */
export function vmBhyveLayout(
  guest: VmBhyveGuest,
  passthru: readonly VmBhyvePassthru[],
  fork: VmBhyveFork = guest.fork ?? "freebsd",
): VmBhyveRun {
  const get = (key: string) => guest.values.get(key)?.value;
  const lineOf = (key: string) => guest.values.get(key)?.line;
  const yes = (key: string, fallback?: string) => vmBhyveYes(get(key) ?? fallback);
  const notes: Finding[] = [];
  if (guest.mountpoint !== null) {
    notes.push({
      level: "info",
      code: "vm-config",
      message: `VM ${guest.name} is on datastore ${guest.mountpoint}`,
      fix: "set zfsMountpoints in pptkit.jsonc when the dataset is mounted elsewhere",
    });
  }
  const lines: SlotLine[] = [];
  const emit = (arg: string, from: string, line?: number, entry: Entry | null = null) => {
    // The device list is expanded unquoted: a blank ends the -s argument.
    let end = 0;
    while (end < arg.length && arg[end] !== " " && arg[end] !== "\t") end++;
    const rest = arg.slice(end).trim();
    if (rest !== "") {
      notes.push({
        level: "error",
        code: "vm-config",
        message: `vm-bhyve splits "${redact(arg)}" at the blank: bhyve gets "${rest}" as an ` +
          "argument of its own",
        fix: `remove the blank from ${from}`,
        ...(line === undefined ? {} : { line }),
      });
    }
    lines.push(slotLine(redact(arg.slice(0, end)), from, { line, entry }));
  };

  const loader = get("loader") ?? "";
  const uefi = isUefi(loader);
  const hostbridge = get("hostbridge") ?? "standard";
  if (!hostbridge.startsWith("no")) {
    emit(hostbridge === "amd" ? "0,amd_hostbridge" : "0,hostbridge", "hostbridge");
  }
  const fwcfg = fork === "freebsd" ? get("fwcfg") ?? "" : "";
  emit(`31,lpc${fwcfg === "" ? "" : `,fwcfg=${fwcfg}`}`, "lpc");

  let bus = 0;
  let maxSlots = 31;
  let func = 0;
  const startText = get("start_slot") ?? "4";
  let slotText: string | null = startText;
  let slot = shNumber(startText) ?? 0;
  if (shNumber(startText) === null) {
    notes.push({
      level: "error",
      code: "vm-config",
      message: `start_slot="${startText}" is not a number: vm-bhyve's slot arithmetic fails`,
      fix: 'write start_slot="4" (the default)',
      ...(lineOf("start_slot") === undefined ? {} : { line: lineOf("start_slot")! }),
    });
  }
  const at = () => `${bus}:${slotText ?? slot}`;
  const next = () => {
    slot++;
    slotText = null;
  };
  const normalize = () => {
    if (slot >= maxSlots) {
      slot = 0;
      slotText = null;
      bus++;
      maxSlots = 32;
    }
  };

  // 1. disks
  const limitText = get("ahci_device_limit") ?? "";
  const limitNumber = shNumber(limitText);
  const ahciLimit = limitText !== "" && limitNumber !== null && limitNumber > 1 &&
      limitNumber <= 32
    ? limitNumber
    : 1;
  let pending = "";
  let pendingCount = 0;
  let pendingFrom: string[] = [];
  let disks = 0;
  for (;; disks++) {
    const name = get(`disk${disks}_name`) ?? "";
    const type = get(`disk${disks}_type`) ?? "";
    if (name === "" || type === "") break;
    const from = `disk${disks}`;
    const line = lineOf(`disk${disks}_type`);
    const dev = get(`disk${disks}_dev`) ?? "";
    const opts = get(`disk${disks}_opts`) ?? "";
    if (func >= 8) {
      func = 0;
      next();
    }
    normalize();
    const path = diskPath(guest, dev, name, fork);
    let added = false;
    if (ahciLimit > 1 && type.split("-")[0] === "ahci") {
      const kind = type === "ahci-cd" ? "cd" : type === "ahci-hd" ? "hd" : null;
      if (kind !== null) {
        pending += `,${kind}:${path}${opts === "" ? "" : `,${opts}`}`;
        pendingCount++;
        pendingFrom.push(from);
        if (pendingCount >= ahciLimit) {
          emit(`${at()}:${func},ahci${pending}`, pendingFrom.join(","), line);
          pending = "";
          pendingCount = 0;
          pendingFrom = [];
          added = true;
        }
      } else {
        notes.push({
          level: "warn",
          code: "vm-config",
          message: `vm-bhyve drops ${from} of type "${type}": with ahci_device_limit it takes ` +
            "ahci-hd and ahci-cd only",
          ...(line === undefined ? {} : { line }),
        });
      }
    } else {
      emit(`${at()}:${func},${type},${path}${opts === "" ? "" : `,${opts}`}`, from, line);
      added = true;
    }
    if (added) {
      if (uefi) next();
      else func++;
    }
    normalize();
  }
  if (pending !== "") {
    // vm-bhyve writes the leftover controller without its bus: bhyve reads slot:function.
    emit(`${slotText ?? slot}:${func},ahci${pending}`, pendingFrom.join(","));
    if (uefi) next();
  }
  if (disks >= 1 && !uefi) {
    next();
    func = 0;
  }
  normalize();

  // 2. NICs
  let nics = 0;
  for (;; nics++) {
    const type = get(`network${nics}_type`) ?? "";
    if (type === "") break;
    const from = `network${nics}`;
    const line = lineOf(`network${nics}_type`);
    if (func >= 8) {
      func = 0;
      next();
    }
    normalize();
    const sw = get(`network${nics}_switch`) ?? "";
    if (sw === "") {
      notes.push({
        level: "warn",
        code: "vm-config",
        message: `vm-bhyve leaves out ${from}: it has no ${from}_switch ` +
          '("unable to configure interface")',
        fix: `set ${from}_switch="public" (a switch of vm switch list)`,
        ...(line === undefined ? {} : { line }),
      });
      continue;
    }
    const tap = get(`network${nics}_device`) || get(`network${nics}_name`) || "<tap>";
    const mac = get(`network${nics}_mac`) || "<mac>";
    emit(`${at()}:${func},${type},${tap},mac=${mac}`, from, line);
    func++;
  }
  if (nics >= 1) {
    next();
    func = 0;
  }
  normalize();

  // 3. virtio-rnd
  if (yes("virt_random")) {
    emit(`${at()}:0,virtio-rnd`, "virt_random", lineOf("virt_random"));
    next();
  }
  normalize();

  // 4. passthru
  const passthruStart = { bus, slot };
  let pfunc = 0;
  let last = "";
  for (const [n, p] of passthru.entries()) {
    const key = `passthru${n}`;
    const options = fork === "freebsd" && p.options !== "" ? `,${p.options}` : "";
    const eq = p.value.indexOf("=");
    if (eq >= 0) {
      const pin = p.value.slice(p.value.lastIndexOf("=") + 1);
      emit(`${bus}:${pin},passthru,${p.value.slice(0, eq)}${options}`, key, p.line, p.entry);
      continue;
    }
    const slash = p.value.indexOf("/");
    const hostBus = slash < 0 ? p.value : p.value.slice(0, slash);
    if (last !== "" && last !== hostBus) {
      next();
      pfunc = 0;
    }
    normalize();
    emit(`${at()}:${pfunc},passthru,${p.value}${options}`, key, p.line, p.entry);
    last = hostBus;
    pfunc++;
  }
  if (passthru.length > 0) next();
  normalize();
  const withOptions = passthru.findIndex((p) => p.options !== "");
  if (guest.fork === null && withOptions >= 0) {
    const p = passthru[withOptions];
    notes.push({
      level: "info",
      code: "vm-config",
      message: `passthru${withOptions}_options reaches bhyve with freebsd/vm-bhyve (since ` +
        "e61c1d7, 2025-09) only; churchers/vm-bhyve ignores it, and pptkit cannot tell which " +
        `one runs here (${VM_BHYVE_RUN} is not readable)`,
      ...(p.line === undefined ? {} : { line: p.line }),
    });
  }
  if (fork === "churchers") {
    for (const [n, p] of passthru.entries()) {
      if (p.options === "") continue;
      notes.push({
        level: "warn",
        code: "vm-config",
        message: `churchers/vm-bhyve ignores passthru${n}_options: bhyve gets ${
          p.value.split("=")[0]
        } without ${p.options}`,
        fix: "use freebsd/vm-bhyve (it reads passthruN_options since 2025-09, commit e61c1d7)",
        ...(p.line === undefined ? {} : { line: p.line }),
      });
    }
  }

  // 5. framebuffer, tablet, sound, consoles
  if (uefi && yes("graphics")) {
    const res = get("graphics_res") ?? "";
    const vga = get("graphics_vga") ?? "";
    const password = get("vnc_password") ?? "";
    const wait = get("graphics_wait") ?? "auto";
    let conf = `tcp=${get("graphics_listen") || "0.0.0.0"}:${get("graphics_port") || "<port>"}`;
    if (res !== "") conf += `,w=${res.split("x")[0]},h=${res.slice(res.lastIndexOf("x") + 1)}`;
    if (vga !== "") conf += `,vga=${vga}`;
    if (password !== "") conf += `,password=${password}`;
    // "auto" waits only in vm install.
    if (wait !== "auto" && vmBhyveYes(wait)) conf += ",wait";
    emit(`${at()}:0,fbuf,${conf}`, "graphics", lineOf("graphics"));
    next();
    normalize();
  }
  if (yes("xhci_mouse")) {
    emit(`${at()}:0,xhci,tablet`, "xhci_mouse", lineOf("xhci_mouse"));
    next();
  }
  normalize();
  if (yes("sound")) {
    const rec = get("sound_rec") ?? "";
    emit(
      `${at()}:0,hda,play=${get("sound_play") ?? "/dev/dsp0"}${rec === "" ? "" : `,rec=${rec}`}`,
      "sound",
      lineOf("sound"),
    );
    next();
  }
  normalize();
  let console = get("virt_console0") ?? "";
  if (console !== "") {
    let ports = "";
    for (let n = 0; console !== "" && n < 16;) {
      const lower = console.toLowerCase();
      const port = lower === "yes" || lower === "on" || console === "1" ? String(n) : console;
      ports += `,${port}=${guest.dsPath}/${guest.name}/vtcon.${port}`;
      n++;
      console = get(`virt_console${n}`) ?? "";
    }
    emit(`${at()}:0,virtio-console${ports}`, "virt_console0", lineOf("virt_console0"));
    next();
    normalize();
  }
  const installText = get("install_slot") ?? "3";
  const installSlot = shNumber(installText) ?? 3;
  if (loader === "uefi" && yes("nulliso_fix")) {
    emit(`${installText}:0,ahci-cd,${guest.vmDir}/.config/null.iso`, "nulliso_fix");
  }
  return {
    layout: {
      runner: "vm-bhyve",
      detail: guest.fork === null
        ? "churchers/vm-bhyve or freebsd/vm-bhyve"
        : `${guest.fork}/vm-bhyve`,
      lines,
      wired: passthru.length > 0 || yes("wired_memory"),
      notes,
    },
    passthruStart,
    installSlot,
  };
}

/** vm::get_disk_path. */
function diskPath(guest: VmBhyveGuest, dev: string, name: string, fork: VmBhyveFork): string {
  switch (dev) {
    case "zvol":
    case "sparse-zvol":
      return `/dev/zvol/${guest.dsDataset ?? ""}/${guest.name}/${name}`;
    case "custom":
      return name;
    case "9p":
      return fork === "freebsd" ? name : `${guest.dsPath}/${guest.name}/${name}`;
    case "iscsi":
      return `<iscsi ${name}>`;
    default:
      return `${guest.dsPath}/${guest.name}/${name}`;
  }
}
