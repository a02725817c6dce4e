/**
 * The catalogue: devctl(8) and kldload(8).
 *
 * Data only, read from the sources named in each entry (core/explain/catalogue/schema.ts);
 * the ranges marked `verified: false` are inferred, not read in a dated source (UNVERIFIED).
 *
 * @module
 */

import type { Entry } from "./schema.ts";

export const TOOLS: readonly Entry[] = [
  {
    id: "devctl-set-driver",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "set_driver",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to set %s driver to %s",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "present in both devctl.c versions read; err(1) appends ': <strerror>'. The 'set driver' command is older than 12.0 (exact first release UNVERIFIED)",
        fields: ["selector", null],
      },
    ],
    meaning:
      "devctl could not bind the device to the named driver; the errno after the colon says why",
    causes: [
      {
        check: "device-present",
        errno: ["ENOENT"],
        text:
          "no device has that name: devctl wants pciD:B:S:F (pci0:3:0:0) or a device name (igb0)",
        fix: "take the selector from pciconf -l, e.g. pci0:3:0:0",
      },
      {
        check: "vmm-loaded",
        errno: ["ENOENT"],
        text:
          "the name is right but the driver does not exist: ppt(4) is part of vmm.ko, which is not loaded",
        fix: 'load vmm (vmm_load="YES" in /boot/loader.conf, or kldload vmm), then try again',
      },
      {
        check: "manual",
        errno: ["EBUSY"],
        text: "the device has a driver and -f was not given",
        fix: "add -f: devctl set driver -f pciD:B:S:F ppt",
      },
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text:
          "with -f the current driver refused to detach: ppt(4) while a VM owns the device, other drivers while in use (a mounted disk, a configured interface)",
        fix: "stop the VM or release the device, then try again",
      },
      {
        check: "device-endpoint",
        errno: ["ENXIO"],
        text:
          "the driver's probe refused the device: ppt(4) takes only endpoints (header type 0), not bridges",
        fix: "pass the endpoint functions behind the bridge",
      },
      {
        check: "running-as-root",
        errno: ["EPERM"],
        text: "devctl does not run as root",
        fix: "run it as root",
      },
      {
        check: "command-line",
        errno: ["EINVAL"],
        text: "the driver name is empty",
        fix: "give a driver name",
      },
    ],
    fix:
      "read the errno: ENOENT a wrong name or no vmm.ko; EBUSY add -f or stop the VM that owns it; ENXIO a bridge",
    sample: "devctl: Failed to set pci0:3:0:0 driver to ppt: Device busy",
    related: ["devctl-clear-driver", "kldload-failed"],
  },
  {
    id: "devctl-clear-driver",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "clear_driver",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to clear %s driver",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "in the newer devctl.c read; absent from the older one read (commit 0459332a). First release UNVERIFIED; on releases without it 'devctl clear driver' prints 'clear is not a valid sub-command of ...' or 'Unknown command clear.'",
        fields: ["selector"],
      },
    ],
    meaning:
      "devctl could not drop the fixed driver binding (so that the host driver can attach again)",
    causes: [
      {
        check: "manual",
        errno: ["EBUSY"],
        text: "a driver (ppt, say) is attached and -f was not given",
        fix: "devctl clear driver -f pciD:B:S:F",
      },
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text: "ppt(4) refuses to detach while a VM owns the device",
        fix: "stop the VM first",
      },
      {
        check: "device-present",
        errno: ["ENOENT"],
        text: "no device has that name",
        fix: "check the name with pciconf -l",
      },
      {
        check: "running-as-root",
        errno: ["EPERM"],
        text: "devctl does not run as root",
        fix: "run it as root",
      },
    ],
    fix: "add -f, or stop the VM that owns the device",
    sample: "devctl: Failed to clear pci0:3:0:0 driver: Device busy",
    related: ["devctl-set-driver"],
  },
  {
    id: "devctl-detach",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "detach",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to detach %s",
        first: "12.0",
        last: null,
        verified: true,
        note: "err(1)",
        fields: ["selector"],
      },
    ],
    meaning: "devctl detach failed",
    causes: [
      {
        check: "device-held-by-other-vm",
        errno: ["EBUSY"],
        text: "ppt(4) (or another driver) refused to detach",
        fix: "stop the VM, or release the device",
      },
      {
        check: "device-present",
        errno: ["ENOENT", "ENXIO"],
        text: "no such device, or nothing is attached to it",
        fix: "check pciconf -l",
      },
    ],
    fix: "stop whatever uses the device",
    sample: "devctl: Failed to detach ppt0: Device busy",
    related: ["devctl-set-driver"],
  },
  {
    id: "devctl-attach",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "attach",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to attach %s",
        first: "12.0",
        last: null,
        verified: true,
        note: "err(1)",
        fields: ["selector"],
      },
    ],
    meaning: "devctl attach found no driver that takes the device",
    causes: [
      {
        check: "device-on-ppt",
        errno: ["ENXIO"],
        text: "no driver matches: ppt(4) attaches only to devices in pptdevs or when asked by name",
        fix: "use devctl set driver -f pciD:B:S:F ppt",
      },
      {
        check: "manual",
        errno: ["EBUSY"],
        text: "a driver is attached already",
        fix: "nothing to do",
      },
    ],
    fix: "use devctl set driver to choose the driver",
    sample: "devctl: Failed to attach pci0:3:0:0: Device not configured",
    related: ["devctl-set-driver"],
  },
  {
    id: "devctl-rescan",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "rescan",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "err",
    errno: true,
    role: "error",
    formats: [
      {
        text: "Failed to rescan %s",
        first: "12.0",
        last: null,
        verified: false,
        note: "err(1); newer devctl.c only (first release UNVERIFIED)",
      },
    ],
    meaning: "devctl could not rescan the bus",
    causes: [
      {
        check: "device-present",
        errno: ["ENOENT"],
        text: "a wrong bus name (devctl wants pciN, e.g. pci0)",
        fix: "check devinfo",
      },
    ],
    fix: "check the bus name",
    sample: "devctl: Failed to rescan pci9: No such file or directory",
    related: [],
  },
  {
    id: "devctl-bad-subcommand",
    origin: "devctl",
    source: {
      repo: "freebsd/freebsd-src",
      file: "usr.sbin/devctl/devctl.c",
      function: "devctl_table_handler / main",
      commit: "3be956406ac54902faa15ec8150a24c1639ae0af",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s is not a valid sub-command of %s.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
      },
      {
        text: "The %s command requires a sub-command.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
        strict: true,
      },
      {
        text: "Unknown command %s.",
        first: "12.0",
        last: null,
        verified: false,
        note: "read in the version cited; range from the file's history, UNVERIFIED",
        strict: true,
      },
    ],
    meaning: "this devctl does not know the command (an older release, or a typo)",
    causes: [
      {
        check: "command-line",
        text: "devctl clear driver on a devctl older than that command, say",
        fix: "use devctl set driver, or upgrade",
      },
    ],
    fix: "check devctl(8) of this release",
    sample: "devctl: Unknown command clear.",
    related: [],
  },
  {
    id: "kldload-exists",
    origin: "kldload",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sbin/kldload/kldload.c",
      function: "main",
      commit: "caa41f641755c935b036e17440a3b49329c904ed",
    },
    printer: "warnx",
    errno: false,
    role: "info",
    formats: [
      {
        text: "can't load %s: module already loaded or in kernel",
        first: "12.0",
        last: null,
        verified: false,
        note:
          "EEXIST; suppressed with -n. Read in the newer kldload.c; the 9.x-era copy read (commit 039ea811636f62633b18bcadb9f5332b215f7900) used warn() only, so the text appeared as 'can't load %s: File exists'. First release of the wording UNVERIFIED (<= 12.0)",
      },
    ],
    meaning: "the module is loaded already, e.g. vmm from the loader",
    causes: [
      {
        check: "vmm-from-loader",
        text: 'vmm_load="YES" loaded it at boot, which is what passthrough needs',
        fix: "nothing to do; scripts can use kldload -n vmm",
      },
    ],
    fix: "nothing to do (kldload -n vmm)",
    sample: "kldload: can't load vmm: module already loaded or in kernel",
    related: ["kldload-failed"],
  },
  {
    id: "kldload-noexec",
    origin: "kldload",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sbin/kldload/kldload.c",
      function: "main",
      commit: "caa41f641755c935b036e17440a3b49329c904ed",
    },
    printer: "warnx",
    errno: false,
    role: "error",
    formats: [
      {
        text: "an error occurred while loading module %s. Please check dmesg(8) for more details.",
        first: "12.0",
        last: null,
        verified: false,
        note: "ENOEXEC. First release UNVERIFIED (<= 12.0)",
      },
    ],
    meaning: "the module file was found but the kernel linker refused it",
    causes: [
      {
        check: "manual",
        text:
          "vmm.ko does not match the running kernel (world and kernel differ, or a module of another release); dmesg says: depends on kernel - not available or version mismatch",
        fix: "install vmm.ko of the same build as the kernel (freebsd-version -ku)",
      },
    ],
    fix: "read dmesg; use a vmm.ko built with the running kernel",
    sample:
      "kldload: an error occurred while loading module vmm. Please check dmesg(8) for more details.",
    related: ["kldload-failed"],
  },
  {
    id: "kldload-failed",
    origin: "kldload",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sbin/kldload/kldload.c",
      function: "main",
      commit: "caa41f641755c935b036e17440a3b49329c904ed",
    },
    printer: "warn",
    errno: true,
    role: "error",
    formats: [
      {
        text: "can't load %s",
        first: "12.0",
        last: null,
        verified: true,
        note: "warn(): ': <strerror>' follows. Present in both kldload.c versions read",
      },
    ],
    meaning: "kldload(2) failed for another reason; the errno says which",
    causes: [
      {
        check: "vmm-loaded",
        errno: ["ENXIO"],
        text:
          "vmm's module handler refused: no usable VT-x / AMD-V (a vmx_modinit or SVM line in dmesg says why)",
        fix: "turn on VT-x / AMD-V (SVM) in the firmware; read the dmesg line",
      },
      {
        check: "manual",
        errno: ["ENOENT"],
        text: "no such module file",
        fix: "install the kernel's modules (vmm.ko in /boot/kernel)",
      },
      {
        check: "running-as-root",
        errno: ["EPERM"],
        text: "not root, or kern.securelevel above 0 forbids loading modules",
        fix: 'load it from /boot/loader.conf (vmm_load="YES"), or lower the securelevel',
      },
    ],
    fix: "read dmesg right after the failure",
    sample: "kldload: can't load vmm: Device not configured",
    related: ["vmx-bios-disabled", "svm-bios-disabled", "kldload-exists", "kldload-noexec"],
  },
  {
    id: "kldload-path",
    origin: "kldload",
    source: {
      repo: "freebsd/freebsd-src",
      file: "sbin/kldload/kldload.c",
      function: "path_check",
      commit: "caa41f641755c935b036e17440a3b49329c904ed",
    },
    printer: "warnx",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "%s is not in the module path",
        first: "12.0",
        last: null,
        verified: true,
        note: "only when the argument ends in .ko and names a file in the current directory",
      },
      {
        text: "%s will be loaded from %s, not the current directory",
        first: "12.0",
        last: null,
        verified: true,
        note: "warning",
      },
    ],
    meaning:
      "kldload was given a .ko file name that the module path does not hold (or holds elsewhere)",
    causes: [
      {
        check: "command-line",
        text: "kldload vmm.ko run in a directory with another vmm.ko",
        fix: "use kldload vmm (no .ko), or a full path",
      },
    ],
    fix: "use the module name or a full path",
    sample: "kldload: vmm.ko is not in the module path",
    related: [],
  },
];
