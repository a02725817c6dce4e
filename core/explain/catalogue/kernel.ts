/**
 * The catalogue: the kernel's messages: vmm(4) (vmm.c, io/iommu.c, intel/vtd.c, intel/vmx.c,
 * amd/svm.c, amd/amdvi_hw.c, amd/ivrs_drv.c, amd/amdviiommu.c), the host IOMMU drivers
 * (x86/iommu/intel_fault.c, amd_event.c) and kern_environment.c.
 *
 * Data only, read from the sources named in each entry (core/explain/catalogue/schema.ts);
 * the ranges marked `verified: false` are inferred, not read in a dated source (UNVERIFIED).
 *
 * @module
 */

import type { Entry } from "./schema.ts";

export const KERNEL: readonly Entry[] = [
  {
    id: "iommu-host-domain",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/io/iommu.c",
      function: "iommu_init",
      commit: "4d846d260e2b9a3d4d0a701462568268cbfe7a5b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "iommu_init: unable to create a host domain",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "printf without a trailing newline in every version read, so the next kernel message is glued to it on the same line. Very old versions (10.x era, indexed copies) used panic() with the same text",
      },
    ],
    meaning:
      "vmm set up the IOMMU (when the first passthrough VM started) but could not create the host's DMA domain; the IOMMU stays unused and passthrough fails. The kernel prints no newline after it, so the next kernel message follows on the same line",
    causes: [
      {
        check: "iommu-present",
        text: "the DMAR / IVRS tables are broken or describe no usable unit",
        fix: "update the firmware; check acpidump -t | grep -E 'DMAR|IVRS'",
      },
      {
        check: "manual",
        text: "the kernel was short of memory at that moment",
        fix: "start again once memory is free",
      },
    ],
    fix: "check the firmware's IOMMU setup and dmesg around this line",
    sample: "iommu_init: unable to create a host domain",
    related: ["not-ppt"],
  },
  {
    id: "vtd-caching-mode",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "vtd_init",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vtd_init: invalid caching mode",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "same text in both vtd.c versions read; earlier releases not checked. panic: the host crashes when the first passthru VM starts",
      },
    ],
    meaning:
      "a VT-d unit reports caching mode, which vmm's VT-d code does not support, and the host panics: this is what an emulated IOMMU looks like when FreeBSD itself runs in a VM",
    causes: [
      {
        check: "manual",
        text: "FreeBSD runs nested under another hypervisor with a virtual Intel IOMMU",
        fix:
          "do not use bhyve passthrough nested, or turn caching mode off in the outer hypervisor's virtual IOMMU (QEMU: -device intel-iommu,caching-mode=off)",
      },
    ],
    fix: "do not use passthrough in a nested setup",
    sample: "panic: vtd_init: invalid caching mode",
    related: ["vtd-not-in-scope"],
  },
  {
    id: "vtd-not-in-scope",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "vtd_add_device",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vtd_add_device: device %x is not in scope for any DMA remapping unit",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "panic. %x is the RID in hex without 0x. the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain",
        fields: ["rid"],
      },
    ],
    meaning:
      "the DMAR table gives this device (a PCI requester id) no remapping unit, so vmm cannot put it in a domain and the host panics",
    causes: [
      {
        check: "manual",
        text:
          "a firmware DMAR bug: the device is in no unit's scope (often devices behind bridges, or added later)",
        fix: "update the firmware; until then do not pass this device",
      },
    ],
    fix: "update the firmware; do not pass that device",
    sample: "panic: vtd_add_device: device 300 is not in scope for any DMA remapping unit",
    related: ["vtd-already-owned"],
  },
  {
    id: "vtd-already-owned",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "vtd_add_device",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vtd_add_device: device %x is already owned by domain %d",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "panic. %x is the RID (hex, no 0x). the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain. domain %d: vmm VT-d domain ids start at 1",
        fields: ["rid", null],
      },
    ],
    meaning:
      "a device was added to an IOMMU domain while another domain still had it, and the host panics",
    causes: [
      {
        check: "manual",
        text:
          "two functions share a requester id (aliasing behind a PCIe-to-PCI bridge), or a device was given out twice",
        fix:
          "pass the whole group behind the bridge or none of it; never give one device to two VMs (pptkit hook prestart locks each device for one VM)",
      },
    ],
    fix: "do not pass devices that alias behind a bridge",
    sample: "panic: vtd_add_device: device 300 is already owned by domain 1",
    related: ["vtd-not-in-scope"],
  },
  {
    id: "vtd-sagaw",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "vtd_create_domain",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vtd_create_domain: SAGAW 0x%x does not support AGAW %d",
        first: "12.0",
        last: null,
        verified: true,
        note: "panic",
      },
    ],
    meaning:
      "the VT-d units support no page-table depth big enough for the host's physical addresses, and the host panics",
    causes: [
      {
        check: "manual",
        text: "unusual firmware or hardware, or an emulated IOMMU",
        fix: "update the firmware; report it",
      },
    ],
    fix: "report it with the DMAR table",
    sample: "panic: vtd_create_domain: SAGAW 0x4 does not support AGAW 48",
    related: [],
  },
  {
    id: "vtd-no-hw",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "vtd_create_domain",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vtd_create_domain: no dma remapping hardware available",
        first: "12.0",
        last: null,
        verified: true,
        note: "panic",
      },
    ],
    meaning:
      "vmm tried to create an IOMMU domain with no VT-d unit registered, and the host panics",
    causes: [
      {
        check: "iommu-present",
        text: "an inconsistent state that should not happen after vtd_init",
        fix: "report it",
      },
    ],
    fix: "report it",
    sample: "panic: vtd_create_domain: no dma remapping hardware available",
    related: [],
  },
  {
    id: "vtd-domain-ids",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vtd.c",
      function: "domain_id / vtd_max_domains",
      commit: "0162500b7d2d686f3f745c12339271be645a2cf8",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "domain ids exhausted",
        first: "12.0",
        last: null,
        verified: true,
        note: "panic in domain_id()",
        strict: true,
      },
      {
        text: "vtd_max_domains: invalid value of nd (0x%0x)",
        first: "12.0",
        last: null,
        verified: true,
        note: "panic: the unit's CAP.ND field is invalid (emulated/broken IOMMU)",
      },
    ],
    meaning:
      "the VT-d hardware ran out of domain ids, or reports an invalid number of them, and the host panics",
    causes: [
      {
        check: "manual",
        text: "many passthrough VMs on a unit with few domains, or a broken or emulated IOMMU",
        fix: "run fewer passthrough VMs at once; report it",
      },
    ],
    fix: "report it",
    sample: "panic: domain ids exhausted",
    related: [],
  },
  {
    id: "amdvi-disabled",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_init",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text:
          "bhyve: Found %d AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through.",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "printed by the kernel (the 'bhyve:' is part of the kernel text) each time vmm tries to initialise AMD-Vi while hw.vmm.amdvi.enable=0 (default 0 in the version read; amdvi_hw.c exists since 12.0, range otherwise UNVERIFIED)",
      },
    ],
    meaning:
      "the host has AMD-Vi (IVHD) units, but vmm leaves AMD-Vi off unless hw.vmm.amdvi.enable=1 (off by default), so passthrough cannot work",
    causes: [
      {
        check: "amdvi-enabled",
        text: "hw.vmm.amdvi.enable is 0",
        fix:
          "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot (a tunable read at boot; pptkit reserve adds it)",
      },
    ],
    fix: "set hw.vmm.amdvi.enable=1 in /boot/loader.conf and reboot",
    sample:
      "bhyve: Found 1 AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through.",
    related: ["not-ppt"],
  },
  {
    id: "amdvi-io-page-fault",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_decode_pf_evt / amdvi_decode_inv_dte_evt (from amdvi_event_intr)",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\t[IO_PAGE_FAULT EVT: devId:0x%x DomId:0x%x Addr:0x%lx",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "same line finishes with amdvi_decode_evt_flag: ' 0x%b]' (flags in hex with <GN,NX,US,I,PR,RW,PE,RZ,TR> names). The same IO_PAGE_FAULT text is also printed for INVALID_DTE events (the code reuses it). the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain. DomId 0 is the host domain; VM domains are 1, 2, ... Addr is the DMA address the device used (guest-physical for a VM's device)",
        fields: ["rid", null, null],
      },
    ],
    meaning:
      "the AMD IOMMU blocked a DMA: the device (devId, a PCI requester id) used an address not mapped in its domain (DomId 0 is the host's, VMs have 1, 2, ...)",
    causes: [
      {
        check: "device-on-ppt",
        text:
          "DomId 0: the host domain had the device when it did DMA (a passthrough device between its VMs, or a device still on its host driver)",
        fix:
          "keep a passthrough device on ppt(4) and reset it before use; for a host device, check its driver",
      },
      {
        check: "manual",
        text:
          "DomId is a VM's: the guest programmed the device with an address outside guest memory (a guest driver bug, or 32-bit DMA limits)",
        fix: "check the guest's driver",
      },
      {
        check: "device-flr",
        text:
          "the device keeps doing DMA across VM restarts because it has no function level reset",
        fix: "prefer devices with FLR (pciconf -lc shows FLR in the PCI-Express line)",
      },
    ],
    fix: "find the device by its B/S/F and see which VM or driver had it then",
    sample: "\t[IO_PAGE_FAULT EVT: devId:0x300 DomId:0x1 Addr:0xfee00000 0x20<RW>]",
    related: ["amdvi-event-header", "amdvi-event-intr"],
  },
  {
    id: "amdvi-event-header",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_print_events",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "device_printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "\t[Event%d: Head:0x%x Tail:0x%x]",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "device_printf on the ivhdN device, so the line starts with 'ivhdN: '. One per logged event, followed by the decoded event line",
      },
    ],
    meaning: "an AMD-Vi event log entry follows; the next line says what it is",
    causes: [
      {
        check: "manual",
        text: "the event line follows (IO_PAGE_FAULT, DEV_TAB_HW_ERR, ...)",
        fix: "explain the next line",
      },
    ],
    fix: "explain the event line after it",
    sample: "ivhd0: \t[Event0: Head:0x0 Tail:0x10]",
    related: ["amdvi-io-page-fault", "amdvi-event-intr"],
  },
  {
    id: "amdvi-event-intr",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_event_intr",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "device_printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "EVT INTR %ld Status:0x%x EVT Head:0x%x Tail:0x%x]",
        first: "12.0",
        last: null,
        verified: true,
        note: "device_printf ('ivhdN: ' prefix); followed by a plain printf line below",
      },
      {
        text: "  [CMD Total 0x%lx] Tail:0x%x, Head:0x%x.",
        first: "12.0",
        last: null,
        verified: true,
        note: "second line",
      },
    ],
    meaning: "an AMD-Vi unit raised its event interrupt; the events follow",
    causes: [
      { check: "manual", text: "the event lines follow", fix: "explain them" },
    ],
    fix: "explain the event lines after it",
    sample: "ivhd0: EVT INTR 0 Status:0x1a EVT Head:0x0 Tail:0x10]",
    related: ["amdvi-event-header", "amdvi-io-page-fault"],
  },
  {
    id: "amdvi-hw-error",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_decode_dte_hwerr_evt / amdvi_decode_page_hwerr_evt",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\t[DEV_TAB_HW_ERR EVT: devId:0x%x DomId:0x%x Addr:0x%lx",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "flags ' 0x%b]' and a type line (RSVD / Master Abort / Target Abort / Data Err) follow. the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain",
        fields: ["rid", null, null],
      },
      {
        text: "\t[PAGE_TAB_HW_ERR EVT: devId:0x%x DomId:0x%x Addr:0x%lx",
        first: "12.0",
        last: null,
        verified: true,
        note: "same layout",
        fields: ["rid", null, null],
      },
    ],
    meaning: "the AMD IOMMU hit a hardware error reading its device table or page tables",
    causes: [
      {
        check: "manual",
        text: "a memory or bus error, or a bad table address",
        fix: "look for machine-check errors; update the firmware",
      },
    ],
    fix: "check the hardware (machine-check logs) and the firmware",
    sample: "\t[PAGE_TAB_HW_ERR EVT: devId:0x300 DomId:0x1 Addr:0x12345000 0x0]",
    related: ["amdvi-event-header"],
  },
  {
    id: "amdvi-cmd-error",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_decode_evt",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\t[%s EVT]",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "%s is 'ILLEGAL CMD' or 'CMD HW ERR'; followed by '\\tCMD opcode= 0x%x 0x%x 0x%x 0x%lx'",
      },
    ],
    meaning: "the AMD IOMMU rejected a command of vmm's AMD-Vi driver",
    causes: [
      { check: "manual", text: "a driver and hardware mismatch", fix: "report it with dmesg" },
    ],
    fix: "report it",
    sample: "\t[ILLEGAL CMD EVT]",
    related: ["amdvi-completion-failed"],
  },
  {
    id: "amdvi-iotlb-timeout",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_decode_evt",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\t[IOTLB_INV_TIMEOUT devid:0x%x addr:0x%lx]",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain",
        fields: ["rid", null],
      },
      {
        text: "\t[INV_DTE devid:0x%x addr:0x%lx type:0x%x tr:%d]",
        first: "12.0",
        last: null,
        verified: true,
        note: "INVALID_DTE_REQ event",
        fields: ["rid", null, null, null],
      },
    ],
    meaning:
      "a device did not answer an IOTLB invalidation, or asked with an invalid device table entry",
    causes: [
      {
        check: "manual",
        text: "an ATS-capable device that misbehaves, or one missing from the device table",
        fix: "report it; try another slot",
      },
    ],
    fix: "report it",
    sample: "\t[IOTLB_INV_TIMEOUT devid:0x300 addr:0x0]",
    related: [],
  },
  {
    id: "amdvi-unsupported-event",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_decode_evt",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "Unsupported AMD-Vi event:%d",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "AMD-Vi: v2 events.",
        first: "12.0",
        last: null,
        verified: true,
        note: "pPR / counter-zero events",
        strict: true,
      },
    ],
    meaning: "an AMD-Vi event the driver does not decode",
    causes: [
      { check: "manual", text: "informational", fix: "nothing" },
    ],
    fix: "nothing to do",
    sample: "Unsupported AMD-Vi event:9",
    related: [],
  },
  {
    id: "amdvi-completion-failed",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_wait / amdvi_dump_cmds",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Error: completion failed tail:0x%x, head:0x%x.",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "'ivhdN: ' prefix; followed by 'Dump last %d command(s):' and '  [CMD%d, off:0x%x] opcode= 0x%x 0x%x 0x%x 0x%lx' lines",
      },
    ],
    meaning:
      "the AMD IOMMU did not complete a command within about a second; invalidations may be lost",
    causes: [
      {
        check: "manual",
        text: "the IOMMU hung, or the firmware turned it off",
        fix: "update the firmware; report it with the command dump",
      },
    ],
    fix: "report it",
    sample: "ivhd0: Error: completion failed tail:0x20, head:0x10.",
    related: ["amdvi-cmd-error"],
  },
  {
    id: "amdvi-setup-failed",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_setup_hw / amdvi_init_event / amdvi_alloc_intr_resources",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "PCI capability.",
        first: "12.0",
        last: null,
        verified: true,
        note: "'ivhdN: ' prefix (all of these)",
        strict: true,
      },
      {
        text: "Couldn't configure command buffer.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Couldn't configure event buffer.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Couldn't configure device table.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Event buffer not aligned on page.",
        first: "12.0",
        last: null,
        verified: true,
        note: "no trailing newline",
      },
      {
        text: "Interrupt setup failed on %s",
        first: "12.0",
        last: null,
        verified: true,
        note: "%s is the amdviiommuN/amdiommuN PCI function",
      },
    ],
    meaning: "setting up an AMD-Vi unit failed when it attached; it cannot be used for passthrough",
    causes: [
      {
        check: "manual",
        text: "the IOMMU's PCI function was not claimed, or resources ran out",
        fix: "read the ivhd and amdviiommu lines of dmesg; update the firmware",
      },
    ],
    fix: "read the ivhd attach lines",
    sample: "ivhd0: Interrupt setup failed on amdviiommu0",
    related: ["ivhd-init-failed", "amdvi-event-intr-setup"],
  },
  {
    id: "amdvi-map-error",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_update_mapping / amdvi_set_pt / amdvi_create_mapping",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Error: Couldn't map HPA:0x%lx GPA:0x%lx",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "HPA is not size aligned.",
        first: "12.0",
        last: null,
        verified: true,
        note: "printed for both HPA and GPA checks (same text)",
        strict: true,
      },
      {
        text: "ptp is NULL",
        first: "12.0",
        last: null,
        verified: true,
        note: "no trailing newline",
        strict: true,
      },
    ],
    meaning: "vmm's AMD-Vi code could not build an IOMMU mapping of guest memory",
    causes: [
      { check: "manual", text: "an internal error", fix: "report it" },
    ],
    fix: "report it",
    sample: "Error: Couldn't map HPA:0x123400000 GPA:0x0",
    related: [],
  },
  {
    id: "amdvi-info",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdvi_hw.c",
      function: "amdvi_print_dev_cap / amdvi_print_pci_cap",
      commit: "034eea1ee5dd25c6a3ff2ce544a990fdd04458fb",
    },
    printer: "device_printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "device [0x%x - 0x%x] config:%b%s",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "attach-time info ('ivhdN: '). The range is a RID range (the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain.)",
      },
      {
        text: "PCI cap 0x%x@0x%x feature:%b",
        first: "12.0",
        last: null,
        verified: true,
        note: "attach-time info",
      },
    ],
    meaning: "an AMD-Vi unit's attach lines: the requester id ranges it covers",
    causes: [
      { check: "manual", text: "informational", fix: "nothing" },
    ],
    fix: "nothing to do",
    sample: "ivhd0: device [0x0 - 0xffff] config:0",
    related: [],
  },
  {
    id: "ivrs-info",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_identify",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "kernel printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "AMD-Vi: IVRS Info VAsize = %d PAsize = %d GVAsize = %d flags:%b",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "printed at boot when vmm is loaded and an IVRS table exists: proof that the firmware provides AMD-Vi",
      },
    ],
    meaning:
      "the firmware's IVRS table (AMD-Vi) was found: proof that the firmware describes an AMD IOMMU",
    causes: [
      { check: "manual", text: "informational", fix: "nothing" },
    ],
    fix: "nothing to do",
    sample: "AMD-Vi: IVRS Info VAsize = 64 PAsize = 48 GVAsize = 2 flags:0",
    related: [],
  },
  {
    id: "ivrs-corrupted",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivrs_hdr_iterate_tbl",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "AMD-Vi:IVHD/IVMD is corrupted, length : %d",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "AMD-Vi:Not IVHD/IVMD type(%d)",
        first: "12.0",
        last: null,
        verified: true,
        note: "no trailing newline",
      },
    ],
    meaning:
      "the IVRS table holds a truncated or unknown sub-table; the kernel stops reading it or skips it",
    causes: [
      { check: "iommu-present", text: "a firmware IVRS bug", fix: "update the firmware" },
    ],
    fix: "update the firmware",
    sample: "AMD-Vi:IVHD/IVMD is corrupted, length : 0",
    related: ["ivrs-cant-find"],
  },
  {
    id: "ivrs-cant-find",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_identify",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "AMD-Vi: can't find ivhd%d",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "wording of the newer ivrs_drv.c (no devclass argument to DRIVER_MODULE, 14.0 era); boundary UNVERIFIED",
      },
      {
        text: "AMD-Vi: cant find ivhd%d",
        first: "12.0",
        last: "13.5",
        verified: false,
        note: "older spelling; last release UNVERIFIED",
      },
    ],
    meaning:
      "an ivhd device could not be created or found (after vmm was reloaded, say); fewer AMD-Vi units are used",
    causes: [
      {
        check: "vmm-from-loader",
        text: "vmm.ko was unloaded and loaded again",
        fix: "load vmm once, from the loader",
      },
    ],
    fix: "load vmm from /boot/loader.conf and do not reload it",
    sample: "AMD-Vi: can't find ivhd0",
    related: [],
  },
  {
    id: "ivhd-entry-error",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_dev_parse",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Unexpected start-of-range device entry",
        first: "12.0",
        last: null,
        verified: true,
        note: "'ivhdN: ' prefix",
      },
      {
        text: "Unexpected end-of-range device entry",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Device entry range going backward",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "unknown type: 0x%x",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Unknown dev entry:0x%x",
        first: "12.0",
        last: null,
        verified: true,
        note: "warning only",
      },
      {
        text: "Variable size IVHD type 0x%x not supported",
        first: "12.0",
        last: null,
        verified: true,
        note: "plain printf",
      },
    ],
    meaning: "the device entry list of an IVHD block is malformed; the unit may not attach",
    causes: [
      { check: "iommu-present", text: "a firmware IVRS bug", fix: "update the firmware" },
    ],
    fix: "update the firmware",
    sample: "ivhd0: Unexpected end-of-range device entry",
    related: ["ivhd-parse-failed"],
  },
  {
    id: "ivhd-parse-failed",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_attach",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "endpoint device parsing error=%d",
        first: "12.0",
        last: null,
        verified: true,
        note: "'ivhdN: ' prefix",
      },
    ],
    meaning:
      "the ivhd unit did not attach because its device entries could not be read; AMD-Vi cannot be used",
    causes: [
      {
        check: "iommu-present",
        text: "a firmware IVRS bug (see the ivhd lines before)",
        fix: "update the firmware",
      },
    ],
    fix: "update the firmware",
    sample: "ivhd0: endpoint device parsing error=22",
    related: ["ivhd-entry-error"],
  },
  {
    id: "ivhd-init-failed",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_attach",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "couldn't be initialised, error=%d",
        first: "12.0",
        last: null,
        verified: true,
        note: "'ivhdN: ' prefix",
      },
    ],
    meaning: "setting up this AMD-Vi unit failed; it is not used",
    causes: [
      {
        check: "earlier-line",
        text: "the ivhd lines before say why (interrupts, buffers)",
        fix: "explain those lines",
      },
    ],
    fix: "explain the ivhd lines before it",
    sample: "ivhd0: couldn't be initialised, error=2",
    related: ["amdvi-setup-failed"],
  },
  {
    id: "ivhd-ptp-level",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/ivrs_drv.c",
      function: "ivhd_print_cap",
      commit: "8b5c5cae92d5b44f03636540a787fd6e994ce816",
    },
    printer: "device_printf",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "insufficient PTP level:%d",
        first: "12.0",
        last: null,
        verified: true,
        note: "'ivhdN: ' prefix",
      },
      {
        text: "supported paging level:%d, will use only: %d",
        first: "12.0",
        last: null,
        verified: true,
        note: "informational",
      },
    ],
    meaning: "hw.vmm.amdvi.ptp_level asks for more page-table levels than the unit has",
    causes: [
      {
        check: "manual",
        text: "hw.vmm.amdvi.ptp_level is set above what the unit supports",
        fix: "remove the tunable",
      },
    ],
    fix: "remove hw.vmm.amdvi.ptp_level",
    sample: "ivhd0: insufficient PTP level:7",
    related: [],
  },
  {
    id: "amdvi-event-intr-setup",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/amdviiommu.c",
      function: "ivhd_setup_intr",
      commit: "e4452d45ec5ae661364f6a442ce1392a831bb9b5",
    },
    printer: "device_printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Couldn't find event MSI IRQ resource.",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "printed on the IOMMU PCI function: 'amdviiommuN: ' in the newest tree, 'amdiommuN: ' before the rename (rename release UNVERIFIED; it coincides with the new host AMD IOMMU driver sys/x86/iommu/amd_*)",
      },
      {
        text: "Unable to allocate event INTR resource.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "Fail to setup event intr",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
        strict: true,
      },
    ],
    meaning: "vmm could not get an interrupt for the AMD-Vi event log; the unit does not attach",
    causes: [
      {
        check: "manual",
        text:
          "the IOMMU function has no MSI, or the host's AMD IOMMU driver (hw.iommu.enable) already has the unit",
        fix:
          "do not enable the host AMD IOMMU driver together with bhyve's AMD-Vi; update the firmware",
      },
    ],
    fix: "check which driver has the IOMMU function (pciconf -l)",
    sample: "amdviiommu0: Couldn't find event MSI IRQ resource.",
    related: ["amdvi-setup-failed", "ivhd-init-failed"],
  },
  {
    id: "dmar-fault",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/intel_fault.c",
      function: "dmar_fault_task",
      commit: "e3eed8ed60fc77a7bbf10bfc8f019d767e16c061",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "DMAR%d: %s: pci%d:%d:%d sid %x fault acc %x adt 0x%x reason 0x%x addr %jx",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "assembled from three printf calls: 'DMAR%d: ', then device_print_prettyname ('name%d: ') when the faulting RID has a context, then the rest. pci%d:%d:%d is BUS:SLOT:FUNC in decimal (no domain); sid is the RID in hex. Host DMAR busdma driver (hw.dmar.enable=1), not vmm's VT-d code",
        fields: [null, null, "bus", "slot", "function", null, null, null, null, null],
      },
      {
        text: "DMAR%d: <unknown dev>:pci%d:%d:%d sid %x fault acc %x adt 0x%x reason 0x%x addr %jx",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "no context for the RID: no space after the colon; with ARI the slot/function may be wrong",
        fields: [null, "bus", "slot", "function", null, null, null, null, null],
      },
    ],
    meaning:
      "the host's Intel DMAR (busdma) driver blocked a DMA from the named device; reason is the VT-d fault reason code, addr the DMA address. pci%d:%d:%d here is bus:slot:function, not the pciconf pciD:B:S:F form",
    causes: [
      {
        check: "manual",
        text:
          "the host DMAR driver (hw.dmar.enable=1) and bhyve's VT-d passthrough are both active, and the DMAR driver translates devices given to guests too",
        fix: "leave hw.dmar.enable unset (0) on passthrough hosts",
      },
      {
        check: "device-on-ppt",
        text: "the device did DMA while set up for no one (just detached from its driver, say)",
        fix: "reset the device; check its driver",
      },
    ],
    fix: "find the device by its B/S/F and check hw.dmar.enable",
    sample: "DMAR0: <unknown dev>:pci3:0:0 sid 300 fault acc 1 adt 0x0 reason 0x5 addr 7fe00000",
    related: ["dmar-fault-overflow", "dmar-invalidation-error"],
  },
  {
    id: "dmar-fault-overflow",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/intel_fault.c",
      function: "dmar_fault_intr",
      commit: "e3eed8ed60fc77a7bbf10bfc8f019d767e16c061",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "DMAR%d: Fault Overflow",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
    ],
    meaning: "more DMAR faults came than the fault registers hold; some were lost",
    causes: [
      {
        check: "manual",
        text: "a device faults without pause",
        fix: "find it in the DMAR fault lines",
      },
    ],
    fix: "find the faulting device in the DMAR fault lines",
    sample: "DMAR0: Fault Overflow",
    related: ["dmar-fault"],
  },
  {
    id: "dmar-invalidation-error",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/intel_fault.c",
      function: "dmar_fault_intr_clear",
      commit: "e3eed8ed60fc77a7bbf10bfc8f019d767e16c061",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "DMAR%d: Invalidation timed out",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "DMAR%d: Invalidation completion error",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "DMAR%d: Invalidation queue error",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "DMAR%d: Advanced pending fault",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "DMAR%d: Advanced fault overflow",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
    ],
    meaning: "the host DMAR unit reported an invalidation queue or advanced fault error",
    causes: [
      {
        check: "manual",
        text:
          "a DMAR driver or hardware problem, often with the host DMAR driver on a passthrough host",
        fix: "leave hw.dmar.enable=0 on passthrough hosts; update the firmware",
      },
    ],
    fix: "turn the host DMAR driver off on passthrough hosts",
    sample: "DMAR0: Invalidation timed out",
    related: ["dmar-fault"],
  },
  {
    id: "dmar-fault-log-size",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/intel_fault.c",
      function: "dmar_init_fault_log",
      commit: "e3eed8ed60fc77a7bbf10bfc8f019d767e16c061",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "hw.dmar_fault_log_size must be even",
        first: "12.0",
        last: null,
        verified: true,
        note: "panic at DMAR attach",
      },
    ],
    meaning: "the hw.dmar.fault_log_size tunable is odd, and the host panics",
    causes: [
      {
        check: "manual",
        text: "an odd value in /boot/loader.conf",
        fix: "fix or remove hw.dmar.fault_log_size",
      },
    ],
    fix: "fix hw.dmar.fault_log_size",
    sample: "panic: hw.dmar_fault_log_size must be even",
    related: [],
  },
  {
    id: "amdiommu-event",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/amd_event.c",
      function: "amdiommu_event_log_print",
      commit: "5ecc60fb07d142584635aaa544c85563fc8ef841",
    },
    printer: "kernel printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "amdiommu%d: event type 0x%x 0x%08x 0x%08x 0x%08x 0x%08x",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "host AMD IOMMU busdma driver (sys/x86/iommu/amd_*, Copyright 2024); first release UNVERIFIED (15.0, possibly a late 14.x). Event type 0x2 is an IO page fault",
      },
    ],
    meaning: "the host's AMD IOMMU driver logged an event (raw words); the decoded line follows",
    causes: [
      {
        check: "manual",
        text: "the decoded line follows (page fault, illegal device table entry)",
        fix: "explain it",
      },
    ],
    fix: "explain the decoded line",
    sample: "amdiommu0: event type 0x2 0x00000300 0x00000000 0xfee00000 0x00000000",
    related: ["amdiommu-page-fault"],
  },
  {
    id: "amdiommu-page-fault",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/amd_event.c",
      function: "amdiommu_event_log_print",
      commit: "5ecc60fb07d142584635aaa544c85563fc8ef841",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\tPage Fault rid %#x dom %d",
        first: "15.0",
        last: null,
        verified: true,
        note:
          "followed on the same line by ' <nameunit>' when the RID has a context, then '\\tgn %d nx %d us %d i %d pr %d rw %d pe %d rz %d tr %d' and '\\tgaddr %#jx' lines. the id is a PCI requester id: bus = id >> 8, slot = (id >> 3) & 0x1f, function = id & 7 (0x300 is 3/0/0); it carries no PCI domain",
        fields: ["rid", null],
      },
    ],
    meaning: "the host's AMD IOMMU driver blocked a DMA from the device with that requester id",
    causes: [
      {
        check: "manual",
        text:
          "the host AMD IOMMU driver (hw.iommu.enable) runs on a bhyve passthrough host, or a device did DMA outside its mappings",
        fix: "do not combine the host AMD IOMMU driver with bhyve's AMD-Vi passthrough",
      },
    ],
    fix: "find the device by its B/S/F and check which driver has it",
    sample: "\tPage Fault rid 0x300 dom 0 ppt0",
    related: ["amdiommu-event", "amdvi-io-page-fault"],
  },
  {
    id: "amdiommu-ill-dte",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/amd_event.c",
      function: "amdiommu_event_log_print",
      commit: "5ecc60fb07d142584635aaa544c85563fc8ef841",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "\tIllegal Dev Tab Entry dte@%p:",
        first: "15.0",
        last: null,
        verified: true,
        note: "followed by the DTE words",
      },
    ],
    meaning: "the host's AMD IOMMU found an invalid device table entry",
    causes: [
      { check: "manual", text: "a driver or firmware problem", fix: "report it" },
    ],
    fix: "report it",
    sample: "\tIllegal Dev Tab Entry dte@0xfffffe00c0a01800:",
    related: [],
  },
  {
    id: "amdiommu-overflow",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/amd_event.c",
      function: "amdiommu_event_task",
      commit: "5ecc60fb07d142584635aaa544c85563fc8ef841",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "amdiommu%d: event log overflow",
        first: "15.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "amdiommu%d: hw event%s",
        first: "15.0",
        last: null,
        verified: true,
        note: "%s is '' or ' (overflown)'",
      },
    ],
    meaning: "the host AMD IOMMU's event log overflowed, or it reported a hardware event",
    causes: [
      {
        check: "manual",
        text: "a device faults without pause",
        fix: "find it in the page fault lines",
      },
    ],
    fix: "find the faulting device",
    sample: "amdiommu0: event log overflow",
    related: ["amdiommu-page-fault"],
  },
  {
    id: "amdiommu-event-log-size",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/x86/iommu/amd_event.c",
      function: "amdiommu_init_event",
      commit: "5ecc60fb07d142584635aaa544c85563fc8ef841",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "invalid hw.amdiommu.event_log_size",
        first: "15.0",
        last: null,
        verified: true,
        note: "panic",
      },
    ],
    meaning: "hw.amdiommu.event_log_size is not a power of two within limits, and the host panics",
    causes: [
      { check: "manual", text: "a bad tunable", fix: "remove it" },
    ],
    fix: "remove hw.amdiommu.event_log_size",
    sample: "panic: invalid hw.amdiommu.event_log_size",
    related: [],
  },
  {
    id: "vmx-no-vmx",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support VMX operation",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support VMX operation",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "the CPU does not report VT-x; vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a CPU without VT-x, or an outer hypervisor that does not offer nested VT-x",
        fix: "use a CPU with VT-x, or turn on nested virtualisation in the outer hypervisor",
      },
    ],
    fix: "use hardware (or a hypervisor) with VT-x",
    sample: "vmx_modinit: processor does not support VMX operation",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-bios-disabled",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: VMX operation disabled by BIOS",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: VMX operation disabled by BIOS",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "the firmware locked VT-x off (IA32_FEATURE_CONTROL); vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "Intel Virtualization Technology (VT-x) is off in the firmware",
        fix: "turn on Intel VT-x in the firmware setup, then power the host off and on",
      },
    ],
    fix: "turn on Intel VT-x (Virtualization Technology) in the firmware setup and power-cycle",
    sample: "vmx_modinit: VMX operation disabled by BIOS",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-basic-caps",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired basic capabilities",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired basic capabilities",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "the CPU lacks INS/OUTS exit information; vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "an old CPU, or a nested hypervisor with few VMX features",
        fix: "use newer hardware, or change the outer hypervisor's settings",
      },
    ],
    fix: "use newer hardware",
    sample: "vmx_modinit: processor does not support desired basic capabilities",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-primary-ctls",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired primary processor-based controls",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired primary processor-based controls",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "a primary VM-execution control bhyve needs is missing; vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "an old CPU (Core 2 era) or a nested hypervisor",
        fix: "use newer hardware",
      },
    ],
    fix: "use newer hardware",
    sample: "vmx_modinit: processor does not support desired primary processor-based controls",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-secondary-ctls",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired secondary processor-based controls",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired secondary processor-based controls",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "a secondary control bhyve needs (EPT, say) is missing; vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a CPU without EPT or unrestricted guest, or a nested hypervisor hiding them",
        fix: "use a CPU with EPT",
      },
    ],
    fix: "use a CPU with EPT",
    sample: "vmx_modinit: processor does not support desired secondary processor-based controls",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-pinbased-ctls",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired pin-based controls",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired pin-based controls",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "a pin-based control bhyve needs is missing; vmm.ko does not load",
    causes: [
      { check: "manual", text: "an old CPU or a nested hypervisor", fix: "use newer hardware" },
    ],
    fix: "use newer hardware",
    sample: "vmx_modinit: processor does not support desired pin-based controls",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-exit-ctls",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired exit controls",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired exit controls",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "a VM-exit control bhyve needs is missing; vmm.ko does not load",
    causes: [
      { check: "manual", text: "an old CPU or a nested hypervisor", fix: "use newer hardware" },
    ],
    fix: "use newer hardware",
    sample: "vmx_modinit: processor does not support desired exit controls",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-entry-ctls",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: processor does not support desired entry controls",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: processor does not support desired entry controls",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "a VM-entry control bhyve needs is missing; vmm.ko does not load",
    causes: [
      { check: "manual", text: "an old CPU or a nested hypervisor", fix: "use newer hardware" },
    ],
    fix: "use newer hardware",
    sample: "vmx_modinit: processor does not support desired entry controls",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-ept-init",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit (15-era) / vmx_init (13.x)",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vmx_modinit: ept initialization failed (%d)",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED)",
      },
      {
        text: "vmx_init: ept initialization failed (%d)",
        first: "12.0",
        last: "13.5",
        verified: false,
        note:
          "vmx_init: prefix of the 13.x-era vmx.c (e25152834cdf); last release UNVERIFIED (stable/13 kept vmx_init)",
      },
    ],
    meaning: "setting up EPT failed (no INVEPT or another EPT feature); vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a CPU without the EPT features bhyve needs",
        fix: "use a CPU with full EPT support",
      },
    ],
    fix: "use a CPU with EPT",
    sample: "vmx_modinit: ept initialization failed (6)",
    related: ["kldload-failed"],
  },
  {
    id: "vmx-posted-intr",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/intel/vmx.c",
      function: "vmx_modinit / vmx_init",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "info",
    formats: [
      {
        text: "vmx_modinit: unable to allocate posted interrupt vector",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "vmx_modinit: prefix of the 15-era vmx.c (001345683da7); renamed with the vmm ops refactor, believed 14.0 (UNVERIFIED). Only with bootverbose",
      },
      {
        text: "vmx_init: unable to allocate posted interrupt vector",
        first: "12.0",
        last: "13.5",
        verified: true,
        note:
          "vmx_init: prefix in the 13.x-era vmx.c (commit e25152834cdf3b353892835a4f3b157e066a8ed4). Only with bootverbose",
      },
    ],
    meaning:
      "no interrupt vector was free for posted interrupts; vmm loads without them (slower interrupts). Printed only on a verbose boot",
    causes: [
      { check: "manual", text: "informational", fix: "nothing" },
    ],
    fix: "nothing to do",
    sample: "vmx_modinit: unable to allocate posted interrupt vector",
    related: [],
  },
  {
    id: "svm-not-available",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/svm.c",
      function: "svm_available",
      commit: "4beb16137ddf8a201323a58fa8be20374ddf85e1",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "SVM: not available.",
        first: "12.0",
        last: null,
        verified: true,
        note: "unchanged across svm_init -> svm_modinit rename",
        strict: true,
      },
    ],
    meaning: "the CPU does not report AMD-V (SVM); vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a CPU without SVM, or an outer hypervisor that does not offer it",
        fix: "turn on nested SVM in the outer hypervisor, or use other hardware",
      },
    ],
    fix: "use hardware with AMD-V",
    sample: "SVM: not available.",
    related: ["kldload-failed"],
  },
  {
    id: "svm-bios-disabled",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/svm.c",
      function: "svm_available",
      commit: "4beb16137ddf8a201323a58fa8be20374ddf85e1",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "SVM: disabled by BIOS.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
        strict: true,
      },
    ],
    meaning: "SVM is turned off in the firmware (VM_CR.SVMDIS); vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "SVM Mode is off in the firmware setup",
        fix: "turn on SVM Mode (AMD-V) in the firmware, then power-cycle",
      },
    ],
    fix: "turn on SVM in the firmware",
    sample: "SVM: disabled by BIOS.",
    related: ["kldload-failed"],
  },
  {
    id: "svm-no-np",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/svm.c",
      function: "check_svm_features",
      commit: "4beb16137ddf8a201323a58fa8be20374ddf85e1",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "SVM: Nested Paging feature not available.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
    ],
    meaning: "the CPU lacks nested paging (RVI / NPT); vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a very old AMD CPU, or a nested hypervisor",
        fix: "use newer hardware",
      },
    ],
    fix: "use newer hardware",
    sample: "SVM: Nested Paging feature not available.",
    related: ["kldload-failed"],
  },
  {
    id: "svm-no-nrip",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/amd/svm.c",
      function: "check_svm_features",
      commit: "4beb16137ddf8a201323a58fa8be20374ddf85e1",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "SVM: NRIP Save feature not available.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
    ],
    meaning: "the CPU lacks NRIP save; vmm.ko does not load",
    causes: [
      {
        check: "manual",
        text: "a very old AMD CPU, or a nested hypervisor",
        fix: "use newer hardware",
      },
    ],
    fix: "use newer hardware",
    sample: "SVM: NRIP Save feature not available.",
    related: ["kldload-failed"],
  },
  {
    id: "vmm-maxcpu-clamped",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/amd64/vmm/vmm.c",
      function: "vmm_init",
      commit: "001345683da712c21ec449c4116671a4554c737b",
    },
    printer: "kernel printf",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "vmm: vm_maxcpu clamped to %u",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "printed when hw.vmm.maxcpu exceeds VM_MAXCPU. Read in vmm.c at the commit cited (vmm_init, 14.0+ layout); indexed 13.x-era copies print it too; earlier releases UNVERIFIED",
      },
    ],
    meaning: "hw.vmm.maxcpu was above the compiled limit and was lowered",
    causes: [
      {
        check: "manual",
        text: "hw.vmm.maxcpu is set too high",
        fix: "lower or remove hw.vmm.maxcpu",
      },
    ],
    fix: "lower hw.vmm.maxcpu",
    sample: "vmm: vm_maxcpu clamped to 16",
    related: ["vcpus-unavailable"],
  },
  {
    id: "kenv-too-long",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/kern/kern_environment.c",
      function: "init_dynamic_kenv_from",
      commit: "c7a82b9c6c7e8450883ad1e5f663dd1ff58515ac",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "WARNING: too long kenv string, ignoring %s",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "boot-time copy of the loader environment; the whole name=value string is dropped when longer than KENV_MNAMELEN+1+KENV_MVALLEN+1 (the newest code uses the kenv_mvallen tunable instead of KENV_MVALLEN). %s is the full 'name=value'. Note the kernel zeroes the string afterwards but prints it first",
        fields: ["option"],
      },
    ],
    meaning:
      "a loader variable was too long for the kernel environment and the kernel dropped it whole: for pptdevs, none of its devices went to ppt(4)",
    causes: [
      {
        check: "pptdevs-syntax",
        text: "a pptdevs, pptdevs2 or pptdevs3 value is over the limit",
        fix:
          "spread the devices over pptdevs, pptdevs2 and pptdevs3, each within 128 characters (pptkit reserve does it), then reboot",
      },
    ],
    fix: "shorten the variable and reboot",
    sample: "WARNING: too long kenv string, ignoring pptdevs=1/0/0 2/0/0 3/0/0 ...",
    related: ["kenv-other", "not-ppt"],
  },
  {
    id: "kenv-other",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/kern/kern_environment.c",
      function: "init_dynamic_kenv_from",
      commit: "c7a82b9c6c7e8450883ad1e5f663dd1ff58515ac",
    },
    printer: "kernel printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "WARNING: too many kenv strings, ignoring %s",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "more than KENV_SIZE (512) strings. In the newest code this check runs before the length check",
        fields: ["option"],
      },
      {
        text: "WARNING: malformed static env value, ignoring %s",
        first: "12.0",
        last: null,
        verified: true,
        note: "a string without '='",
        fields: ["option"],
      },
    ],
    meaning: "the kernel ignored a loader variable: too many of them, or one without =",
    causes: [
      {
        check: "pptdevs-syntax",
        text: "when it is pptdevs, pptdevs2 or pptdevs3, its devices stay with their host drivers",
        fix: 'set fewer loader variables; write name="value"',
      },
    ],
    fix: "check /boot/loader.conf and its drop-ins for the variable",
    sample: "WARNING: too many kenv strings, ignoring pptdevs3=10/0/0",
    related: ["kenv-too-long"],
  },
  {
    id: "kenv-duplicates",
    origin: "kernel",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sys/kern/kern_environment.c",
      function: "getfreesuffix (newest kern_environment.c)",
      commit: "c7a82b9c6c7e8450883ad1e5f663dd1ff58515ac",
    },
    printer: "panic",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Too many duplicate kernel environment values: %s",
        first: "15.0",
        last: null,
        verified: false,
        note: "newest code keeps duplicate names as name_1, name_2, ...; first release UNVERIFIED",
        fields: ["option"],
      },
    ],
    meaning: "a variable was set more than 9999 times in the boot environment, and the host panics",
    causes: [
      {
        check: "manual",
        text: "a generated loader configuration sets one variable again and again",
        fix: "remove the duplicates",
      },
    ],
    fix: "remove duplicate loader variables",
    sample: "panic: Too many duplicate kernel environment values: pptdevs",
    related: [],
  },
];
