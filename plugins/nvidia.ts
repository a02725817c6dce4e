/**
 * NVIDIA GPUs (vendor 10de). A card is several functions of one host slot: the GPU, its HD audio
 * controller and, on cards with a USB-C port, an xHCI controller and a UCSI (USB-C) function.
 * The NVIDIA driver expects to find them as functions of one device, as the user guide passes
 * them (`-s 6:0,passthru,1/0/0 -s 6:1,passthru,1/0/1`), so they stay in one guest slot, and a
 * VM that passes only part of the card gets a `partial-device` warning (from prestart, which
 * the verdict engine runs for every command that judges a VM).
 *
 * @module
 */

import {
  definePlugin,
  entriesPartial,
  type GroupEntry,
  type PciDevice,
} from "../core/plugins/api.ts";

const NVIDIA = "10de";
const isNvidia = (d: PciDevice) => d.vendorId === NVIDIA;
const WHAT = "NVIDIA card";
const WHY = "the driver expects the GPU with its audio (and USB-C) functions";
const REASON = "nvidia: the GPU, HD audio and USB-C functions of an NVIDIA card belong in " +
  "one guest slot";

export default definePlugin({
  name: "nvidia",
  version: "1.0.0",
  description: "NVIDIA GPUs: GPU, HD audio and USB-C functions stay in one guest slot",
  matches: isNvidia,
  group(entries) {
    return entries.map((e): GroupEntry =>
      e.grouping === "auto" ? { ...e, grouping: "keep-together", reason: REASON } : e
    );
  },
  prestart(vm, ctx) {
    return entriesPartial(vm.name, vm.entries, ctx, isNvidia, WHAT, WHY);
  },
});
