/**
 * AMD (ATI) GPUs (vendor 1002): the GPU and its HDMI/DisplayPort audio function are one card in
 * one host slot; they stay in one guest slot, and a VM that passes only one of them gets a
 * `partial-device` warning. Many AMD GPUs do not come back from a guest cleanly (no working
 * function level reset), so pptkit notes that the second start of a guest may need a host
 * reboot.
 *
 * @module
 */

import {
  definePlugin,
  entriesPartial,
  type Finding,
  formatSelector,
  type GroupEntry,
  type PciDevice,
} from "../core/plugins/api.ts";

const AMD_GRAPHICS = "1002";
const isAmdGraphics = (d: PciDevice) => d.vendorId === AMD_GRAPHICS;
const isGpu = (d: PciDevice) => d.classCode.startsWith("03");
const WHAT = "AMD graphics card";
const WHY = "the GPU and its HDMI audio are passed as a pair";
const REASON = "amd_gpu: the GPU and the HDMI audio function of an AMD card belong in one " +
  "guest slot";
const RESET_NOTE = "AMD GPUs often fail to reset when a guest stops (the AMD reset bug): " +
  "starting the guest a second time may fail or hang until the host reboots";
const RESET_SOURCE = "https://github.com/gnif/vendor-reset (the reset quirks of AMD GPUs, " +
  "documented for KVM; the hardware behaves the same under bhyve)";

function resetNote(device: PciDevice): Finding {
  return {
    level: "info",
    code: "quirk",
    message: `${RESET_NOTE} (source: ${RESET_SOURCE})`,
    fix: "plan a host reboot between guest restarts if the card stops responding",
    device: formatSelector(device.address),
  };
}

export default definePlugin({
  name: "amd_gpu",
  version: "1.0.0",
  description: "AMD GPUs: GPU and HDMI audio stay in one guest slot; reset caveat",
  matches: isAmdGraphics,
  inspect(device) {
    return isGpu(device) ? [resetNote(device)] : [];
  },
  group(entries) {
    return entries.map((e): GroupEntry =>
      e.grouping === "auto" ? { ...e, grouping: "keep-together", reason: REASON } : e
    );
  },
  prestart(vm, ctx) {
    const out = entriesPartial(vm.name, vm.entries, ctx, isAmdGraphics, WHAT, WHY);
    const gpu = vm.entries.find((e) => e.device !== null && isGpu(e.device));
    if (gpu?.device) out.push(resetNote(gpu.device));
    return out;
  },
});
