/**
 * The known messages (data): each one's id, who prints it, every spelling it has had across
 * releases, and how to explain it against the host.
 *
 * @module
 */

import { formatLabel, type PciAddress } from "../address.ts";
import { describeLock } from "../ownership/locks.ts";
import {
  bsfOf,
  deviceAt,
  deviceOfRid,
  fixesOf,
  iommuCheck,
  MEMORY_ERRNO,
  notPptChecks,
  optionsAdvice,
  PASSTHRU,
  slotProblem,
} from "./checks.ts";
import type { ExplainCheck, ExplainFacts } from "./types.ts";

/** What an explainer returns for one match. */
interface Said {
  readonly device?: PciAddress | null;
  readonly meaning: string;
  readonly checks?: ExplainCheck[];
  readonly fixes: string[];
}

interface Known {
  readonly id: string;
  readonly source: string;
  /** Every spelling the message has had across releases. */
  readonly formats: readonly string[];
  readonly explain: (values: readonly string[], facts: ExplainFacts | null) => Said;
}

export const KNOWN: readonly Known[] = [
  {
    id: "not-ppt",
    source: PASSTHRU,
    formats: [
      "PCI device at %d/%d/%d is not using the ppt(4) driver",
      "PCI device at %d/%d/%d is not using the ppt driver",
    ],
    explain(values, facts) {
      const device = bsfOf(values);
      const checks = notPptChecks(facts, device);
      return {
        device,
        meaning: "bhyve could not give the device to the VM (vm_assign_pptdev failed). It " +
          "prints this same line whether the device is not on ppt(4), another VM owns it, or " +
          "the IOMMU refused it, so each is checked in turn",
        checks,
        fixes: fixesOf(checks),
      };
    },
  },
  {
    id: "assign-failed",
    source: PASSTHRU,
    formats: ["vm_assign_pptdev: %s"],
    explain(values, facts) {
      const why = values[0];
      const busy = why.startsWith("Device busy");
      const iommu = why.startsWith("Device not configured");
      const checks: ExplainCheck[] = [];
      if (facts !== null) {
        if (iommu) checks.push(iommuCheck(facts));
        if (busy) {
          const held = facts.locks.filter((l) =>
            l.record !== null && facts.running.names.has(l.record.vm)
          );
          for (const l of held) {
            checks.push({
              result: "unknown",
              text: describeLock(l, "live", facts.running, facts.now),
              fix: `if the VM wants ${formatLabel(l.address)}, stop VM ${l.record!.vm} first`,
            });
          }
        }
      }
      return {
        meaning: busy
          ? "another VM owns the device (EBUSY): ppt(4) gives a device to one VM at a time"
          : iommu
          ? "vmm could not create the VM's IOMMU domain (ENXIO): the IOMMU is missing or " +
            "did not initialise"
          : `the kernel refused to assign the device: ${why}`,
        checks,
        fixes: busy
          ? ["stop the VM that holds it (pptkit list shows Running in: VM)"]
          : iommu
          ? ["check the IOMMU: pptkit check (DMAR / IVRS table, hw.vmm.amdvi.enable=1 on AMD)"]
          : ["run pptkit check, and pptkit explain on the lines around this one"],
      };
    },
  },
  {
    id: "memory-not-wired",
    source: PASSTHRU,
    formats: ["passthru requires guest memory to be wired"],
    explain: () => ({
      meaning: "the VM was started without -S: a passthrough device does DMA into guest memory, " +
        "so all of it must be wired (bhyve(8))",
      fixes: [
        "add -S to the bhyve command line (pptkit plan VM --format args starts with it)",
        "vm-bhyve, CBSD and Hoster add -S themselves when the VM has passthru devices: check " +
        "that the device is in the VM's passthru list, not in custom bhyve options",
      ],
    }),
  },
  {
    id: "open-dev",
    source: PASSTHRU,
    formats: ["failed to open /dev/pci", "failed to open /dev/io", "failed to open /dev/mem"],
    explain: () => ({
      meaning: "bhyve could not open a device node that passthrough needs (/dev/pci read-write, " +
        "/dev/io, /dev/mem)",
      fixes: [
        "run bhyve as root, and not inside a jail: passthrough needs write access to /dev/pci " +
        "(vmm(4))",
      ],
    }),
  },
  {
    id: "invalid-options",
    source: PASSTHRU,
    formats: ['passthru: invalid options "%s"', "invalid passthru options"],
    explain(values) {
      const opts = values[0];
      const checks = opts === undefined ? [] : [optionsAdvice(opts)];
      return {
        meaning: "bhyve could not read the device part of -s ...,passthru,DEVICE: it accepts " +
          "B/S/F (1/0/0), pptN (ppt0, FreeBSD 14 and later) and pciB:S:F; older bhyve only B/S/F",
        checks,
        fixes: [
          ...fixesOf(checks),
          "write it like -s 6:0,passthru,1/0/0 (pptkit parse ADDR converts any spelling)",
        ],
      };
    },
  },
  {
    id: "missing-setting",
    source: PASSTHRU,
    formats: ["passthru: missing required %s setting"],
    explain: (values) => ({
      meaning: `the passthru device in the bhyve config has no ${values[0]}= setting: the ` +
        "config form needs bus=, slot= and func= together, or pptdev=",
      fixes: [
        "set all three: pci.0.6.0.bus=1, pci.0.6.0.slot=0, pci.0.6.0.func=0 (pptkit plan VM " +
        "--format bhyve-config writes them)",
      ],
    }),
  },
  {
    id: "bad-device-name",
    source: PASSTHRU,
    formats: ["Invalid passthru device name %s", "Passthru device name %s is too long"],
    explain: (values) => ({
      meaning: `"${values[0]}" is not a device name bhyve can look up: it wants a driver name ` +
        "and a unit, like ppt0",
      fixes: ["name the device by B/S/F instead (passthru,1/0/0): pptkit parse NAME shows it"],
    }),
  },
  {
    id: "device-not-found",
    source: PASSTHRU,
    formats: ["Passthru device %s not found"],
    explain(values, facts) {
      const name = values[0];
      const checks: ExplainCheck[] = [];
      if (facts !== null) {
        const ppt = facts.inventory.devices.filter((d) => d.device.driver === "ppt");
        checks.push({
          result: ppt.some((d) => d.device.name === name) ? "ok" : "cause",
          text: ppt.length === 0
            ? `${facts.inventory.hostDescription} has no ppt devices at all`
            : `the ppt devices now: ${
              ppt.map((d) => `${d.device.name} (${d.bsf ?? d.selector})`).join(", ")
            }`,
          fix: "name the device by B/S/F: unit numbers change between boots",
        });
      }
      return {
        meaning: `no device is called ${name} now; ppt unit numbers are handed out at boot, so ` +
          "they change when devices are added or removed",
        checks,
        fixes: ["name the device by B/S/F (passthru,1/0/0), which does not change"],
      };
    },
  },
  {
    id: "unsupported-domain",
    source: PASSTHRU,
    formats: ["Passthru device %s on unsupported domain"],
    explain: (values) => ({
      meaning: `${values[0]} is in a PCI domain other than 0: bhyve, pptdevs and the IOMMU ` +
        "code handle only domain 0",
      fixes: ["pass a device in domain 0 (pptkit list --all shows the domain in PCI ID Raw)"],
    }),
  },
  {
    id: "pci-getconf",
    source: PASSTHRU,
    formats: ["ioctl(PCIOCGETCONF): %s", "error returned from PCIOCGETCONF ioctl"],
    explain: () => ({
      meaning:
        "bhyve could not list the host's PCI devices through /dev/pci to look up a pptN name",
      fixes: [
        "run bhyve as root outside a jail, or name the device by B/S/F (passthru,1/0/0)",
      ],
    }),
  },
  {
    id: "msi-init",
    source: PASSTHRU,
    formats: ["failed to initialize MSI for PCI %d/%d/%d"],
    explain(values, facts) {
      const device = bsfOf(values);
      const entry = deviceAt(facts, device);
      const checks: ExplainCheck[] = [];
      if (entry !== null && entry.device.capabilitiesKnown) {
        const none = entry.device.msi === null && entry.device.msix === null;
        checks.push({
          result: none ? "cause" : "ok",
          text: none
            ? `${entry.bsf} has neither MSI nor MSI-X (pciconf -c)`
            : `${entry.bsf} has ${entry.device.msi !== null ? "MSI" : ""}` +
              `${entry.device.msi !== null && entry.device.msix !== null ? " and " : ""}` +
              `${entry.device.msix !== null ? "MSI-X" : ""} per pciconf -c`,
          fix: none ? "pick another device: bhyve needs MSI or MSI-X" : undefined,
        });
      }
      return {
        device,
        meaning: "bhyve could not set up the device's interrupt capabilities: it found neither " +
          "MSI nor MSI-X in the device's config space",
        checks,
        fixes: [
          ...fixesOf(checks),
          "check pciconf -lc for an MSI or MSI-X line; a device in a low-power state or " +
          "behind a misbehaving bridge may read as empty: reboot the host and try again",
        ],
      };
    },
  },
  {
    id: "bars-init",
    source: PASSTHRU,
    formats: [
      "failed to initialize BARs for PCI %d/%d/%d",
      "passthru device %d/%d/%d BAR %d: base %s or size %s not page aligned",
    ],
    explain: (values) => ({
      device: bsfOf(values),
      meaning: "bhyve could not map the device's memory regions (BARs) into the guest: a BAR " +
        "that is not page aligned, or more BAR space than the guest's PCI windows hold " +
        "(512 MiB below 4 GiB for 32-bit BARs, 32 GiB above for 64-bit ones)",
      fixes: [
        "look at the BARs: pciconf -lb; pass fewer devices with large BARs to one VM",
        "a GPU with a very large BAR may need a newer FreeBSD whose bhyve has a bigger 64-bit window",
      ],
    }),
  },
  {
    id: "msix-init",
    source: PASSTHRU,
    formats: [
      "failed to initialize MSI-X table for PCI %d/%d/%d: %d",
      "Failed to map PBA page for MSI-X on %d/%d/%d",
    ],
    explain: (values) => ({
      device: bsfOf(values),
      meaning: "bhyve could not map the device's MSI-X table or pending-bit array, which it " +
        "must emulate for the guest",
      fixes: [
        "run bhyve as root (it maps the table through /dev/mem)",
        "check pciconf -lc: the MSI-X line names the BAR that holds the table",
      ],
    }),
  },
  {
    id: "romfile",
    source: PASSTHRU,
    formats: [
      '%s: can\'t open romfile "%s"',
      '%s: can\'t fstat romfile "%s"',
      '%s: romfile "%s" is empty',
      '%s: unable to mmap romfile "%s" (%d)',
    ],
    explain: (values) => ({
      meaning: `bhyve could not read the option ROM file "${values[1]}" given with rom=`,
      fixes: [
        `check that ${values[1]} exists, is a non-empty regular file and is readable by root`,
        "give the full path in rom= (the VM's passthru options)",
      ],
    }),
  },
  {
    id: "rom-segment",
    source: PASSTHRU,
    formats: ["%s: failed to alloc rom segment"],
    explain: () => ({
      meaning: "bhyve had no room left in the guest's ROM space for the option ROM given with rom=",
      fixes: ["use a smaller ROM file, or give rom= to fewer devices of this VM"],
    }),
  },
  {
    id: "slot-syntax",
    source: "bhyve (pci_emul.c)",
    formats: ['Invalid PCI slot info field "%s"'],
    explain(values) {
      const problem = slotProblem(values[0]);
      return {
        meaning: "bhyve could not read a -s argument: it wants slot,emulation, " +
          "slot:function,emulation or bus:slot:function,emulation, decimal, slot 0-31, " +
          "function 0-7",
        checks: problem === null ? [] : [{ result: "cause", text: problem }],
        fixes: ["write it like -s 6:0,passthru,1/0/0 (pptkit plan VM --format args)"],
      };
    },
  },
  {
    id: "unknown-emulation",
    source: "bhyve (pci_emul.c)",
    formats: ['pci slot %d:%d:%d: unknown device "%s"'],
    explain: (values) => ({
      meaning: `bhyve has no device emulation called "${values[3]}"`,
      fixes: [
        values[3].startsWith("pass")
          ? "the emulation is spelled passthru: -s 6:0,passthru,1/0/0"
          : "check the spelling (bhyve -s help lists the emulations)",
      ],
    }),
  },
  {
    id: "slot-occupied",
    source: "bhyve (pci_emul.c)",
    formats: ["pci slot %d:%d:%d already occupied!"],
    explain: (values) => ({
      meaning: `two -s arguments use guest slot ${values[0]}:${values[1]}:${values[2]}`,
      fixes: [
        "give each device its own slot:function; pptkit plan VM --used-slots LIST leaves the " +
        "wrapper's slots (disks, NICs, lpc) alone",
      ],
    }),
  },
  {
    id: "memory-setup",
    source: "bhyve (bhyverun.c)",
    formats: ["Unable to setup memory (%d)"],
    explain(values, facts) {
      const errno = Number(values[0]);
      const known = MEMORY_ERRNO[errno];
      const checks: ExplainCheck[] = [];
      if (facts !== null && (errno === 17 || errno === 22) && facts.running.known) {
        const leftovers = [...facts.running.inKernel].filter((n) => !facts.running.pids.has(n));
        checks.push({
          result: leftovers.length > 0 ? "cause" : "ok",
          text: leftovers.length > 0
            ? `VMs in /dev/vmm without a bhyve process (leftovers): ${leftovers.join(", ")}`
            : "no VM is left in /dev/vmm without its bhyve",
          fix: leftovers.length > 0
            ? `destroy the leftover: bhyvectl --destroy --vm=${leftovers[0]}`
            : undefined,
        });
      }
      return {
        meaning: known === undefined
          ? `bhyve could not set up the guest's memory (errno ${errno})`
          : `bhyve could not set up the guest's memory (errno ${errno}, ${known.name}): ` +
            known.meaning,
        checks,
        fixes: [...fixesOf(checks), ...(known?.fixes ?? ["check -m and the host's free memory"])],
      };
    },
  },
  {
    id: "amdvi-disabled",
    source: "kernel (amdvi_hw.c)",
    formats: ["Found %d AMD-Vi/IOMMU device(s), use hw.vmm.amdvi.enable=1 to enable pass-through"],
    explain: (values) => ({
      meaning: `the host has ${values[0]} AMD-Vi unit(s) but vmm leaves AMD-Vi off unless ` +
        "hw.vmm.amdvi.enable=1: passthrough cannot work",
      fixes: [
        "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot (pptkit reserve adds it)",
      ],
    }),
  },
  {
    id: "iommu-host-domain",
    source: "kernel (iommu.c)",
    formats: ["iommu_init: unable to create a host domain"],
    explain: () => ({
      meaning: "vmm could not set up the IOMMU for the host when the first passthrough VM " +
        "started; no passthrough VM can start",
      fixes: [
        "check dmesg for DMAR / AMD-Vi errors, update the firmware, and check that VT-d / " +
        "IOMMU is enabled in its setup",
      ],
    }),
  },
  {
    id: "vtd-caching-mode",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_init: invalid caching mode"],
    explain: () => ({
      meaning: "the VT-d unit reports caching mode, which vmm does not support; this is what an " +
        "emulated IOMMU looks like when FreeBSD itself runs in a VM (nested virtualisation)",
      fixes: [
        "do not use bhyve passthrough inside a VM; or turn caching mode off in the outer " +
        "hypervisor's virtual IOMMU (QEMU: -device intel-iommu,caching-mode=off)",
      ],
    }),
  },
  {
    id: "vtd-not-in-scope",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_add_device: device %x is not in scope for any DMA remapping unit"],
    explain(values) {
      const device = deviceOfRid(values[0]);
      return {
        device,
        meaning: "the firmware's DMAR table covers no remapping unit for this device (PCI " +
          "requester id 0x" + values[0] + "): a firmware bug",
        fixes: [
          "update the firmware; until then do not pass this device (or its slot) through",
        ],
      };
    },
  },
  {
    id: "vtd-already-owned",
    source: "kernel (vtd.c, panic)",
    formats: ["vtd_add_device: device %x is already owned by domain %d"],
    explain(values) {
      const device = deviceOfRid(values[0]);
      return {
        device,
        meaning: `the device was added to a second IOMMU domain while domain ${values[1]} ` +
          "owned it: two VMs (or the host and a VM) were given the same device",
        fixes: [
          "start VMs through pptkit hook prestart so that one device goes to one VM at a time",
        ],
      };
    },
  },
  {
    id: "kenv-too-long",
    source: "kernel (kern_environment.c)",
    formats: ["WARNING: too long kenv string, ignoring %s"],
    explain: (values) => ({
      meaning: values[0].startsWith("pptdevs")
        ? "the loader passed a pptdevs value too long for the kernel environment: the kernel " +
          "dropped the whole variable, so none of its devices became ppt"
        : "a loader variable was too long for the kernel environment and was dropped whole",
      fixes: [
        "keep each pptdevs value within 128 characters and spread devices over pptdevs, " +
        "pptdevs2 and pptdevs3 (pptkit reserve does it), then reboot",
      ],
    }),
  },
  {
    id: "kenv-other",
    source: "kernel (kern_environment.c)",
    formats: [
      "WARNING: too many kenv strings, ignoring %s",
      "WARNING: malformed static env value, ignoring %s",
    ],
    explain: (values) => ({
      meaning: `the kernel ignored the loader variable ${values[0]}`,
      fixes: ["check /boot/loader.conf for the variable (pptkit check reads pptdevs)"],
    }),
  },
];
