/**
 * AMD (ATI) GPUs (vendor 1002): the GPU and its HDMI/DisplayPort audio function are one card in
 * one host slot; they stay in one guest slot, and a VM that passes only one of them gets a
 * `partial-device` warning. AMD GPUs do not always come back from a guest cleanly: bhyve users
 * report a host lock-up on the second start of an amdgpu guest, and amdgpu failing after the
 * GPU was in another VM until the host rebooted, so pptkit notes that the second start of a
 * guest may need a host reboot (the reports' own rules are in quirks.jsonc).
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
const RESET_NOTE = "AMD GPUs may not reset when a guest stops: starting a guest with the GPU " +
  "again may fail or hang until the host reboots";
const RESET_SOURCE = "https://github.com/chyves/chyves/issues/3 (bhyve, amdgpu guest: " +
  "starting the guest again locked up the host) and " +
  "https://signal.eu.org/blog/2025/12/17/running-ollama-on-a-amd-gpu-with-bhyve-freebsd/ " +
  "(bhyve, RX 9060 XT: after the GPU was used in another VM amdgpu may fail to load; " +
  "rebooting the host resets the GPU)";

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
