/**
 * `pptkit plan VM [-- BHYVE-ARGS]`: the guest slot of each passthru device of a VM (DESIGN §9),
 * after the vendor plugins had their say, placed where the VM's wrapper really puts it, in the
 * format the wrapper needs, with every finding the verdict engine has about the VM. On a
 * terminal it also shows the whole `-s` list the VM will run with (`--format layout` prints it
 * on stdout). The plan is saved per VM (`stateDir/slots/VM.json`, app/plan.ts) so a device keeps
 * its guest address across runs and config edits where the wrapper lets pptkit choose.
 *
 * @module
 */

import { planOnHost } from "../app/plan.ts";
import { usageError } from "../core/errors.ts";
import { formatPlan, PLAN_FORMATS, type PlanFormat } from "../core/slots/formats.ts";
import { renderLayout } from "../core/slots/layout.ts";
import { DEFAULT_FIRST_SLOT } from "../core/slots/rules.ts";
import type { Command, OptionSpec } from "./command.ts";
import { renderFindings } from "./findings.ts";
import { WRAPPER, wrapperOption } from "./options.ts";

const FORMAT: OptionSpec = {
  name: "format",
  type: "string",
  value: "FORMAT",
  help: `output: ${PLAN_FORMATS.join(", ")}`,
  default: "args",
};
const FIRST_SLOT: OptionSpec = {
  name: "first-slot",
  type: "string",
  value: "N",
  help: "first guest slot for passthru devices (1-30)",
  default: String(DEFAULT_FIRST_SLOT),
};
const USED_SLOTS: OptionSpec = {
  name: "used-slots",
  type: "string",
  value: "LIST",
  help: "guest slots the VM uses for other devices, e.g. 0,1,2,3,4,31",
};
const RESET_SLOTS: OptionSpec = {
  name: "reset-slots",
  type: "boolean",
  help: "forget the saved guest addresses of this VM (after a card swap)",
};

/** A whole decimal number in [min, max], or a usage error naming the option. */
function slotNumber(text: string, option: string, min: number, max: number): number {
  const n = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw usageError(`--${option}: bad guest slot "${text}": expected a number ${min}-${max}`);
  }
  return n;
}

export const plan: Command = {
  synopsis:
    "VM [--format args|layout|bhyve-config|vm-bhyve|hoster|libvirt|bmd|json] [--first-slot N] [--used-slots LIST] [--reset-slots] [--wrapper NAME] [-- BHYVE-ARGS...]",
  description: `
Computes the guest slot and function of each passthru device of VM, from its config (pptkit's
own, Hoster, vm-bhyve or CBSD). Functions of one host slot share one guest slot and keep their
function numbers when function 0 is among them ("1/0/0", "1/0/1" -> -s 6:0,... -s 6:1,...);
otherwise they are numbered from 0 so every guest slot has a function 0 (SR-IOV functions
above 7). A leading "-" (Hoster) gives a function a guest slot of its own; "=S:F"
(vm-bhyve) pins it. Vendor plugins keep NVIDIA and AMD GPUs with their audio functions and
QLogic FC functions on their host numbers. -S (wired memory) is always part of the
arguments.

A wrapper puts its own devices on the guest bus too, and pptkit predicts the whole -s list it
will run from the VM's config: vm-bhyve (disks, NICs, virtio-rnd, then passthru, then fbuf,
xhci, hda, consoles), Hoster (NICs, disks, 9p shares, the VNC framebuffer, then passthru),
CBSD (the bus map of its last start). The plan is where the wrapper really puts the devices;
--format vm-bhyve and --format hoster print the smallest change to the config that makes the
wrapper place them as planned (the config's own lines when it already does), and
--format layout prints the whole list, passthru lines marked with *. On a terminal plan
shows that list too. BHYVE-ARGS after -- is the bhyve command line the plan goes into
(bhyve-run): its -s slots and -k files are left as they are, and the devices go into the
free slots from --first-slot. Guest addresses are saved and reused where pptkit chooses them;
a different card at the same host address is refused until --reset-slots.`,
  options: [FORMAT, FIRST_SLOT, USED_SLOTS, RESET_SLOTS, WRAPPER],
  args: { min: 1, max: Infinity },
  examples: [
    [
      'The demo\'s Hoster VM (one NIC, one disk) with "passthru": ["1/0/0", "1/0/1"]',
      "pptkit plan test-vm-1   # -S -s 5:0,passthru,1/0/0 -s 5:1,passthru,1/0/1",
    ],
    ["The whole -s list vm-bhyve will run", "pptkit plan win10 --format layout"],
    ["Lines for a vm-bhyve config", "pptkit plan win10 --format vm-bhyve --wrapper vm-bhyve"],
    [
      "The devices of vm1 around a bhyve command line of its own",
      "pptkit plan vm1 -- -s 0,hostbridge -s 4,virtio-blk,/vm/vm1.img -s 31,lpc",
    ],
  ],
  async run(ctx) {
    const name = ctx.args[0];
    const bhyveArgs = ctx.args.slice(1);
    // A bhyve command line is options first (bhyve-run's "-c 2 -m 4G -s ..."), after --.
    if (bhyveArgs.length > 0 && !bhyveArgs[0].startsWith("-")) {
      throw usageError(
        `plan: unexpected argument "${bhyveArgs[0]}"`,
        `give one VM; a bhyve command line goes after --: pptkit plan ${name} -- -s 4,...`,
      );
    }
    const format = (ctx.global.json ? "json" : ctx.options.format ?? "args") as PlanFormat;
    if (!PLAN_FORMATS.includes(format)) {
      throw usageError(
        `--format: unknown format "${format}"`,
        `use one of: ${PLAN_FORMATS.join(", ")}`,
      );
    }
    const firstSlot = slotNumber(
      (ctx.options["first-slot"] as string | undefined) ?? String(DEFAULT_FIRST_SLOT),
      "first-slot",
      1,
      30,
    );
    const usedText = ctx.options["used-slots"] as string | undefined;
    const usedSlots = usedText === undefined
      ? []
      : usedText.split(",").filter((s) => s.trim() !== "").map((s) =>
        slotNumber(s.trim(), "used-slots", 0, 31)
      );
    const wrapper = wrapperOption(ctx, "plan");

    const { plan: result, findings } = await planOnHost(await ctx.host(), await ctx.config(), {
      vm: name,
      wrapper,
      firstSlot,
      usedSlots,
      resetSlots: ctx.options["reset-slots"] === true,
      bhyveArgs,
    });
    ctx.out.stdout(formatPlan(result, format, findings));
    // A person at a terminal sees what the VM will run with; scripts get stdout alone.
    if (!ctx.global.quiet && ctx.out.columns !== null && format !== "layout" && format !== "json") {
      ctx.out.stderr(renderLayout(result.layout, result.vm));
    }
    const shown = findings.filter((f) => ctx.global.verbose || f.level !== "info");
    if (!ctx.global.quiet && format !== "json" && shown.length > 0) {
      ctx.out.stderr(renderFindings(shown, ctx.out.color));
    }
    // The arguments are printed all the same (a wrapper may want them), but never silently.
    const errors = findings.filter((f) => f.level === "error");
    if (format !== "json" && errors.length > 0) {
      ctx.out.stderr(
        `pptkit: warning: VM ${name} cannot start with these devices: ${errors.length} ` +
          `error${errors.length === 1 ? "" : "s"} (${
            [...new Set(errors.map((f) => f.code))].join(", ")
          })\n` +
          `hint: see why with: pptkit check --vm ${name}\n`,
      );
    }
    return 0;
  },
};
