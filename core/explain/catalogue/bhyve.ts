/**
 * The catalogue: bhyve(8)'s messages: pci_passthru.c, pci_emul.c, bhyverun.c,
 * amd64/bhyverun_machdep.c and pci_gvt-d.c.
 *
 * Data only, read from the sources named in each entry (core/explain/catalogue/schema.ts);
 * the ranges marked `verified: false` are inferred, not read in a dated source (UNVERIFIED).
 *
 * @module
 */

import type { Entry } from "./schema.ts";

export const BHYVE: readonly Entry[] = [
  {
    id: "memory-not-wired",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "passthru requires guest memory to be wired",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
      },
    ],
    meaning:
      "the VM has a passthru device but its memory is not wired (no -S, no memory.wired=true): a device may DMA into any guest page, so bhyve refuses",
    causes: [
      {
        check: "wired-memory",
        text: "the bhyve command line has no -S",
        fix: "add -S to the bhyve command line (or -o memory.wired=true)",
      },
    ],
    fix: "add -S to the bhyve command line",
    sample: "bhyve: passthru requires guest memory to be wired",
    related: ["device-emulation-init", "memory-setup"],
  },
  {
    id: "open-dev",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "pcifd_open (15-era); passthru_init (12.x era)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "failed to open %s",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "%s is /dev/pci in every version read; the 12.x-era passthru_init also opens /dev/io and /dev/mem with the same format, the 15-era file opens only /dev/pci (release of the change UNVERIFIED). warn() appends ': <strerror>'",
        fields: ["path"],
      },
    ],
    meaning:
      "bhyve could not open a device node passthrough needs: /dev/pci read-write (older bhyve also /dev/io and /dev/mem)",
    causes: [
      {
        check: "running-as-root",
        errno: ["EACCES"],
        text: "bhyve does not run as root, so it cannot open /dev/pci read-write",
        fix: "run bhyve as root",
      },
      {
        check: "manual",
        errno: ["EPERM", "ENOENT"],
        text: "bhyve runs in a jail whose devfs ruleset hides /dev/pci or denies writing it",
        fix: "run passthrough VMs on the host, not in a jail",
      },
    ],
    fix: "run bhyve as root on the host, not in a jail",
    sample: "bhyve: failed to open /dev/pci: Permission denied",
    related: ["device-emulation-init"],
  },
  {
    id: "sandbox-rights",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "pcifd_init",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Unable to apply rights for sandbox",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. Also printed by bhyverun.c when limiting stdio or the vmm descriptor",
      },
    ],
    meaning:
      "Capsicum refused to limit a descriptor and bhyve exits; rare, usually a bhyve that does not match the running kernel",
    causes: [
      {
        check: "manual",
        text: "userland and kernel come from different builds, or the kernel lacks Capsicum",
        fix: "run a bhyve built with the running kernel: freebsd-version -ku must agree",
      },
    ],
    fix: "update world and kernel together",
    sample: "bhyve: Unable to apply rights for sandbox",
    related: [],
  },
  {
    id: "invalid-options",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_legacy_config (13.1+); passthru_init (12.x)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: 'passthru: invalid options "%s"',
        first: "13.1",
        last: null,
        verified: false,
        note:
          "printed with EPRINTLN (no 'bhyve:' prefix). Introduced by the bhyve configuration rework; the exact first release is UNVERIFIED (13.0 is believed to still have the 12.x wording because the rework landed in main after stable/13 branched)",
        fields: ["device-option"],
      },
      {
        text: "invalid passthru options",
        first: "12.0",
        last: "13.0",
        verified: false,
        note: "warnx() in passthru_init of the 12.x-era file; last release UNVERIFIED",
        strict: true,
      },
    ],
    meaning:
      "bhyve could not read the host device in -s SLOT,passthru,DEVICE: newer bhyve reads B/S/F, pci0:B:S:F, pciB:S:F and pptN, older bhyve only B/S/F, all decimal",
    causes: [
      {
        check: "command-line",
        text:
          "the device is written in a form this bhyve does not read (1:0:0, hex, pci0:1:0:0 or ppt0 on an old bhyve)",
        fix: "write it as decimal B/S/F: -s 6:0,passthru,1/0/0",
      },
      {
        check: "device-domain0",
        text: "the device is in a PCI domain other than 0, which bhyve cannot name",
        fix: "pass a device of PCI domain 0",
      },
    ],
    fix: "write the device as B/S/F, e.g. -s 6:0,passthru,1/0/0",
    sample: 'passthru: invalid options "3:0:0"',
    related: ["slot-syntax"],
  },
  {
    id: "missing-setting",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init (GET_INT_CONFIG)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "passthru: missing required %s setting",
        first: "13.1",
        last: null,
        verified: false,
        note:
          "config-file era only; first release UNVERIFIED (see invalid-options). %s is bus, slot or func",
        fields: ["option"],
      },
    ],
    meaning:
      "a passthru device of the configuration (-o, -k file) has neither pptdev= nor all three of bus=, slot= and func=",
    causes: [
      {
        check: "command-line",
        text: "the pci.B.S.F node sets device=passthru but misses bus, slot or func (decimal)",
        fix:
          "set pci.0.6.0.bus=1, pci.0.6.0.slot=0 and pci.0.6.0.func=0, or pci.0.6.0.pptdev=ppt0 (pptkit plan VM --format bhyve-config writes them)",
      },
    ],
    fix: "give bus=, slot= and func= (or pptdev=) for the passthru node",
    sample: "passthru: missing required slot setting",
    related: [],
  },
  {
    id: "bad-device-name",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_lookup_pptdev",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Invalid passthru device name %s",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "pptdev=/pptN lookup; first release UNVERIFIED (present in the 15-era file, absent from the 12.x-era file)",
        fields: ["device"],
      },
      {
        text: "Passthru device name %s is too long",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "same function; the driver-name part must fit pci_match_conf.pd_name (PCI_MAXNAMELEN). first release UNVERIFIED",
        fields: ["device"],
      },
    ],
    meaning:
      "the pptdev= value (or the ppt... text of -s) is not a driver name followed by a decimal unit",
    causes: [
      {
        check: "command-line",
        text: "a name like ppt, pptA or ppt0x was given",
        fix: "use pptN exactly as pciconf -l shows it, or better B/S/F",
      },
    ],
    fix: "name the device by B/S/F (pptkit parse NAME shows it)",
    sample: "Invalid passthru device name ppt",
    related: ["device-not-found"],
  },
  {
    id: "pci-getconf",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_lookup_pptdev",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: true,
    role: "error",
    formats: [
      {
        text: "ioctl(PCIOCGETCONF): %s",
        first: "14.0",
        last: null,
        verified: false,
        note: "%s is strerror(errno); first release UNVERIFIED",
        fields: ["errno"],
      },
      {
        text: "error returned from PCIOCGETCONF ioctl",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "no errno: the ioctl succeeded but pc.status reported an error. first release UNVERIFIED",
      },
    ],
    meaning: "bhyve could not list the host's PCI devices through /dev/pci to look up a pptN name",
    causes: [
      {
        check: "running-as-root",
        errno: ["EPERM", "EACCES"],
        text: "bhyve may not use /dev/pci",
        fix: "run bhyve as root on the host",
      },
      {
        check: "manual",
        text:
          "the kernel reported an error in the listing (the device list changed while bhyve read it)",
        fix: "start again; if it stays, name the device by B/S/F",
      },
    ],
    fix: "name the device by B/S/F (passthru,1/0/0)",
    sample: "ioctl(PCIOCGETCONF): Operation not permitted",
    related: ["device-not-found", "open-dev"],
  },
  {
    id: "device-not-found",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_lookup_pptdev",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Passthru device %s not found",
        first: "14.0",
        last: null,
        verified: false,
        note: "first release UNVERIFIED",
        fields: ["device"],
      },
    ],
    meaning:
      "no device has that driver name and unit now; bhyve matches any driver, so the name must be a current ppt unit, and unit numbers change when devices come and go",
    causes: [
      {
        check: "device-on-ppt",
        text: "the device meant by pptN is not (or no longer) on ppt(4), so no such unit exists",
        fix: "reserve it (pptkit reserve B/S/F) and name it by B/S/F",
      },
      {
        check: "command-line",
        text: "the unit number is stale after a reboot or a hardware change",
        fix: "name the device by B/S/F, which does not change",
      },
    ],
    fix: "name the device by B/S/F",
    sample: "Passthru device ppt2 not found",
    related: ["bad-device-name"],
  },
  {
    id: "unsupported-domain",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_lookup_pptdev",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Passthru device %s on unsupported domain",
        first: "14.0",
        last: null,
        verified: false,
        note: "first release UNVERIFIED",
        fields: ["device"],
      },
    ],
    meaning:
      "the named device is in a PCI domain other than 0; bhyve, pptdevs and vmm's IOMMU code handle only domain 0",
    causes: [
      {
        check: "device-domain0",
        text: "the device's selector is pciD:... with D other than 0",
        fix: "pass a device of domain 0 (another slot, or the other CPU socket's root complex)",
      },
    ],
    fix: "pass a device of PCI domain 0 (pptkit list --all shows the domain)",
    sample: "Passthru device ppt1 on unsupported domain",
    related: [],
  },
  {
    id: "not-ppt",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "PCI device at %d/%d/%d is not using the ppt(4) driver",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. The same text is printed for every vm_assign_pptdev() failure; the errno is not printed",
        fields: ["bus", "slot", "function"],
      },
    ],
    meaning:
      "bhyve could not give the host device to the VM (vm_assign_pptdev failed). Whatever the reason, it prints this line: the device is not on ppt(4) (ENOENT), another VM owns it (EBUSY), or vmm could not set up the IOMMU (ENXIO); the errno of the next line, when there is one, says which",
    causes: [
      {
        check: "device-present",
        errno: ["ENOENT"],
        text:
          "there is no PCI device at that address (a typo, or buses renumbered by a hardware or firmware change)",
        fix: "fix the address in the VM's config: pptkit list --all shows the devices",
      },
      {
        check: "device-on-ppt",
        errno: ["ENOENT"],
        text: "the device is there but ppt(4) does not have it",
        fix: "reserve it: pptkit reserve B/S/F, then reboot (or pptkit reserve --now B/S/F)",
      },
      {
        check: "device-in-pptdevs",
        errno: ["ENOENT"],
        text:
          "the device is in pptdevs, but the running kernel did not give it to ppt(4): no reboot since, or the kernel dropped the variable at boot",
        fix: "reboot; keep each pptdevs value within 128 characters (pptkit reserve spreads them)",
      },
      {
        check: "vmm-from-loader",
        errno: ["ENOENT"],
        text:
          "vmm.ko was loaded after boot (kld_list, kldload), when the host drivers had already taken the devices",
        fix: 'load vmm from the loader: vmm_load="YES" in /boot/loader.conf, then reboot',
      },
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text: "another VM owns the device: ppt(4) gives a device to one VM at a time",
        fix: "stop the VM that holds it, or destroy a leftover one: bhyvectl --destroy --vm=NAME",
      },
      {
        check: "iommu-present",
        errno: ["ENXIO"],
        text:
          "this is the VM's first passthru device and vmm could not create its IOMMU domain: the firmware has no DMAR (Intel) or IVRS (AMD) table",
        fix: "enable VT-d / AMD-Vi (IOMMU) in the firmware setup and reboot",
      },
      {
        check: "iommu-enabled",
        errno: ["ENXIO"],
        text: "hw.vmm.iommu.enable=0 keeps vmm from using the IOMMU",
        fix: "remove hw.vmm.iommu.enable=0 from /boot/loader.conf and reboot",
      },
      {
        check: "amdvi-enabled",
        errno: ["ENXIO"],
        text: "an AMD host with AMD-Vi units but hw.vmm.amdvi.enable=0, the default",
        fix: "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot (pptkit reserve adds it)",
      },
      {
        check: "manual",
        text:
          "FreeBSD 15 jails: a bhyve in a jail without the vmm_ppt permission is refused (UNVERIFIED: seen only in an unnamed source excerpt)",
        fix: "run bhyve on the host, or allow vmm and vmm_ppt for the jail",
      },
    ],
    fix:
      "check in this order: the device is on ppt(4) (pciconf -l), no other VM holds it, the host's IOMMU works (DMAR / IVRS; hw.vmm.amdvi.enable=1 on AMD)",
    sample: "bhyve: PCI device at 3/0/0 is not using the ppt(4) driver",
    related: ["amdvi-disabled", "iommu-host-domain", "device-emulation-init", "devctl-set-driver"],
    devinitErrno: true,
  },
  {
    id: "msi-init",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "cfginit (cfginitmsi)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "failed to initialize MSI for PCI %d/%d/%d",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
        fields: ["bus", "slot", "function"],
      },
    ],
    meaning:
      "bhyve could set up neither MSI nor MSI-X for the device; since bhyve makes up an MSI capability for any device with a capability list, this happens only when the device has no capability list or its config space reads back empty",
    causes: [
      {
        check: "device-msi",
        text: "the device has no capability list: no MSI and no MSI-X (some old PCI cards)",
        fix: "pass a device with MSI or MSI-X",
      },
      {
        check: "device-present",
        text:
          "its config space could not be read: the device is powered down, gone after a reset, or behind a bridge in error",
        fix: "check pciconf -lc for the device; reboot the host, or try another slot",
      },
    ],
    fix: "check pciconf -lc for the device's MSI / MSI-X lines",
    sample: "bhyve: failed to initialize MSI for PCI 3/0/0",
    related: ["not-ppt", "device-emulation-init"],
  },
  {
    id: "bars-init",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "cfginit (cfginitbar)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "failed to initialize BARs for PCI %d/%d/%d",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
        fields: ["bus", "slot", "function"],
      },
    ],
    meaning:
      "bhyve could not set up the guest's copies of the device's BARs; newer bhyve fails here only after a BAR that is not page aligned, older bhyve also when the guest's PCI windows were full or a BAR could not be mapped",
    causes: [
      {
        check: "earlier-line",
        text: "a memory BAR is not 4 KiB aligned (the line before says: not page aligned)",
        fix: "pass a device whose BARs are page aligned; some firmware has a BAR alignment option",
      },
      {
        check: "manual",
        text:
          "older bhyve: the device's BARs do not fit the guest's 32-bit window (0xC0000000-0xE0000000) or 64-bit window",
        fix: "pass fewer devices with large BARs to one VM, or upgrade FreeBSD",
      },
    ],
    fix: "read the bhyve lines before this one and pciconf -lb for the device",
    sample: "bhyve: failed to initialize BARs for PCI 3/0/0",
    related: ["bar-not-page-aligned", "msix-init", "device-emulation-init"],
  },
  {
    id: "bar-not-page-aligned",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "cfginitbar",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "passthru device %d/%d/%d BAR %d: base %#lx or size %#lx not page aligned",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. The source format ends in an explicit \\n, so warnx prints an extra empty line after it",
        fields: ["bus", "slot", "function", null, null, null],
      },
    ],
    meaning:
      "a memory BAR of the host device starts or ends off a 4 KiB page boundary; bhyve can map only whole pages into the guest",
    causes: [
      {
        check: "manual",
        text:
          "the device (or where the firmware put its BAR) has a small BAR that is not padded to a page; pciconf -lb shows base and size",
        fix: "try a firmware option that aligns BARs, or use another device",
      },
    ],
    fix: "this bhyve cannot pass the device as it is",
    sample: "bhyve: passthru device 3/0/0 BAR 2: base 0xfb104000 or size 0x800 not page aligned",
    related: ["bars-init"],
  },
  {
    id: "msix-init",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "cfginit",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "failed to initialize MSI-X table for PCI %d/%d/%d: %d",
        first: "13.1",
        last: null,
        verified: false,
        note:
          "present in the 15-era file, absent from the 12.x-era file (there MSI-X table setup happened inside cfginitbar). first release UNVERIFIED. The trailing %d is the return of init_msix_table (-1 after a failed PCIOCBARMMAP)",
        fields: ["bus", "slot", "function", null],
      },
    ],
    meaning:
      "bhyve could not map the BAR that holds the device's MSI-X table, which it has to emulate for the guest",
    causes: [
      {
        check: "earlier-line",
        text:
          "mapping the table's BAR through /dev/pci failed; the line before (Failed to map MSI-X table BAR) has the errno",
        fix: "explain that line",
      },
    ],
    fix: "read the Failed to map MSI-X table BAR line before this one",
    sample: "bhyve: failed to initialize MSI-X table for PCI 3/0/0: -1",
    related: ["msix-bar-map", "msix-pba-map", "device-emulation-init"],
  },
  {
    id: "msix-bar-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "init_msix_table",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to map MSI-X table BAR on %d/%d/%d",
        first: "13.1",
        last: null,
        verified: false,
        note:
          "PCIOCBARMMAP-based code; absent from the 12.x-era file; first release UNVERIFIED. warn() appends ': <strerror>'",
        fields: ["bus", "slot", "function"],
      },
    ],
    meaning: "the PCIOCBARMMAP ioctl could not map the BAR that holds the device's MSI-X table",
    causes: [
      {
        check: "device-on-ppt",
        errno: ["EPERM", "EACCES", "ENODEV"],
        text: "the device is not on ppt(4), or bhyve may not write /dev/pci",
        fix: "run bhyve as root and check that the device is on ppt(4)",
      },
      {
        check: "errno",
        errno: ["EINVAL", "EBUSY"],
        text: "the BAR is not a memory BAR or is not decoded on the host",
        fix: "check pciconf -lb; reboot so that the firmware assigns the BAR",
      },
    ],
    fix: "run bhyve as root and check the BAR with pciconf -lb",
    sample: "bhyve: Failed to map MSI-X table BAR on 3/0/0: Invalid argument",
    related: ["msix-init"],
  },
  {
    id: "msix-pba-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "init_msix_table (12.x era)",
      commit: "02df1902fe923d3742dc1702708737dab253712e",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to map PBA page for MSI-X on %d/%d/%d",
        first: "12.0",
        last: "13.0",
        verified: false,
        note:
          "only in the 12.x-era file read (mmap of /dev/mem); replaced by the PCIOCBARMMAP code. Last release UNVERIFIED",
        fields: ["bus", "slot", "function"],
      },
    ],
    meaning:
      "older bhyve maps the page of the MSI-X pending-bit array through /dev/mem, and that failed",
    causes: [
      {
        check: "running-as-root",
        errno: ["EPERM"],
        text: "/dev/mem refused the mapping: not root, or kern.securelevel above 0",
        fix: "run bhyve as root with kern.securelevel at -1 or 0",
      },
    ],
    fix: "run bhyve as root with kern.securelevel at -1 or 0",
    sample: "bhyve: Failed to map PBA page for MSI-X on 3/0/0: Operation not permitted",
    related: ["msix-init", "bars-init"],
  },
  {
    id: "msix-bar-protect",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "init_msix_table",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warn",
    errno: true,
    role: "warning",
    formats: [
      {
        text: "Failed to unmap MSI-X table BAR region",
        first: "13.1",
        last: null,
        verified: false,
        note: "warning only; first release UNVERIFIED",
      },
    ],
    meaning: "bhyve could not protect the parts of the MSI-X BAR it does not emulate; it goes on",
    causes: [
      {
        check: "manual",
        text: "unusual and usually harmless",
        fix: "nothing, unless the guest misbehaves",
      },
    ],
    fix: "nothing to do",
    sample: "bhyve: Failed to unmap MSI-X table BAR region: Invalid argument",
    related: ["msix-init"],
  },
  {
    id: "romfile",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init_rom",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: '%s: can\'t open romfile "%s"',
        first: "14.0",
        last: null,
        verified: false,
        note:
          "%s = passthru_init_rom. rom= option; first release UNVERIFIED (absent from the 12.x-era file). warnx: no errno text",
        fields: [null, "path"],
      },
      {
        text: '%s: can\'t fstat romfile "%s"',
        first: "14.0",
        last: null,
        verified: true,
        note: "same function",
        fields: [null, "path"],
      },
    ],
    meaning: "bhyve could not open (or stat) the option ROM file given with rom=",
    causes: [
      {
        check: "rom-file",
        text: "the rom= path does not exist, is relative to another directory, or cannot be read",
        fix: "give an absolute, readable path: rom=/vm/roms/gpu.rom",
      },
    ],
    fix: "check the rom= path",
    sample: 'bhyve: passthru_init_rom: can\'t open romfile "/vm/roms/gpu.rom"',
    related: ["romfile-mmap", "rom-segment"],
  },
  {
    id: "romfile-mmap",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init_rom",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: true,
    role: "error",
    formats: [
      {
        text: '%s: unable to mmap romfile "%s" (%d)',
        first: "14.0",
        last: null,
        verified: false,
        note: "(%d) is errno as a number. first release UNVERIFIED",
        fields: [null, "path", "errno"],
      },
    ],
    meaning: "bhyve opened the option ROM file but could not map it",
    causes: [
      {
        check: "rom-file",
        errno: ["EINVAL"],
        text: "the file is empty or not a regular file (mapping 0 bytes fails with EINVAL, 22)",
        fix: "use a non-empty ROM dump",
      },
      { check: "errno", text: "another mapping failure", fix: "check the file" },
    ],
    fix: "use a non-empty, regular ROM file",
    sample: 'bhyve: passthru_init_rom: unable to mmap romfile "/vm/roms/gpu.rom" (22)',
    related: ["romfile"],
  },
  {
    id: "rom-segment",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_init_rom",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: failed to alloc rom segment",
        first: "14.0",
        last: null,
        verified: false,
        note: "first release UNVERIFIED",
      },
    ],
    meaning: "bhyve could not reserve guest ROM space for the rom= file; the lines before say why",
    causes: [
      {
        check: "rom-file",
        text: "the ROM is bigger than what is left of bhyve's 256 MiB PCI ROM space",
        fix: "use a smaller ROM, or rom= on fewer devices",
      },
      {
        check: "earlier-line",
        text: "the ROM memory segment could not be created (failed to create rom segment)",
        fix: "explain that line",
      },
    ],
    fix: "read the pci_emul_alloc_rom lines before this one",
    sample: "bhyve: passthru_init_rom: failed to alloc rom segment",
    related: ["rom-space-exhausted", "rom-segment-create", "romfile"],
  },
  {
    id: "passthru-map-mmio",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_mmio_map / passthru_msix_addr",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "pci_passthru: map_pptdev_mmio failed",
        first: "13.1",
        last: null,
        verified: false,
        note:
          "BAR (re)programming path (pe_baraddr); absent from the 12.x-era file, first release UNVERIFIED",
        strict: true,
      },
    ],
    meaning:
      "when the guest (or its firmware) enabled or moved a BAR, the kernel refused to map the host BAR into guest memory",
    causes: [
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text: "the device is not owned by this VM",
        fix: "see the not using the ppt(4) driver checks",
      },
      {
        check: "manual",
        text:
          "the guest put the BAR at an address that is not page aligned, or every mapping slot is used",
        fix: "use UEFI firmware that assigns BARs normally; report it",
      },
    ],
    fix: "check dmesg and the guest's BAR assignment",
    sample: "bhyve: pci_passthru: map_pptdev_mmio failed",
    related: ["passthru-unmap-mmio"],
  },
  {
    id: "passthru-unmap-mmio",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_mmio_map / passthru_msix_addr",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "warnx",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "pci_passthru: unmap_pptdev_mmio failed",
        first: "13.1",
        last: null,
        verified: false,
        note: "first release UNVERIFIED",
        strict: true,
      },
    ],
    meaning: "the guest disabled or moved a BAR and bhyve could not remove the old mapping",
    causes: [
      {
        check: "manual",
        text: "no such mapping (ENOENT) or the device is not owned (EBUSY)",
        fix: "harmless once; if it repeats, restart the VM",
      },
    ],
    fix: "restart the VM if the device stops working",
    sample: "bhyve: pci_passthru: unmap_pptdev_mmio failed",
    related: ["passthru-map-mmio"],
  },
  {
    id: "rom-memseg-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_addr_rom",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: mmap_memseg @ [%016lx - %016lx]  failed",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "two spaces before 'failed' in the source. errx(4): bhyve exits. first release UNVERIFIED",
      },
      {
        text: "%s: munmap_memseg @ [%016lx - %016lx] failed",
        first: "14.0",
        last: null,
        verified: true,
        note: "errx(4)",
      },
    ],
    meaning:
      "mapping (or unmapping) the option ROM into the guest failed when the guest enabled its ROM BAR; bhyve exits",
    causes: [
      {
        check: "manual",
        text: "the guest put the ROM BAR over memory in use",
        fix: "drop rom= for this device, or use other guest firmware",
      },
    ],
    fix: "remove rom= or report the guest firmware's behaviour",
    sample: "bhyve: passthru_addr_rom: mmap_memseg @ [00000000c1000000 - 00000000c1020000]  failed",
    related: ["romfile"],
  },
  {
    id: "passthru-bad-bar-type",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_addr",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: invalid BAR type %d",
        first: "13.1",
        last: null,
        verified: false,
        note: "internal consistency check; errx(4). first release UNVERIFIED",
      },
    ],
    meaning: "bhyve found a BAR of an unknown type while the guest reprogrammed it: a bhyve bug",
    causes: [
      {
        check: "manual",
        text: "a bhyve bug",
        fix: "report it with the device's pciconf -lbc output",
      },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: passthru_addr: invalid BAR type 5",
    related: [],
  },
  {
    id: "pptdev-msi-setup",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_cfgwrite_default (15-era); passthru_cfgwrite (12.x)",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_setup_pptdev_msi",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. err(1): ': <strerror>' follows and bhyve exits while the guest runs",
        strict: true,
      },
    ],
    meaning:
      "the guest enabled MSI on the device and the kernel could not set up the host vectors; bhyve exits while the guest runs",
    causes: [
      {
        check: "errno",
        errno: ["EINVAL"],
        text: "the guest asked for more MSI vectors than the device has",
        fix: "limit MSI in the guest's driver",
      },
      {
        check: "errno",
        errno: ["ENOSPC"],
        text: "the host could not allocate every vector asked for",
        fix: "use fewer vectors in the guest; check the host's interrupt resources",
      },
      {
        check: "errno",
        errno: ["EBUSY"],
        text: "MSI-X is already active on the device",
        fix: "a guest driver problem: report it to the guest OS",
      },
      {
        check: "errno",
        errno: ["ENXIO"],
        text: "setting up the interrupt resource or handler failed",
        fix: "check dmesg",
      },
    ],
    fix: "read the errno text",
    sample: "bhyve: vm_setup_pptdev_msi: No space left on device",
    related: ["pptdev-msix-setup"],
  },
  {
    id: "pptdev-msix-setup",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_cfgwrite_default / msix_table_write",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_setup_pptdev_msix",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. err(1); bhyve exits",
        strict: true,
      },
    ],
    meaning:
      "the guest enabled MSI-X and the kernel could not set up the host vectors; bhyve exits",
    causes: [
      {
        check: "errno",
        errno: ["EINVAL"],
        text: "the device has no MSI-X, or a vector index is out of range",
        fix: "a guest driver problem: report it",
      },
      {
        check: "errno",
        errno: ["ENOSPC"],
        text: "the host could not allocate the table's resources or every vector",
        fix: "check dmesg; free interrupt vectors",
      },
      {
        check: "errno",
        errno: ["EBUSY"],
        text: "MSI is already active on the device",
        fix: "a guest driver problem: report it",
      },
      {
        check: "errno",
        errno: ["ENXIO"],
        text: "setting up the interrupt resource or handler failed",
        fix: "check dmesg",
      },
    ],
    fix: "read the errno text",
    sample: "bhyve: vm_setup_pptdev_msix: No space left on device",
    related: ["pptdev-msi-setup", "pptdev-msix-disable"],
  },
  {
    id: "pptdev-msix-disable",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_passthru.c",
      function: "passthru_cfgwrite_default",
      commit: "83304caca2a2171fcfecbc7a29a24d539d266f98",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_disable_pptdev_msix",
        first: "13.1",
        last: null,
        verified: false,
        note: "absent from the 12.x-era file; first release UNVERIFIED. err(1)",
        strict: true,
      },
    ],
    meaning: "turning MSI-X off in the kernel failed when the guest disabled it; bhyve exits",
    causes: [
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text: "the device is not owned by this VM",
        fix: "see the not using the ppt(4) driver checks",
      },
    ],
    fix: "read the errno text",
    sample: "bhyve: vm_disable_pptdev_msix: Device busy",
    related: ["pptdev-msix-setup"],
  },
  {
    id: "slot-syntax",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_parse_slot_usage (from pci_parse_slot)",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: 'Invalid PCI slot info field "%s"',
        first: "12.0",
        last: null,
        verified: true,
        note:
          "same text in every version seen; 12.x prints it with fprintf(stderr) and a trailing \\n, newer code with EPRINTLN. older wording of 12.x-era pci_emul.c copies (fprintf to stderr), whose repository the index did not name",
        fields: ["slot-option"],
      },
    ],
    meaning:
      "bhyve could not read a -s argument: no comma after the slot, or a bus, slot or function outside 0-255, 0-31 or 0-7 (decimal)",
    causes: [
      {
        check: "command-line",
        text:
          "the -s value lacks ,emulation, uses hex, or has a slot above 31 or a function above 7 (host functions above 7 must get another guest function)",
        fix: "write -s slot[:function],emulation[,options] or -s bus:slot:function,emulation",
      },
    ],
    fix: "fix the -s argument: -s 6:0,passthru,1/0/0",
    sample: 'Invalid PCI slot info field "6:8,passthru,3/0/8"',
    related: ["unknown-emulation", "slot-occupied"],
  },
  {
    id: "unknown-emulation",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_parse_slot; init_pci",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: 'pci slot %d:%d:%d: unknown device "%s"',
        first: "13.1",
        last: null,
        verified: false,
        note:
          "bus:slot:func wording of the configuration-era code (also printed by init_pci for config-file devices). First release UNVERIFIED (13.0 believed to print the older form)",
        fields: [null, null, null, "option"],
      },
      {
        text: 'pci slot %d:%d: unknown device "%s"',
        first: "12.0",
        last: "13.0",
        verified: false,
        note:
          "slot:func only. older wording of 12.x-era pci_emul.c copies (fprintf to stderr), whose repository the index did not name. Last release UNVERIFIED",
        fields: [null, null, "option"],
      },
    ],
    meaning: "the emulation named after the slot is not one this bhyve has",
    causes: [
      {
        check: "command-line",
        text: "a misspelt emulation (passthrough, pass-thru) or one of a newer release",
        fix: "use passthru; bhyve -s help lists the emulations",
      },
    ],
    fix: "correct the emulation name (bhyve -s help)",
    sample: 'pci slot 0:6:0: unknown device "passthrough"',
    related: ["slot-syntax"],
  },
  {
    id: "slot-occupied",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_parse_slot",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "pci slot %d:%d:%d already occupied!",
        first: "13.1",
        last: null,
        verified: false,
        note: "configuration-era wording (node pci.B.S.F already exists). first release UNVERIFIED",
      },
      {
        text: "pci slot %d:%d already occupied!",
        first: "12.0",
        last: "13.0",
        verified: false,
        note:
          "slot:func only, fprintf + \\n. older wording of 12.x-era pci_emul.c copies (fprintf to stderr), whose repository the index did not name. Last release UNVERIFIED",
      },
    ],
    meaning: "two -s arguments name the same guest bus:slot:function",
    causes: [
      {
        check: "command-line",
        text:
          "a guest slot:function is used twice on the command line (often one of the wrapper's own disks, NICs or lpc)",
        fix:
          "give each device its own slot:function (pptkit plan VM --used-slots LIST leaves the wrapper's alone)",
      },
    ],
    fix: "renumber one of the two -s arguments",
    sample: "pci slot 0:6:0 already occupied!",
    related: ["slot-syntax"],
  },
  {
    id: "missing-device-value",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "init_pci",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: 'pci slot %d:%d:%d: missing "device" value',
        first: "13.1",
        last: null,
        verified: false,
        note: "config-file era; first release UNVERIFIED",
      },
    ],
    meaning: "a pci.B.S.F node of the configuration has no device= setting",
    causes: [
      {
        check: "command-line",
        text: "a config file (-k) or -o sets pci.B.S.F options without pci.B.S.F.device",
        fix: "add pci.B.S.F.device=passthru (or the emulation meant)",
      },
    ],
    fix: "add device= to the node",
    sample: 'pci slot 0:6:0: missing "device" value',
    related: [],
  },
  {
    id: "legacy-device-alias",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "init_pci",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: 'pci slot %d:%d:%d: legacy device "%s", use "%s" instead',
        first: "13.1",
        last: null,
        verified: false,
        note: "config-file era; first release UNVERIFIED",
      },
    ],
    meaning: "a configuration names an old alias in device=; only the -s parser takes aliases",
    causes: [
      {
        check: "command-line",
        text: "device= uses a legacy name such as ahci-hd",
        fix: "use the name bhyve suggests",
      },
    ],
    fix: "use the name bhyve suggests",
    sample: 'pci slot 0:3:0: legacy device "ahci-hd", use "ahci" instead',
    related: [],
  },
  {
    id: "rom-segment-create",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_emul_alloc_rom",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: failed to create rom segment",
        first: "14.0",
        last: null,
        verified: false,
        note: "%s = pci_emul_alloc_rom; ROM support, first release UNVERIFIED",
      },
    ],
    meaning: "bhyve could not create the 256 MiB memory segment that holds option ROMs",
    causes: [
      {
        check: "guest-memory",
        text:
          "the host could not provide the segment (memory pressure, or vm.max_user_wired with -S)",
        fix: "free host memory or give the VM less (-m)",
      },
    ],
    fix: "free host memory and start again",
    sample: "bhyve: pci_emul_alloc_rom: failed to create rom segment",
    related: ["rom-segment"],
  },
  {
    id: "rom-space-exhausted",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_emul_alloc_rom",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: no space left in rom segment:",
        first: "14.0",
        last: null,
        verified: false,
        note: "first of three consecutive warnx lines; first release UNVERIFIED",
      },
      {
        text: "%16lu bytes left",
        first: "14.0",
        last: null,
        verified: true,
        note: "second line (right-aligned number)",
      },
      {
        text: "%16lu bytes required by %d/%d/%d",
        first: "14.0",
        last: null,
        verified: true,
        note: "third line; the B/S/F here is the GUEST bus/slot/function of the device",
      },
    ],
    meaning:
      "the option ROMs of this VM do not fit bhyve's 256 MiB PCI ROM space (each ROM is rounded up to a power of two)",
    causes: [
      {
        check: "rom-file",
        text: "a rom= file is very large, or several devices have rom=",
        fix: "use a smaller ROM, or rom= on fewer devices",
      },
    ],
    fix: "make the ROMs smaller",
    sample: "bhyve: pci_emul_alloc_rom: no space left in rom segment:",
    related: ["rom-segment"],
  },
  {
    id: "bootindex",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_emul_add_boot_device",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Invalid bootindex %d for %s",
        first: "14.0",
        last: null,
        verified: false,
        note: "errx(4). first release UNVERIFIED",
      },
      {
        text: "Could not set bootindex %d for %s. Bootindex already occupied by %s",
        first: "14.0",
        last: null,
        verified: true,
        note: "errx(4)",
      },
    ],
    meaning: "a bootindex= option is negative or used by two devices; bhyve exits",
    causes: [
      {
        check: "command-line",
        text: "bootindex= is repeated or negative in the -s options",
        fix: "give each bootable device its own bootindex, 0 or more",
      },
    ],
    fix: "fix the bootindex= values",
    sample:
      "bhyve: Could not set bootindex 1 for passthru@pci.0.6.0. Bootindex already occupied by ahci@pci.0.3.0",
    related: ["bootorder"],
  },
  {
    id: "bootorder",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "init_pci",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to init bootorder",
        first: "14.0",
        last: null,
        verified: false,
        note: "%s = init_pci. first release UNVERIFIED",
      },
    ],
    meaning: "the firmware boot order could not be built from the bootindex= options",
    causes: [
      {
        check: "manual",
        text: "QEMU fw_cfg is not available (lpc.fwcfg is not qemu)",
        fix: "use -l fwcfg=qemu, or drop bootindex=",
      },
    ],
    fix: "drop bootindex= or enable QEMU fw_cfg",
    sample: "bhyve: init_pci: Unable to init bootorder",
    related: ["bootindex"],
  },
  {
    id: "lowmem-limit",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "init_pci",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Invalid lowmem limit",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "errx(EX_OSERR). Only the 15-era file was read for this line; earlier releases UNVERIFIED",
        strict: true,
      },
    ],
    meaning: "the guest's low memory limit overlaps bhyve's 32-bit PCI window (an internal check)",
    causes: [
      { check: "manual", text: "a bhyve bug or an unusual lowmem setting", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: Invalid lowmem limit",
    related: [],
  },
  {
    id: "pci-bad-bar-type",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_emul_assign_bar",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "pci_emul_alloc_base: invalid bar type %d",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "followed by assert(0) (abort, core dump). Only the 15-era file read; earlier releases UNVERIFIED",
      },
    ],
    meaning: "a device emulation asked for a BAR of an unknown type and bhyve aborts: a bhyve bug",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "pci_emul_alloc_base: invalid bar type 7",
    related: [],
  },
  {
    id: "pci-bad-bar-offset",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/pci_emul.c",
      function: "pci_cfgrw",
      commit: "00c581992de94265209c25d9003047a7cd908543",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: invalid BAR offset %d",
        first: "14.0",
        last: null,
        verified: false,
        note: "errx(4); first release UNVERIFIED",
      },
    ],
    meaning: "an internal error while the guest wrote a BAR or ROM register: a bhyve bug",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: pci_cfgrw: invalid BAR offset 52",
    related: [],
  },
  {
    id: "memory-setup",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "printf",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Unable to setup memory (%d)",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. (%d) is errno as a number; fprintf(stderr), no 'bhyve:' prefix. Read in the 12.0-era, 13.x-era and 15-era bhyverun.c (the 15-era copy's commit was not exposed by the index)",
        fields: ["errno"],
      },
    ],
    meaning: "bhyve could not set up the guest's memory and exits with 4; the number is the errno",
    causes: [
      {
        check: "guest-memory",
        errno: ["ENOMEM"],
        text: "the host cannot supply, and with -S wire, that much memory",
        fix: "give the VM less memory (-m), stop other VMs, cap the ZFS ARC (vfs.zfs.arc_max)",
      },
      {
        check: "manual",
        errno: ["ENOMEM"],
        text:
          "with -S the wired pages count against vm.max_user_wired, which is lower than the guest's memory",
        fix: "raise it: sysctl vm.max_user_wired=PAGES (and in /etc/sysctl.conf)",
      },
      {
        check: "manual",
        errno: ["EEXIST"],
        text:
          "a VM of this name already has its memory mapped with other flags (wired versus not): bhyveload ran without -S and bhyve with it, or a VM was left over",
        fix:
          "destroy it (bhyvectl --destroy --vm=NAME) and give bhyveload and bhyve the same -S and -m",
      },
      {
        check: "manual",
        errno: ["EINVAL"],
        text:
          "a VM of this name already has a memory segment of another size (-m changed since bhyveload, or a leftover VM)",
        fix: "bhyvectl --destroy --vm=NAME, then start again with one -m",
      },
      {
        check: "manual",
        errno: ["EFAULT"],
        text: "wiring failed for another reason, or the guest range could not be mapped",
        fix: "destroy the VM and start again; check dmesg",
      },
      {
        check: "manual",
        errno: ["ENOSPC"],
        text: "every memory map slot of the VM is used (leftover mappings)",
        fix: "bhyvectl --destroy --vm=NAME",
      },
    ],
    fix:
      "12 is not enough (wirable) memory; 17 and 22 a leftover VM with other memory settings (destroy it); 14 and 28 destroy and start again",
    sample: "Unable to setup memory (12)",
    related: ["memory-not-wired", "vm-create"],
  },
  {
    id: "vm-create",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "do_open",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "perror",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_create",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. perror: the line reads 'vm_create: <strerror>'. EEXIST is not printed (bhyve reuses the existing VM)",
        strict: true,
      },
    ],
    meaning: "bhyve could not create the VM in vmm(4)",
    causes: [
      {
        check: "vmm-loaded",
        errno: ["ENOENT"],
        text: "vmm.ko is not loaded, so there is nothing to create the VM with",
        fix: 'load vmm: vmm_load="YES" in /boot/loader.conf (or kldload vmm)',
      },
      {
        check: "running-as-root",
        errno: ["EPERM", "EACCES"],
        text: "bhyve does not run as root",
        fix: "run bhyve as root",
      },
      {
        check: "vmm-loaded",
        errno: ["ENXIO"],
        text: "vmm.ko is loaded but did not initialise: VT-x / AMD-V is not usable",
        fix: "read dmesg for the vmx_modinit or SVM line",
      },
      {
        check: "command-line",
        errno: ["EINVAL"],
        text: "the VM name is too long for vmm",
        fix: "use a shorter VM name",
      },
    ],
    fix: "load vmm.ko and run bhyve as root",
    sample: "vm_create: No such file or directory",
    related: ["vm-open", "kldload-failed", "vmx-bios-disabled"],
  },
  {
    id: "vm-open",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "do_open",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "perror",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_open",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. 'vm_open: <strerror>'",
        strict: true,
      },
    ],
    meaning: "the VM exists but bhyve could not open /dev/vmm/NAME",
    causes: [
      {
        check: "running-as-root",
        errno: ["EACCES", "EPERM"],
        text: "bhyve does not run as root",
        fix: "run bhyve as root",
      },
      {
        check: "manual",
        errno: ["ENOENT"],
        text: "the VM was destroyed between its creation and the open (another tool raced it)",
        fix: "start again, and let one manager start the VM",
      },
    ],
    fix: "run bhyve as root and start again",
    sample: "vm_open: Permission denied",
    related: ["vm-create"],
  },
  {
    id: "vm-reinit",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "do_open",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "perror",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_reinit",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. 'vm_reinit: <strerror>'",
        strict: true,
      },
    ],
    meaning: "a VM of this name existed and bhyve (booting from a ROM) could not reset it",
    causes: [
      {
        check: "manual",
        errno: ["EBUSY"],
        text: "another bhyve still runs this VM",
        fix: "stop it, or bhyvectl --destroy --vm=NAME",
      },
    ],
    fix: "destroy the old VM and start again",
    sample: "vm_reinit: Device busy",
    related: ["vm-create"],
  },
  {
    id: "vm-cannot-boot",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "do_open",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "virtual machine cannot be booted",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
      },
    ],
    meaning: "the VM was just created, no loader ran and no boot ROM was given",
    causes: [
      {
        check: "command-line",
        text: "no -l bootrom,... on the command line and no bhyveload or grub-bhyve before it",
        fix: "add -l bootrom,/usr/local/share/uefi-firmware/BHYVE_UEFI.fd, or run the loader first",
      },
    ],
    fix: "add a boot ROM or run bhyveload first",
    sample: "virtual machine cannot be booted",
    related: [],
  },
  {
    id: "vcpus-unavailable",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%d vCPUs requested but only %d available",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
      },
    ],
    meaning:
      "more vCPUs were asked for than vmm allows (1 without unrestricted guest, otherwise hw.vmm.maxcpu)",
    causes: [
      {
        check: "command-line",
        text: "-c is above the host's CPUs or hw.vmm.maxcpu",
        fix: "lower -c, or set hw.vmm.maxcpu in /boot/loader.conf",
      },
    ],
    fix: "lower -c",
    sample: "16 vCPUs requested but only 8 available",
    related: ["vmm-maxcpu-clamped"],
  },
  {
    id: "device-emulation-init",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "EPRINTLN",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Device emulation initialization error: %s",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "EPRINTLN with strerror(errno) in the 15-era file; whether 14.x stable branches got this wording is UNVERIFIED",
        fields: ["errno"],
      },
      {
        text: "device emulation initialization error",
        first: "12.1",
        last: "14.3",
        verified: false,
        note:
          "perror() wording (': <strerror>' appended) in the 13.x/14.x-era files; the 12.0-era file exits silently. Both boundaries UNVERIFIED",
      },
    ],
    meaning:
      "a device emulation failed to start and bhyve exits with 4. The errno is whatever the failing step left: for not using the ppt(4) driver it is the kernel's answer (ENOENT, EBUSY, ENXIO); the device's own line before this one is the real message",
    causes: [
      {
        check: "earlier-line",
        text:
          "a device line comes before this one (not using the ppt(4) driver, MSI, BARs, memory not wired, /dev/pci)",
        fix: "explain that line first",
      },
      {
        check: "errno",
        errno: ["ENOENT"],
        text: "without such a line: a backend is missing (a disk image, a tap device)",
        fix: "check the paths of the other -s options",
      },
      {
        check: "errno",
        errno: ["EADDRINUSE"],
        text: "without such a line: a VNC or serial port is in use",
        fix: "choose another port",
      },
    ],
    fix: "explain the bhyve line before this one",
    sample: "Device emulation initialization error: Device busy",
    related: ["not-ppt", "msi-init", "bars-init", "memory-not-wired", "open-dev"],
  },
  {
    id: "x2apic-state",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/bhyverun_machdep.c",
      function: "bhyve_init_vcpu",
      commit: "b5e57cb839024a94cdfca33494190390c72d03e4",
    },
    printer: "EPRINTLN",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Unable to set x2apic state (%d)",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. (%d) is the error number. fprintf in 12.x-14.x, EPRINTLN in amd64/bhyverun_machdep.c",
        fields: ["errno"],
      },
    ],
    meaning: "vmm refused the x2APIC setting of a vCPU",
    causes: [
      {
        check: "vmm-loaded",
        text: "the kernel and bhyve do not match",
        fix: "update world and kernel together",
      },
    ],
    fix: "update world and kernel together",
    sample: "Unable to set x2apic state (22)",
    related: [],
  },
  {
    id: "rom-boot-unrestricted",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/bhyverun_machdep.c",
      function: "bhyve_start_vcpu",
      commit: "b5e57cb839024a94cdfca33494190390c72d03e4",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "ROM boot failed: unrestricted guest capability not available",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "fprintf without errno in 12.x-14.x (bhyverun.c main); err(4) with ': <strerror>' in amd64/bhyverun_machdep.c (15-era). Boundary UNVERIFIED",
      },
    ],
    meaning: "booting from a ROM (UEFI) needs VT-x unrestricted guest, which this CPU lacks",
    causes: [
      {
        check: "manual",
        text: "a very old Intel CPU, or an outer hypervisor that hides the feature",
        fix: "boot with bhyveload or grub-bhyve instead, or use newer hardware",
      },
    ],
    fix: "boot without a ROM, or use newer hardware",
    sample: "bhyve: ROM boot failed: unrestricted guest capability not available: Invalid argument",
    related: ["vm-cannot-boot"],
  },
  {
    id: "hlt-exit-unsupported",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/bhyverun_machdep.c",
      function: "bhyve_init_vcpu",
      commit: "b5e57cb839024a94cdfca33494190390c72d03e4",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "VM exit on HLT not supported",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
      },
    ],
    meaning: "-H was given but the CPU cannot exit on HLT",
    causes: [
      { check: "command-line", text: "-H on hardware without HLT exiting", fix: "drop -H" },
    ],
    fix: "drop -H",
    sample: "VM exit on HLT not supported",
    related: [],
  },
  {
    id: "pause-exit-unsupported",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/bhyverun_machdep.c",
      function: "bhyve_init_vcpu",
      commit: "b5e57cb839024a94cdfca33494190390c72d03e4",
    },
    printer: "EPRINTLN",
    errno: false,
    role: "error",
    formats: [
      {
        text: "SMP mux requested, no pause support",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
      },
    ],
    meaning: "-P was given but PAUSE exiting is not available",
    causes: [
      { check: "command-line", text: "-P on hardware without PAUSE exiting", fix: "drop -P" },
    ],
    fix: "drop -P",
    sample: "SMP mux requested, no pause support",
    related: [],
  },
  {
    id: "init-msr",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "printf",
    errno: true,
    role: "error",
    formats: [
      {
        text: "init_msr error %d",
        first: "12.0",
        last: "14.3",
        verified: false,
        note:
          "no trailing newline in the source, so the next output joins this line. In the 15-era code init_msr failures make bhyve_init_platform return an error and bhyve exits(4) without a message. Last release UNVERIFIED",
      },
    ],
    meaning: "bhyve could not set up its MSR emulation (a CPU vendor it does not know)",
    causes: [
      {
        check: "manual",
        text: "the CPU is not Intel, AMD or Hygon as bhyve expects",
        fix: "use a supported CPU",
      },
    ],
    fix: "use a supported CPU",
    sample: "init_msr error 6",
    related: [],
  },
  {
    id: "invalid-memsize",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "invalid memsize '%s'",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
        fields: ["option"],
      },
    ],
    meaning: "bhyve could not read the -m value",
    causes: [
      {
        check: "command-line",
        text: "-m has an unknown suffix or a space",
        fix: "write it like -m 8G",
      },
    ],
    fix: "write sizes like -m 8G",
    sample: "bhyve: invalid memsize '8 GB'",
    related: ["memory-setup"],
  },
  {
    id: "invalid-topology",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main / calc_topology",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "invalid cpu topology '%s'",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
        fields: ["option"],
      },
      {
        text: "Topology (%d sockets, %d cores, %d threads) does not match %d vCPUs",
        first: "13.1",
        last: null,
        verified: false,
        note: "config-era calc_topology; first release UNVERIFIED",
      },
      {
        text: "Invalid value for %s: '%s'",
        first: "13.1",
        last: null,
        verified: false,
        note: "parse_int_value; first release UNVERIFIED",
        fields: [null, "option"],
      },
    ],
    meaning: "the -c value (cpus, sockets, cores, threads) is malformed or does not add up",
    causes: [
      {
        check: "command-line",
        text: "cpus is not sockets x cores x threads, or a value is not a number",
        fix: "make -c consistent, e.g. -c 8,sockets=1,cores=4,threads=2",
      },
    ],
    fix: "fix -c",
    sample: "bhyve: Topology (1 sockets, 4 cores, 1 threads) does not match 8 vCPUs",
    related: ["vcpus-unavailable"],
  },
  {
    id: "invalid-config-option",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main / parse_simple_config_file",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "invalid configuration option '%s'",
        first: "13.1",
        last: null,
        verified: false,
        note: "-o parsing; first release UNVERIFIED",
        fields: ["option"],
      },
      {
        text: "%s line %u: invalid config option '%s'",
        first: "13.1",
        last: null,
        verified: true,
        note: "-k file parsing",
        fields: ["path", null, "option"],
      },
    ],
    meaning: "an -o option or a -k file line is not name=value with a value",
    causes: [
      { check: "command-line", text: "an empty value or no =", fix: "write name=value" },
    ],
    fix: "write options as name=value",
    sample: "bhyve: /vm/guest.conf line 7: invalid config option 'pci.0.6.0.device'",
    related: ["config-file-open"],
  },
  {
    id: "config-file-open",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "parse_simple_config_file",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to open configuration file %s",
        first: "13.1",
        last: null,
        verified: false,
        note: "err(4); first release UNVERIFIED",
        fields: ["path"],
      },
    ],
    meaning: "bhyve could not open the -k configuration file",
    causes: [
      { check: "errno", errno: ["ENOENT"], text: "the path is wrong", fix: "fix the -k path" },
      {
        check: "running-as-root",
        errno: ["EACCES"],
        text: "the file is not readable for bhyve",
        fix: "fix its permissions or run bhyve as root",
      },
    ],
    fix: "fix the -k path",
    sample: "bhyve: Failed to open configuration file /vm/guest.conf: No such file or directory",
    related: ["invalid-config-option"],
  },
  {
    id: "vm-set-topology",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "do_open",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "vm_set_topology",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. errx: no errno text",
        strict: true,
      },
    ],
    meaning: "vmm refused the CPU topology",
    causes: [
      {
        check: "command-line",
        text: "sockets x cores x threads is above vmm's limit (hw.vmm.maxcpu)",
        fix: "lower -c",
      },
    ],
    fix: "lower -c",
    sample: "bhyve: vm_set_topology",
    related: ["vcpus-unavailable"],
  },
  {
    id: "cap-enter",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "main",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "errx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "cap_enter() failed",
        first: "12.0",
        last: null,
        verified: true,
        note: "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked",
        strict: true,
      },
    ],
    meaning: "bhyve could not enter Capsicum capability mode",
    causes: [
      {
        check: "manual",
        text: "a kernel without capability mode",
        fix: "use a kernel with Capsicum (GENERIC has it)",
      },
    ],
    fix: "use a kernel with Capsicum",
    sample: "bhyve: cap_enter() failed",
    related: ["sandbox-rights"],
  },
  {
    id: "vm-run-error",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "vm_loop",
      commit: "0040b6857e93f03653cb99849227dffb8d4b4c71",
    },
    printer: "EPRINTLN",
    errno: true,
    role: "error",
    formats: [
      {
        text: "vm_run error %d, errno %d",
        first: "12.0",
        last: null,
        verified: true,
        note:
          "read in the 12.x-era and the 15-era sources; releases before 12.0 not checked. fprintf in 12.x-14.x, EPRINTLN in the 15-era file. Both numbers: the return value and errno",
        fields: [null, "errno"],
      },
    ],
    meaning: "the VM_RUN ioctl failed while the guest ran, and the vCPU stops",
    causes: [
      {
        check: "manual",
        text: "the VM was destroyed under bhyve (bhyvectl --destroy, vmm unloaded)",
        fix: "do not destroy running VMs",
      },
      {
        check: "errno",
        text: "a kernel error while running a vCPU",
        fix: "check dmesg at that time",
      },
    ],
    fix: "check dmesg, and whether something destroyed the VM",
    sample: "vm_run error -1, errno 6",
    related: [],
  },
  {
    id: "unhandled-mmio",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/bhyverun.c",
      function: "vmexit_inst_emul (12.x bhyverun.c; amd64/vmexit.c in newer trees)",
      commit: "e5508ded56b8b9ddde5c5f01e46b5a3b9b655fca",
    },
    printer: "printf",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Unhandled memory access to 0x%lx",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "read in the 12.0-era bhyverun.c; newer releases print it from amd64/vmexit.c (file not read; wording UNVERIFIED there)",
      },
      {
        text: "Failed to emulate instruction [",
        first: "12.0",
        last: null,
        verified: true,
        note: "followed by the instruction bytes and '] at 0x%lx'",
      },
    ],
    meaning:
      "the guest touched an address no memory, device or passthru BAR covers, and bhyve stops the VM",
    causes: [
      {
        check: "manual",
        text:
          "a passthru BAR was not mapped (the MSI-X table page, or a BAR the guest moved while map_pptdev_mmio failed)",
        fix: "look for map_pptdev_mmio lines; try UEFI firmware; report it with the address",
      },
    ],
    fix: "look for earlier passthru mapping errors",
    sample: "Unhandled memory access to 0xc0004000",
    related: ["passthru-map-mmio"],
  },
  {
    id: "gvt-gsm-access",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to access gsm",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: no mapping slot for Graphics Stolen Memory",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: gvt_d_setup_gsm: Unable to access gsm",
    related: ["gvt-gsm-setup"],
  },
  {
    id: "gvt-gsm-base",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unable to get graphics stolen memory base",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED). warn(): strerror appended",
      },
    ],
    meaning:
      "GVT-d, bhyve's pass-through of the Intel integrated GPU needs hw.intel_graphics_stolen_base, which the host kernel does not export",
    causes: [
      {
        check: "manual",
        errno: ["ENOENT"],
        text:
          "the kernel found no Intel graphics stolen memory: not an Intel iGPU, or its memory is off in the firmware",
        fix:
          "check sysctl hw.intel_graphics_stolen_base hw.intel_graphics_stolen_size; enable the iGPU and its pre-allocated memory (DVMT) in the firmware",
      },
    ],
    fix: "enable the iGPU and its pre-allocated memory in the firmware",
    sample:
      "bhyve: gvt_d_setup_gsm: Unable to get graphics stolen memory base: No such file or directory",
    related: ["gvt-gsm-size", "gvt-gsm-setup"],
  },
  {
    id: "gvt-gsm-size",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unable to get graphics stolen memory length",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "GVT-d, bhyve's pass-through of the Intel integrated GPU needs hw.intel_graphics_stolen_size, which the host kernel does not export",
    causes: [
      {
        check: "manual",
        errno: ["ENOENT"],
        text: "the kernel found no Intel graphics stolen memory",
        fix: "check sysctl hw.intel_graphics_stolen_size and the firmware's iGPU settings",
      },
    ],
    fix: "enable the iGPU's stolen memory in the firmware",
    sample:
      "bhyve: gvt_d_setup_gsm: Unable to get graphics stolen memory length: No such file or directory",
    related: ["gvt-gsm-base"],
  },
  {
    id: "gvt-gsm-e820",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to add Graphics Stolen Memory to E820 table (hpa 0x%lx len 0x%lx)",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED). An E820 table dump follows",
      },
    ],
    meaning: "no room below 4 GiB in the guest's memory map for the iGPU's stolen memory range",
    causes: [
      {
        check: "guest-memory",
        text: "guest memory below 4 GiB and other reservations leave no gap that big",
        fix: "try less memory (-m under about 3G), or report it with the E820 dump",
      },
    ],
    fix: "give the guest less low memory and start again",
    sample:
      "bhyve: gvt_d_setup_gsm: Unable to add Graphics Stolen Memory to E820 table (hpa 0x7c800000 len 0x4000000)",
    related: ["gvt-gsm-setup"],
  },
  {
    id: "gvt-gsm-reuse",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "warning",
    formats: [
      {
        text:
          "Warning: Unable to reuse host address of Graphics Stolen Memory. GPU passthrough might not work properly.",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "the iGPU's stolen memory sits at another guest address than on the host; newer Intel drivers may read the host address",
    causes: [
      {
        check: "guest-memory",
        text: "guest memory covers the host's stolen memory address",
        fix: "give the VM less memory so that low memory ends below that address",
      },
    ],
    fix: "give the VM less memory if the guest's GPU driver fails",
    sample:
      "bhyve: Warning: Unable to reuse host address of Graphics Stolen Memory. GPU passthrough might not work properly.",
    related: [],
  },
  {
    id: "gvt-unknown-igd",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_gsm",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unknown IGD device. It's not supported yet!",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x). warn(): the appended errno text is stale and meaningless",
      },
    ],
    meaning: "the iGPU's device id is not one this bhyve's GVT-d knows",
    causes: [
      {
        check: "device-present",
        text: "a newer Intel iGPU generation than this bhyve supports",
        fix: "upgrade FreeBSD; pciconf -lv shows the device id",
      },
    ],
    fix: "use a newer bhyve",
    sample:
      "bhyve: gvt_d_setup_gsm: Unknown IGD device. It's not supported yet!: No such file or directory",
    related: ["gvt-gsm-setup"],
  },
  {
    id: "gvt-bdsm-handler",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "set_bdsm_gen3 / set_bdsm_gen11",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Failed to setup handler for BDSM register!",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x). The gen11 variant has an explicit trailing \\n (extra empty line)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: the handler of the stolen memory base register could not be installed",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: set_bdsm_gen3: Failed to setup handler for BDSM register!",
    related: [],
  },
  {
    id: "gvt-bdsm-mirror",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "set_bdsm_gen11",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Failed to setup handler for BDSM mirror!",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x). Explicit trailing \\n in the source",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: the trap of the Gen11 stolen memory mirror register could not be installed",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: set_bdsm_gen11: Failed to setup handler for BDSM mirror!",
    related: [],
  },
  {
    id: "gvt-vbt-access",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_vbt",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to access VBT",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: no mapping slot for the Video BIOS Table",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: gvt_d_setup_vbt: Unable to access VBT",
    related: [],
  },
  {
    id: "gvt-vbt-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_vbt",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unable to map VBT",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning: "the host's Video BIOS Table (outside the OpRegion) could not be mapped from /dev/mem",
    causes: [
      {
        check: "manual",
        text:
          "/dev/mem refused the mapping (securelevel, a jail), or the firmware's RVDA address is bogus",
        fix: "run bhyve as root on the host with kern.securelevel at 0 or below",
      },
    ],
    fix: "check /dev/mem access",
    sample: "bhyve: gvt_d_setup_vbt: Unable to map VBT: Invalid argument",
    related: ["gvt-opregion-setup"],
  },
  {
    id: "gvt-vbt-e820",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_vbt",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to add VBT to E820 table (hpa 0x%lx len 0x%lx)",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning: "no room in the guest's memory map for the Video BIOS Table",
    causes: [
      {
        check: "guest-memory",
        text: "low guest memory covers that range",
        fix: "give the VM less memory (-m)",
      },
    ],
    fix: "give the guest less low memory",
    sample: "bhyve: gvt_d_setup_vbt: Unable to add VBT to E820 table (hpa 0x7a0c7000 len 0x2000)",
    related: [],
  },
  {
    id: "gvt-vbt-guest-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_vbt",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to map guest VBT",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: the guest address for the Video BIOS Table has no guest memory",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: gvt_d_setup_vbt: Unable to map guest VBT",
    related: [],
  },
  {
    id: "gvt-vbt-reuse",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_vbt",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "warning",
    formats: [
      {
        text:
          "Warning: Unable to reuse host address of VBT. GPU passthrough might not work properly.",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning: "the Video BIOS Table sits at another guest address than on the host",
    causes: [
      {
        check: "guest-memory",
        text: "guest memory covers the host address",
        fix: "give the VM less memory if the guest's GPU driver fails",
      },
    ],
    fix: "give the VM less memory if the guest's GPU driver fails",
    sample:
      "bhyve: Warning: Unable to reuse host address of VBT. GPU passthrough might not work properly.",
    related: [],
  },
  {
    id: "gvt-mem-open",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Failed to open %s",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED). Second %s is /dev/mem (opened read-only)",
        fields: [null, "path"],
      },
    ],
    meaning: "bhyve could not open /dev/mem to read the host's OpRegion",
    causes: [
      {
        check: "running-as-root",
        errno: ["EACCES"],
        text: "bhyve does not run as root",
        fix: "run bhyve as root",
      },
      {
        check: "manual",
        errno: ["ENOENT", "EPERM"],
        text: "a jail hides /dev/mem",
        fix: "run bhyve on the host",
      },
    ],
    fix: "run bhyve as root on the host, not in a jail",
    sample: "bhyve: gvt_d_setup_opregion: Failed to open /dev/mem: Permission denied",
    related: ["gvt-opregion-setup"],
  },
  {
    id: "gvt-opregion-access",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to access opregion",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: no mapping slot for the OpRegion",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: gvt_d_setup_opregion: Unable to access opregion",
    related: [],
  },
  {
    id: "gvt-opregion-header-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unable to map OpRegion header",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning: "the address in the iGPU's ASLS register (0xfc) could not be mapped",
    causes: [
      {
        check: "manual",
        text: "ASLS is 0 or garbage: the firmware made no OpRegion",
        fix:
          "boot the host in UEFI mode (not CSM) with the iGPU as the primary display, so that the firmware sets up an OpRegion (the ASLS register: pciconf -r pci0:0:2:0 0xfc)",
      },
    ],
    fix:
      "boot the host in UEFI mode (not CSM) with the iGPU as the primary display, so that the firmware sets up an OpRegion (the ASLS register: pciconf -r pci0:0:2:0 0xfc)",
    sample: "bhyve: gvt_d_setup_opregion: Unable to map OpRegion header: Invalid argument",
    related: ["gvt-opregion-signature", "gvt-opregion-setup"],
  },
  {
    id: "gvt-opregion-signature",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Invalid OpRegion signature",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "the memory at the ASLS address does not start with the OpRegion signature, so there is no valid OpRegion",
    causes: [
      {
        check: "manual",
        text:
          "the firmware set up no OpRegion (CSM boot, the iGPU not initialised, or not the boot display)",
        fix:
          "boot the host in UEFI mode (not CSM) with the iGPU as the primary display, so that the firmware sets up an OpRegion (the ASLS register: pciconf -r pci0:0:2:0 0xfc)",
      },
    ],
    fix:
      "boot the host in UEFI mode (not CSM) with the iGPU as the primary display, so that the firmware sets up an OpRegion (the ASLS register: pciconf -r pci0:0:2:0 0xfc)",
    sample: "bhyve: gvt_d_setup_opregion: Invalid OpRegion signature",
    related: ["gvt-opregion-setup"],
  },
  {
    id: "gvt-opregion-size",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Invalid OpRegion size of 0x%lx",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning: "the OpRegion header gives a size other than the 8 KiB bhyve supports",
    causes: [
      { check: "manual", text: "unusual firmware", fix: "report it with the size" },
    ],
    fix: "report the firmware's OpRegion size",
    sample: "bhyve: gvt_d_setup_opregion: Invalid OpRegion size of 0x4000",
    related: [],
  },
  {
    id: "gvt-opregion-host-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "%s: Unable to map host OpRegion",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning: "the whole OpRegion could not be mapped from /dev/mem",
    causes: [
      {
        check: "manual",
        text: "/dev/mem refused the mapping",
        fix: "run bhyve as root with kern.securelevel at 0 or below",
      },
    ],
    fix: "check /dev/mem access",
    sample: "bhyve: gvt_d_setup_opregion: Unable to map host OpRegion: Invalid argument",
    related: [],
  },
  {
    id: "gvt-vbt-v2",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: VBT lays outside OpRegion. That's not yet supported for a version 2.0 OpRegion",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning:
      "the firmware's version 2.0 OpRegion points to a Video BIOS Table outside it, which bhyve cannot move",
    causes: [
      {
        check: "manual",
        text: "an OpRegion 2.0 with an external VBT",
        fix: "no workaround in bhyve: report it",
      },
    ],
    fix: "not supported by this bhyve",
    sample:
      "bhyve: gvt_d_setup_opregion: VBT lays outside OpRegion. That's not yet supported for a version 2.0 OpRegion",
    related: [],
  },
  {
    id: "gvt-vbt-overflow",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: overflow when calculating VBT address (OpRegion @ 0x%lx, RVDA = 0x%lx)",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning: "the firmware's VBT offset (RVDA) is bogus",
    causes: [
      { check: "manual", text: "a firmware bug", fix: "update the firmware" },
    ],
    fix: "update the firmware",
    sample:
      "bhyve: gvt_d_setup_opregion: overflow when calculating VBT address (OpRegion @ 0x7a0c6018, RVDA = 0xffffffffffff0000)",
    related: [],
  },
  {
    id: "gvt-opregion-e820",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to add OpRegion to E820 table (hpa 0x%lx len 0x%lx)",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning: "no room in the guest's memory map for the OpRegion",
    causes: [
      {
        check: "guest-memory",
        text: "low guest memory covers that range",
        fix: "give the VM less memory (-m)",
      },
    ],
    fix: "give the guest less low memory",
    sample:
      "bhyve: gvt_d_setup_opregion: Unable to add OpRegion to E820 table (hpa 0x7a0c6018 len 0x2000)",
    related: [],
  },
  {
    id: "gvt-opregion-guest-map",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to map guest OpRegion",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: the guest address for the OpRegion has no guest memory",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample: "bhyve: gvt_d_setup_opregion: Unable to map guest OpRegion",
    related: [],
  },
  {
    id: "gvt-opregion-reuse",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "warning",
    formats: [
      {
        text:
          "Warning: Unable to reuse host address of OpRegion. GPU passthrough might not work properly.",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning: "the OpRegion sits at another guest address than on the host",
    causes: [
      {
        check: "guest-memory",
        text: "guest memory covers the host address",
        fix: "give the VM less memory if the guest's GPU driver fails",
      },
    ],
    fix: "give the VM less memory if the guest's GPU driver fails",
    sample:
      "bhyve: Warning: Unable to reuse host address of OpRegion. GPU passthrough might not work properly.",
    related: [],
  },
  {
    id: "gvt-vbt-guest-addr",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_setup_opregion",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: invalid guest VBT address 0x%16lx (OpRegion @ 0x%16lx)",
        first: "15.0",
        last: null,
        verified: false,
        note:
          "only in amd64/pci_gvt-d.c (VBT and Gen11 support); first release UNVERIFIED (15.0 or a late 14.x)",
      },
    ],
    meaning:
      "an internal error of GVT-d, bhyve's pass-through of the Intel integrated GPU: the guest's VBT landed below its OpRegion",
    causes: [
      { check: "manual", text: "a bhyve bug", fix: "report it" },
    ],
    fix: "report a bhyve bug",
    sample:
      "bhyve: gvt_d_setup_opregion: invalid guest VBT address 0x        7a0c5000 (OpRegion @ 0x        7a0c6000)",
    related: [],
  },
  {
    id: "gvt-gsm-setup",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_init",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to setup Graphics Stolen Memory",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning:
      "GVT-d could not set up the iGPU's stolen memory (the line before says why), so the device fails to start",
    causes: [
      {
        check: "earlier-line",
        text: "a gvt_d_setup_gsm line comes before this one",
        fix: "explain that line",
      },
    ],
    fix: "explain the gvt_d_setup_gsm line before this one",
    sample: "bhyve: gvt_d_init: Unable to setup Graphics Stolen Memory",
    related: ["gvt-gsm-base", "gvt-gsm-e820", "gvt-unknown-igd", "device-emulation-init"],
  },
  {
    id: "gvt-opregion-setup",
    origin: "bhyve",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/bhyve/amd64/pci_gvt-d.c",
      function: "gvt_d_init",
      commit: "bc0f7b939c59d0ee918d795040aa4f27713eae63",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: Unable to setup OpRegion",
        first: "14.0",
        last: null,
        verified: false,
        note:
          "also in the first usr.sbin/bhyve/pci_gvt-d.c (04e774846c9d, 14.0 era); moved to usr.sbin/bhyve/amd64/ later (release of the move UNVERIFIED)",
      },
    ],
    meaning: "GVT-d could not set up the iGPU's OpRegion (the line before says why)",
    causes: [
      {
        check: "earlier-line",
        text: "a gvt_d_setup_opregion line comes before this one",
        fix: "explain that line",
      },
    ],
    fix: "explain the gvt_d_setup_opregion line before this one",
    sample: "bhyve: gvt_d_init: Unable to setup OpRegion",
    related: ["gvt-opregion-signature", "gvt-mem-open", "device-emulation-init"],
  },
];
