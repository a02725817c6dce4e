/**
 * The catalogue: the wrappers' own messages: vm-bhyve, CBSD, wifibox, iohyve and Hoster.
 *
 * Data only, read from the sources named in each entry (core/explain/catalogue/schema.ts);
 * the ranges marked `verified: false` are inferred, not read in a dated source (UNVERIFIED).
 *
 * @module
 */

import type { Entry } from "./schema.ts";

export const WRAPPERS: readonly Entry[] = [
  {
    id: "vm-bhyve-no-iommu",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run (test in util::check_bhyve_iommu, lib/vm-util)",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "fatal; pci passthrough not supported on this system (no VT-d or amdvi)",
        first: "1.2",
        last: null,
        verified: true,
        note:
          "a36728f4fedf (2018-03-20); churchers 1.2 to 1.6.2 and master, freebsd/vm-bhyve 1.7.x; written only to the VM's vm-bhyve.log, the terminal shows   * booting... and nothing more",
      },
      {
        text: "fatal; pci passthrough not supported on this system (no VT-d)",
        first: "1.1",
        last: "1.1.8",
        verified: true,
        note: "8d1aa66731cd (2016-05-11); looked for the DMAR table only, so every AMD host got it",
      },
    ],
    meaning:
      "vm-bhyve's own check before a VM with passthru0 starts: acpidump -t has no DMAR table and sysctl hw has no vmm.amdvi.enable: 1, so bhyve never ran. The check is coarse: on AMD it looks only at hw.vmm.amdvi.enable, on Intel only at the DMAR table",
    causes: [
      {
        check: "iommu-present",
        text:
          "the firmware publishes no DMAR (VT-d) or IVRS (AMD-Vi) table: the IOMMU is off or missing",
        fix:
          "turn on VT-d / AMD-Vi in the firmware setup and reboot; acpidump -t | grep -E 'DMAR|IVRS' must show it",
      },
      {
        check: "amdvi-enabled",
        text:
          "an AMD host whose hw.vmm.amdvi.enable is not 1 (vmm's default), which fails vm-bhyve's check even with an IVRS table",
        fix: "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot",
      },
      {
        check: "manual",
        text: "the IOMMU works but the check still fails (unusual firmware)",
        fix:
          'set vm_disable_host_checks="yes" in /etc/rc.conf (bhyve itself still refuses without an IOMMU)',
      },
    ],
    fix:
      "turn the IOMMU on (firmware VT-d / AMD-Vi; on AMD also hw.vmm.amdvi.enable=1), reboot, vm start again",
    sample:
      "Apr 08 14:41:07: fatal; pci passthrough not supported on this system (no VT-d or amdvi)",
    related: ["amdvi-disabled", "iommu-host-domain", "not-ppt"],
    exitCode: 15,
  },
  {
    id: "vm-bhyve-bhyve-exited",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "exit",
    formats: [
      {
        text: "bhyve exited with status %d",
        first: "0.6.1",
        last: null,
        verified: true,
        note:
          "1fc0043668d4; vm-bhyve.log; 0 restarts the VM (on_restart), 1 and 2 stop it, anything else is on_fault (since 1.3.0)",
        fields: ["status"],
      },
    ],
    meaning:
      "bhyve has returned. bhyve's exit status (bhyve(8)): 0 rebooted, 1 powered off, 2 halted, 3 triple fault, 4 exited on an error; 4 within a second or two of the start means a device failed to start, with passthrough nearly always one of bhyve's passthru messages. vm-bhyve throws bhyve's own messages away unless the VM has debug=\"yes\"",
    causes: [
      {
        check: "command-line",
        text:
          "status 4 with passthru devices on the devices line: a passthru device failed to start",
        fix: "check each passthru device of the devices line on the host (pptkit check)",
      },
      {
        check: "wrapper-stderr",
        text: "bhyve's message is not in vm-bhyve.log",
        fix:
          "set debug=\"yes\" in the VM's config, start it again and run pptkit explain on the VM's bhyve.log",
      },
    ],
    fix:
      'for status 4: debug="yes", start again, pptkit explain on the VM\'s bhyve.log; 0, 1 and 2 are normal',
    sample: "Apr 08 14:41:08: bhyve exited with status 4",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "vm-bhyve-bhyve-options",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "command-line",
    formats: [
      {
        text: " [bhyve options: %s]",
        first: "0.8.7",
        last: null,
        verified: true,
        note:
          "9070fe6d4758; the leading space is part of the message (two spaces after the timestamp); freebsd/vm-bhyve 1.7.0 may add -r PATH.save",
        fields: ["command"],
      },
    ],
    meaning:
      "the global bhyve options of this start (-c, -m, -A -H -P -w, -l bootrom, -U, -u, -S, -Y); vm-bhyve adds -S itself when the VM has passthru devices",
    causes: [
      {
        check: "wired-memory",
        text:
          "-S is missing although the devices line has passthru (a custom bhyve_options, or FreeBSD before 10.3)",
        fix: 'remove the conflicting bhyve_options, or set wired_memory="yes" in the VM\'s config',
      },
    ],
    fix: "nothing; pptkit lints it with the devices line",
    sample:
      "Apr 08 14:41:07:  [bhyve options: -c 4 -m 8G -AHPw -l bootrom,/usr/local/share/uefi-firmware/BHYVE_UEFI.fd -U 6f1f0c1e-3b7a-11ef-9a2d-a0369f1c22e4 -u -S]",
    related: ["memory-not-wired", "memory-setup"],
  },
  {
    id: "vm-bhyve-bhyve-devices",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function:
        "vm::run (string built by vm::bhyve_device_* , passthru in vm::bhyve_device_passthru)",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "command-line",
    formats: [
      {
        text: " [bhyve devices: %s]",
        first: "0.6.1",
        last: null,
        verified: true,
        note:
          '1fc0043668d4; passthru is -s SLOT:FUNC,passthru,B/S/F up to 1.6.2 and -s BUS:SLOT:FUNC,passthru,B/S/F from churchers master 0ca0b56c79b6 and freebsd/vm-bhyve 1.7.0; 1.7.1 may append ,OPTIONS (e61c1d7f9306); passthruN="A/B/C=D:E" (1.3.0) gives -s [BUS:]D:E,passthru,A/B/C',
        fields: ["command"],
      },
      {
        text: " [bhyve console: %s]",
        first: "0.6.1",
        last: null,
        verified: true,
        note: "the line after the devices line",
        fields: ["command"],
      },
      {
        text: " [bhyve iso device: %s]",
        first: "0.6.1",
        last: null,
        verified: true,
        note: "only for vm install",
        fields: ["command"],
      },
    ],
    meaning:
      "the -s devices of this start; every ,passthru,B/S/F names a host device that must be on ppt(4), free of other running VMs, and behind an IOMMU",
    causes: [
      {
        check: "device-present",
        text: "a passthru address the host does not have (the card moved, a typo)",
        fix: "fix passthruN in the VM's config to the address pciconf -l shows",
      },
      {
        check: "device-on-ppt",
        text: "a passthru device not on ppt(4) (not in pptdevs, or only function 0 is)",
        fix: "add it to pptdevs and reboot (pptkit reserve B/S/F)",
      },
      {
        check: "device-held-by-other-vm",
        text: "another running VM uses the same device",
        fix: "stop that VM, or take the device out of one of the configs",
      },
    ],
    fix: "nothing; pptkit lints it",
    sample:
      "Apr 08 14:41:07:  [bhyve devices: -s 0,hostbridge -s 31,lpc -s 4:0,nvme,/zroot/vm/win10/disk0.img -s 5:0,virtio-net,tap0,mac=58:9c:fc:05:2e:81 -s 6:0,passthru,2/0/0 -s 6:1,passthru,2/0/1 -s 7:0,fbuf,tcp=0.0.0.0:5900,w=1920,h=1080 -s 8:0,xhci,tablet]",
    related: ["not-ppt", "slot-occupied"],
  },
  {
    id: "vm-bhyve-starting-bhyve",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "info",
    formats: [
      {
        text: "starting bhyve (run %d)",
        first: "1.1",
        last: null,
        verified: true,
        note: "baa2b7b4ad73; the run number counts restarts within one vm start",
      },
    ],
    meaning:
      "written just before bhyve runs; the time from it to bhyve exited with status N tells a start-up failure (the same second) from a guest that ran",
    causes: [],
    fix: "nothing to do",
    sample: "Apr 08 14:41:07: starting bhyve (run 1)",
    related: [],
  },
  {
    id: "vm-bhyve-booting",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-core",
      function: "core::__start",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "terminal",
    errno: false,
    role: "info",
    formats: [
      {
        text: "  * booting...",
        first: "0.3",
        last: null,
        verified: false,
        note:
          "terminal of vm start, after Starting NAME and   * found guest in PATH; present in every version read",
        strict: true,
      },
    ],
    meaning:
      "vm start handed the VM to a background vm _run whose output goes to /dev/null: nothing after this line reaches the terminal, and vm start returns 0 even when bhyve fails a second later",
    causes: [
      {
        check: "wrapper-stderr",
        text: "the VM did not come up after this line",
        fix: 'read the VM\'s vm-bhyve.log, and with debug="yes" its bhyve.log',
      },
    ],
    fix: "read the VM's vm-bhyve.log; set debug=\"yes\" to get bhyve's messages in its bhyve.log",
    sample: "  * booting...",
    related: [],
  },
  {
    id: "vm-bhyve-debug-mode",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "info",
    formats: [
      {
        text: " [debug mode: %s]",
        first: "0.12.3",
        last: null,
        verified: true,
        note:
          '944f645a75c3 (2015-10-22), the same commit that sends bhyve\'s stderr to bhyve.log with debug="yes"',
        fields: ["option"],
      },
    ],
    meaning:
      "whether vm-bhyve keeps bhyve's own messages for this start: with debug=\"yes\" they go to the VM's bhyve.log, otherwise to /dev/null",
    causes: [],
    fix: "set debug=\"yes\" in the VM's config to keep bhyve's messages",
    sample: "Apr 08 14:41:07:  [debug mode: no]",
    related: ["vm-bhyve-bhyve-exited"],
  },
  {
    id: "vm-bhyve-already-running",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::confirm_stopped (terminal text from core::__start, lib/vm-core)",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "  ! guest appears to be running already",
        first: "0.3",
        last: null,
        verified: false,
        note: "what vm start prints (it hides the warnings below); present in every version read",
        strict: true,
      },
      {
        text: "%s: WARNING: %s appears to be running locally (vmm exists)",
        first: "0.12.3",
        last: null,
        verified: true,
        note: "bc78126ccf9e; util::warn on stderr, the first %s is $0 (/usr/local/sbin/vm)",
        fields: [null, "vm"],
      },
      {
        text: "%s: WARNING: %s appears to be running on %s (locked)",
        first: "0.12.3",
        last: null,
        verified: true,
        note: "944f645a75c3; run.lock names another host, or this one while /dev/vmm/NAME is gone",
        fields: [null, "vm", null],
      },
    ],
    meaning:
      "vm-bhyve will not start the VM: /dev/vmm/NAME exists or run.lock is there. A VM left in /dev/vmm by a crash still owns its passthru devices, so other VMs that want them fail",
    causes: [
      {
        check: "device-held-by-other-vm",
        text: "a stale VM (/dev/vmm/NAME) keeps its ppt devices",
        fix:
          "bhyvectl --destroy --vm=NAME when no bhyve of it is left (ps -ax | grep 'bhyve: NAME')",
      },
      {
        check: "manual",
        text: "a stale run.lock from an unclean shutdown",
        fix: "check the host the lock names; remove the VM's run.lock if it runs nowhere",
      },
    ],
    fix: "if the VM is really down: bhyvectl --destroy --vm=NAME, remove run.lock, vm start",
    sample: "/usr/local/sbin/vm: WARNING: win10 appears to be running locally (vmm exists)",
    related: ["not-ppt"],
  },
  {
    id: "vm-bhyve-destroy-vmm-failed",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "fatal; failed to destroy existing vmm device",
        first: "0.6.1",
        last: null,
        verified: true,
        note: "16f281a47d88; only for loaders other than UEFI",
      },
    ],
    meaning:
      "before a start vm-bhyve found /dev/vmm/NAME and bhyvectl --destroy failed: the old VM, with any passthru devices it holds, is still there",
    causes: [
      {
        check: "device-held-by-other-vm",
        text: "the old VM still exists and may own the ppt devices",
        fix: "stop the bhyve of that VM, then bhyvectl --destroy --vm=NAME",
      },
      { check: "running-as-root", text: "vm _run does not run as root", fix: "run vm as root" },
    ],
    fix: "stop whatever still uses the VM, bhyvectl --destroy --vm=NAME, start again",
    sample: "Apr 08 14:41:07: fatal; failed to destroy existing vmm device",
    related: ["not-ppt"],
    exitCode: 15,
  },
  {
    id: "vm-bhyve-loader-error",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-run",
      function: "vm::run (loader run by guest::load, lib/vm-guest)",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "fatal; loader returned error %d",
        first: "1.1",
        last: null,
        verified: true,
        note:
          "8d1aa66731cd; the loader's command line is logged just before it; 15 means vm-bhyve itself refused",
      },
    ],
    meaning:
      "bhyveload or grub-bhyve failed before bhyve ran; with passthru the loader gets -S too, so all guest memory is wired when it loads",
    causes: [
      {
        check: "wired-memory",
        text:
          "the loader could not wire the guest's memory (not enough free memory, or vm.max_user_wired too low)",
        fix: "give the VM less memory or free host memory; check sysctl vm.max_user_wired",
      },
      {
        check: "manual",
        text:
          "a loader problem that has nothing to do with passthru (boot disk, grub configuration)",
        fix: "run the logged loader command by hand to see its error",
      },
    ],
    fix:
      "run the logged loader command by hand; if it fails only with -S, lower memory or raise vm.max_user_wired",
    sample: "Apr 08 14:41:07: fatal; loader returned error 1",
    related: ["memory-setup", "memory-not-wired"],
  },
  {
    id: "vm-bhyve-vmm-not-initialised",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-util",
      function: "util::check_bhyve_support",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: ERROR: kernel vmm not initialised (no VT-x / AMD SVM cpu support?)",
        first: "1.3.0",
        last: null,
        verified: true,
        note:
          "3210da78e511; util::err on stderr, Intel hosts only (hw.vmm.vmx.initialized is not 1)",
      },
    ],
    meaning: "vmm.ko is loaded but did not initialise VT-x, so no VM can run",
    causes: [
      {
        check: "vmm-loaded",
        text:
          "vmm is loaded without working VT-x (off in the firmware, or another hypervisor has it)",
        fix: "turn on VT-x in the firmware; read dmesg for vmm's lines",
      },
      {
        check: "manual",
        text: "FreeBSD runs in another hypervisor without nested VT-x",
        fix: "turn on nested virtualisation in the outer hypervisor",
      },
    ],
    fix: "turn on VT-x in the firmware and reboot; sysctl hw.vmm.vmx.initialized must be 1",
    sample:
      "/usr/local/sbin/vm: ERROR: kernel vmm not initialised (no VT-x / AMD SVM cpu support?)",
    related: [],
    exitCode: 1,
  },
  {
    id: "vm-bhyve-vmm-load-failed",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-util",
      function:
        "util::load_module (freebsd/vm-bhyve master: util::check_bhyve_support via util::load_vmm)",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: ERROR: unable to load vmm.ko!",
        first: "1.1",
        last: null,
        verified: true,
        note:
          "52b9f2eb8bb9 loads vmm; the generic unable to load %s.ko! is older (0.3, b2a245047e84)",
      },
      {
        text: "%s: ERROR: virtualization is not supported or is disabled",
        first: "unreleased",
        last: null,
        verified: true,
        note:
          "freebsd/vm-bhyve master after 1.7.5 (778b9d59f13a, 2026-04-08): vmm.ko loaded but its module did not initialise",
      },
    ],
    meaning:
      "vm-bhyve could not get a working vmm(4): kldload vmm failed, or (newer vm-bhyve) vmm.ko loaded but did not initialise",
    causes: [
      {
        check: "vmm-loaded",
        text: "vmm.ko is missing or failed to load",
        fix: "kldload vmm by hand and read its error and dmesg",
      },
      {
        check: "vmm-from-loader",
        text:
          "vmm should come from the loader so that pptdevs and the hw.vmm tunables apply at boot",
        fix: 'add vmm_load="YES" to /boot/loader.conf and reboot',
      },
    ],
    fix: 'kldload vmm and read dmesg; better vmm_load="YES" in /boot/loader.conf',
    sample: "/usr/local/sbin/vm: ERROR: unable to load vmm.ko!",
    related: [],
    exitCode: 1,
  },
  {
    id: "vm-bhyve-not-root",
    origin: "vm-bhyve",
    source: {
      repo: "churchers/vm-bhyve",
      file: "lib/vm-util",
      function: "util::check_bhyve_support",
      commit: "6e91ff54e7a00f2b57c77c930e7ccc5090f68ba6",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s: ERROR: virtual machines can only be managed by root",
        first: "0.3",
        last: null,
        verified: true,
        note: "3e93f7d1c779",
      },
    ],
    meaning: "vm was run by a user other than root",
    causes: [
      {
        check: "running-as-root",
        text: "vm does not run as root",
        fix: "run vm as root (passthrough needs to write /dev/pci anyway)",
      },
    ],
    fix: "run vm as root",
    sample: "/usr/local/sbin/vm: ERROR: virtual machines can only be managed by root",
    related: ["open-dev"],
    exitCode: 1,
  },
  {
    id: "cbsd-passthru-enabled",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "subr/bhyve.subr",
      function: "compile_pci_passthru_args",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "info",
    formats: [
      {
        text: "Passthru enabled: %s",
        first: "11.0.10",
        last: null,
        verified: true,
        note:
          "d5ea4fd5fe06, with bhyve-ppt; terminal of cbsd bstart, coloured unless NOCOLOR is set",
        fields: ["device"],
        strict: true,
      },
    ],
    meaning:
      "CBSD adds -s SLOT,passthru,B/S/F for this device; printed before bhyve runs, so it says nothing about whether bhyve takes the device",
    causes: [],
    fix: "nothing to do",
    sample: "Passthru enabled: 2/0/0",
    related: [],
  },
  {
    id: "cbsd-wire-memory-warning",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "subr/bhyve.subr",
      function: "compile_pci_passthru_args",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "warning",
    formats: [
      {
        text:
          "Waning!: PCI Passthru required '-S' options for bhyve: 'Wire guest memory'. Please set: cbsd bset bhyve_wire_memory=1 jname=%s",
        first: "13.2.2",
        last: null,
        verified: true,
        note:
          "da5ac8f119b5 (2023-04-24); 'Waning!' is CBSD's spelling; before 13.2.2 the device was passed and bhyverun.sh added -S itself",
        fields: ["vm"],
      },
    ],
    meaning:
      "the VM has ppt devices in CBSD but bhyve_wire_memory is not 1: CBSD then drops every passthru device for this start and boots the VM without them and without -S. The VM runs; the guest just has no device",
    causes: [
      {
        check: "wired-memory",
        text: "bhyve_wire_memory=0 for this VM",
        fix: "cbsd bset bhyve_wire_memory=1 jname=VM, then start the VM again",
      },
      {
        check: "command-line",
        text: "the cmd: line of bstart.log has no ,passthru, and no -S",
        fix: "the same: cbsd bset bhyve_wire_memory=1 jname=VM",
      },
    ],
    fix: "cbsd bset bhyve_wire_memory=1 jname=VM and start the VM again",
    sample:
      "Waning!: PCI Passthru required '-S' options for bhyve: 'Wire guest memory'. Please set: cbsd bset bhyve_wire_memory=1 jname=win10",
    related: ["memory-not-wired"],
  },
  {
    id: "cbsd-no-iommu",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "subr/bhyve.subr",
      function:
        "compile_pci_passthru_args (also tools/bhyve-ppt init_ppt_action; test check_dmar in subr/virtual.subr)",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "I/O MMU / VT-d not enabled. Check you hardware or BIOS setting",
        first: "11.1.0",
        last: "13.1.3",
        verified: true,
        note:
          "8971c2654c67; check_dmar looked for the DMAR table only, so AMD hosts always failed it",
      },
      {
        text:
          "DMAR or IVRS not found via acpidump: IOMMU/VT-d not enabled ? Please Check you hardware and/or BIOS setting",
        first: "13.1.14",
        last: null,
        verified: true,
        note:
          "df7c26f145b8 (2022-09-05); the same commit makes check_dmar always succeed, so 13.1.14 and later never print it",
      },
    ],
    meaning:
      "CBSD's check found no IOMMU table with acpidump and stopped; only CBSD 11.1.0 to 13.1.3 really tests (and then on DMAR only)",
    causes: [
      {
        check: "iommu-present",
        text: "no DMAR / IVRS table: the IOMMU is off in the firmware",
        fix: "turn on VT-d / AMD-Vi in the firmware and reboot",
      },
      {
        check: "manual",
        text: "an AMD host on CBSD 11.1.0-13.1.3, whose test ignores IVRS",
        fix: "upgrade CBSD to 13.1.14 or later",
      },
    ],
    fix: "turn the IOMMU on in the firmware; on AMD with an old CBSD, upgrade CBSD",
    sample: "I/O MMU / VT-d not enabled. Check you hardware or BIOS setting",
    related: ["amdvi-disabled", "iommu-host-domain"],
    exitCode: 1,
  },
  {
    id: "cbsd-ppt-already-used",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "tools/bhyve-ppt",
      function: "main (mode=attach)",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "ppt already used by: %s. Please detach first",
        first: "11.0.10",
        last: null,
        verified: true,
        note: "d5ea4fd5fe06 (2017-01-22); terminal of cbsd bhyve-ppt mode=attach",
        fields: ["vm"],
      },
    ],
    meaning:
      "CBSD's database already gives this B/S/F to another VM: CBSD's bookkeeping, that VM need not run",
    causes: [
      {
        check: "device-held-by-other-vm",
        text: "the device is attached to the named VM in CBSD",
        fix: "cbsd bhyve-ppt mode=detach ppt=B/S/F jname=OTHER, then attach it to this VM",
      },
    ],
    fix: "detach it from the other VM first",
    sample: "ppt already used by: win10. Please detach first",
    related: ["not-ppt"],
    exitCode: 1,
  },
  {
    id: "cbsd-ppt-usage",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "tools/bhyve-ppt",
      function: "init_ppt_action / main",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Please set: ppt=",
        first: "11.0.10",
        last: null,
        verified: true,
        strict: true,
      },
      {
        text: "Please set: jname=",
        first: "11.0.10",
        last: null,
        verified: true,
        strict: true,
      },
      {
        text: "No such jail: %s",
        first: "11.0.10",
        last: null,
        verified: true,
        note: "CBSD says jail for every environment",
        fields: ["vm"],
        strict: true,
      },
      {
        text: "Only for bhyve type VMs",
        first: "11.0.10",
        last: null,
        verified: true,
        strict: true,
      },
      {
        text: "No such ppt: %s",
        first: "11.0.10",
        last: null,
        verified: true,
        note: "hardly ever printed: load_ppt always sets ppt",
        fields: ["device"],
        strict: true,
      },
      {
        text: "ppt is not attached: %s",
        first: "11.0.10",
        last: null,
        verified: true,
        note: "hardly ever printed: its test is always false",
        fields: ["device"],
        strict: true,
      },
      {
        text: "Unknown mode: %s",
        first: "11.0.10",
        last: null,
        verified: true,
        fields: ["option"],
        strict: true,
      },
    ],
    meaning:
      "cbsd bhyve-ppt was called with missing or wrong arguments, or for a VM that does not exist; CBSD does not check that the B/S/F exists or is on ppt(4)",
    causes: [
      {
        check: "manual",
        text: "a wrong or missing ppt=, jname= or mode=",
        fix: "cbsd bhyve-ppt mode=attach ppt=2/0/0 jname=VM",
      },
      {
        check: "device-present",
        text: "attach takes any B/S/F, so a typo shows only when bhyve starts",
        fix: "compare with pciconf -l and cbsd bhyve-ppt mode=list",
      },
    ],
    fix: "give mode=, ppt= (B/S/F) and jname= of an existing bhyve VM",
    sample: "Please set: ppt=",
    related: [],
    exitCode: 1,
  },
  {
    id: "cbsd-no-free-pci-slot",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "subr/bhyve.subr",
      function: "next_pci_id (called from compile_pci_passthru_args)",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "No free available bhyve_pci_index in %d %d range",
        first: "10.1.0",
        last: null,
        verified: true,
        note:
          "9bbe592393dd; for passthru, compile_pci_passthru_args then exits 0: bstart stops with status 0 and the VM is not started",
      },
    ],
    meaning:
      "CBSD found no free guest PCI slot for the next passthru device, and bstart quits without starting the VM and with status 0",
    causes: [
      {
        check: "manual",
        text: "too many devices for the slot range, or stale entries in the VM's pcibus map",
        fix: "cbsd bpcibus jname=VM mode=reset, or remove devices",
      },
    ],
    fix: "cbsd bpcibus jname=VM mode=reset and start again",
    sample: "No free available bhyve_pci_index in 4 31 range",
    related: ["slot-occupied"],
    exitCode: 0,
  },
  {
    id: "cbsd-pci-collision",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "sudoexec/bstart",
      function: "start_bhyve",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Error: PCI collision for bus: %s, count=%s:",
        first: "12.0.8",
        last: null,
        verified: true,
        note: "cf2db4e8c948; the colliding slots follow",
      },
      {
        text:
          "Please use bconfig to re-configure devices or use: cbsd bpcibus jname=%s mode=reset to reset",
        first: "12.0.8",
        last: null,
        verified: true,
        fields: ["vm"],
      },
    ],
    meaning:
      "two devices of the VM got the same guest PCI slot in CBSD's pcibus map; bstart refuses to start (bhyve would say already occupied)",
    causes: [
      {
        check: "manual",
        text: "a stale or hand-edited pcibus map",
        fix: "cbsd bpcibus jname=VM mode=reset",
      },
    ],
    fix: "cbsd bpcibus jname=VM mode=reset",
    sample: "Error: PCI collision for bus: 5, count=2:",
    related: ["slot-occupied"],
    exitCode: 1,
  },
  {
    id: "cbsd-display-bus2-warning",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "subr/bhyve.subr",
      function: "compile_pci_passthru_args",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "warning",
    formats: [
      {
        text:
          "Warning: PPT class 'display' recommended for use on BUS2 (-s 2/0/0), but it already used by: %s",
        first: "13.2.2",
        last: null,
        verified: true,
        note: "a85fe30f6fa7",
      },
      {
        text:
          "Warning: PPT class 'display' recommended for use on BUS2 (-s 2/0/0), but it already set to: %s",
        first: "13.2.2",
        last: null,
        verified: true,
      },
      {
        text:
          "Warning: it is recommended to reset the bus settings via: cbsd bpcibus jname=%s mode=reset",
        first: "13.2.2",
        last: null,
        verified: true,
        fields: ["vm"],
      },
    ],
    meaning:
      "a passthru GPU is not on guest slot 2, which CBSD recommends for GPUs (some guest drivers and GOP ROMs expect it); not fatal",
    causes: [
      {
        check: "manual",
        text: "slot 2 is taken by another device of the VM's pcibus map",
        fix: "cbsd bpcibus jname=VM mode=reset",
      },
    ],
    fix: "cbsd bpcibus jname=VM mode=reset so that the GPU gets slot 2",
    sample:
      "Warning: PPT class 'display' recommended for use on BUS2 (-s 2/0/0), but it already used by: dsk1.vhd",
    related: [],
  },
  {
    id: "cbsd-debug-cmd",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "share/bhyverun.sh",
      function: "main loop",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "log",
    errno: false,
    role: "command-line",
    formats: [
      {
        text: "[debug] %s",
        first: "12.0.4",
        last: null,
        verified: true,
        note:
          "b9b6a27becf1; the tmux pane of bhyverun.sh (lost when it ends) and syslog, tag bhyverun.sh; starts with env LIB9P_LOGGING=... /usr/bin/nice -n N /usr/sbin/bhyve",
        fields: ["command"],
        strict: true,
      },
      {
        text: "cmd: %s",
        first: "12.0.4",
        last: null,
        verified: true,
        note:
          "in the VM's bstart.log since 12.1.3 (40b0c3cc34a9), before in a mktemp file named by vm_logfile in bhyve.conf; always at the start of a line, then a ----- line and bhyve's output",
        fields: ["command"],
        strict: true,
      },
    ],
    meaning:
      "the whole bhyve command line of this start; passthru devices are -s SLOT,passthru,B/S/F (function 0 not written), and -S is there when there are passthru devices or bhyve_wire_memory=1",
    causes: [
      {
        check: "command-line",
        text: "no ,passthru, although devices are attached in CBSD: CBSD dropped them",
        fix: "cbsd bset bhyve_wire_memory=1 jname=VM",
      },
    ],
    fix: "nothing; pptkit lints it",
    sample:
      "Oct 24 23:35:21 node1 bhyverun.sh: [debug] env LIB9P_LOGGING=/usr/jails/jails-system/win10/cbsd_lib9p.log /usr/bin/nice -n 0 /usr/sbin/bhyve  -c 4 -m 8589934592 -H -A -S -u -w -U 4b1e8a52-9213-11ef-8d7e-a0369f1c22e4 -s 0,hostbridge -s 4,virtio-blk,/usr/jails/vm/win10/dsk1.vhd -s 5,virtio-net,tap1,mac=00:a0:98:35:17:6f -s 2,passthru,2/0/0 -s 7,fbuf,tcp=127.0.0.1:5900,w=1024,h=768 -s 30,xhci,tablet -s 31,lpc -l com1,/dev/nmdm0A -l bootrom,/usr/local/cbsd/upgrade/patch/efi.fd win10",
    related: ["not-ppt", "memory-not-wired"],
  },
  {
    id: "cbsd-bhyve-exit-code",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "share/bhyverun.sh",
      function: "main loop (action from exit_action_mode)",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "syslog",
    errno: false,
    role: "exit",
    formats: [
      {
        text:
          "bhyve exit code: %d. exit_action settings: %s, exit_action_mode ret: %d: must stoppped",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "b9b6a27becf1; the tmux pane ('stoppped' is CBSD's spelling)",
        fields: ["status", null, null],
      },
      {
        text:
          "bhyve exit code: %d. exit_action settings: %s, exit_action_mode ret: %d: must stopped",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "syslog copy, tag bhyverun.sh",
        fields: ["status", null, null],
      },
      {
        text:
          "bhyve exit code: %d. exit_action settings: %s, exit_action_mode ret: %d: must continue",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "the VM is started again",
        fields: ["status", null, null],
      },
    ],
    meaning:
      "bhyve has returned inside bhyverun.sh. bhyve's exit status (bhyve(8)): 0 rebooted, 1 powered off, 2 halted, 3 triple fault, 4 exited on an error; 4 within a second or two of the start means a device failed to start, with passthrough nearly always one of bhyve's passthru messages. bstart's defaults stop the VM on status 4",
    causes: [
      {
        check: "command-line",
        text: "status 4 with passthru devices: a passthru device failed to start",
        fix: "check the command line's passthru devices on the host",
      },
      {
        check: "wrapper-stderr",
        text: "bhyve's message is in the VM's bstart.log, after the ----- line",
        fix: "pptkit explain /usr/jails/jails-system/VM/bstart.log",
      },
    ],
    fix:
      "read /usr/jails/jails-system/VM/bstart.log (or run the bhyverun.sh line bstart prints, in the foreground)",
    sample:
      "Oct 24 23:35:22 node1 bhyverun.sh: bhyve exit code: 4. exit_action settings: 1, exit_action_mode ret: 0: must stopped",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "cbsd-exit-action",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "share/bhyverun.sh",
      function: "exit_action_mode",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "syslog",
    errno: false,
    role: "exit",
    formats: [
      {
        text: "bhyve %s was rebooted, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "b9b6a27becf1; syslog, tag bhyverun.sh; status 0",
        fields: ["vm", null],
        status: 0,
      },
      {
        text: "bhyve %s was poweroff, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "status 1",
        fields: ["vm", null],
        status: 1,
      },
      {
        text: "bhyve %s was halted, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "status 2",
        fields: ["vm", null],
        status: 2,
      },
      {
        text: "bhyve %s was tripple fault, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "status 3 ('tripple' is CBSD's spelling)",
        fields: ["vm", null],
        status: 3,
      },
      {
        text: "bhyve %s exited due to an error, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "status 4",
        fields: ["vm", null],
        status: 4,
      },
      {
        text: "bhyve %s exited with unknown error %d, exit_action_mode ret: %d",
        first: "12.0.4",
        last: null,
        verified: true,
        note: "any other status",
        fields: ["vm", "status", null],
      },
    ],
    meaning: "bhyverun.sh's record of how bhyve ended; ret 0 stops the VM, 1 starts it again",
    causes: [
      {
        check: "command-line",
        text: "exited due to an error right after the [debug] line: a device failed to start",
        fix: "check the command line's passthru devices on the host",
      },
      {
        check: "wrapper-stderr",
        text: "bhyve's message is in the VM's bstart.log",
        fix: "pptkit explain /usr/jails/jails-system/VM/bstart.log",
      },
    ],
    fix: "for exited due to an error, read the VM's bstart.log",
    sample:
      "Oct 24 23:35:22 node1 bhyverun.sh: bhyve win10 exited due to an error, exit_action_mode ret: 0",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "cbsd-pid-zero",
    origin: "cbsd",
    source: {
      repo: "cbsd/cbsd",
      file: "sudoexec/bstart",
      function: "start_bhyve",
      commit: "007ddb5313aebd13a64d911def56661f52759185",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "PID: 0",
        first: "11.0.10",
        last: null,
        verified: false,
        note:
          "after Waiting for PID and up to ten dots; 0 means no bhyve: NAME process appeared; present in every version read",
        strict: true,
      },
      {
        text: "Please use for debug: %s -c %s",
        first: "12.0.4",
        last: null,
        verified: true,
        note:
          "b9b6a27becf1; printed after the VM's bstart.log when the PID is 0: bhyverun_wrapper and the VM's bhyve.conf",
        fields: [null, "path"],
        strict: true,
      },
    ],
    meaning:
      "bhyve did not stay up: no bhyve process appeared within about ten seconds. bstart prints the VM's bstart.log just before the Please use for debug line, so bhyve's own message is normally right above",
    causes: [
      {
        check: "wrapper-stderr",
        text: "bhyve failed at start",
        fix: "run pptkit explain on the bstart output, or on /usr/jails/jails-system/VM/bstart.log",
      },
    ],
    fix:
      "explain the bstart.log lines printed above; or run the printed bhyverun.sh command in the foreground",
    sample: "PID: 0",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "wifibox-no-iommu",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "check_iommu (from assert_vm_can_run, wifibox_start)",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "PCI pass-through is not available for bhyve",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "8f85d8256295; /var/log/wifibox.log, ERROR level",
      },
      {
        text: "ERROR: PCI pass-through is not available for bhyve.",
        first: "0.2.0",
        last: null,
        verified: true,
        note: "c3259bad2b5e; terminal copy (errors are echoed with ERROR: and a final period)",
      },
    ],
    meaning:
      "wifibox's check: hw.vmm.iommu.enable and hw.vmm.amdvi.enable are both 0 or missing. The check is weak: hw.vmm.iommu.enable defaults to 1, so most hosts pass it even without an IOMMU, and bhyve fails later",
    causes: [
      {
        check: "iommu-enabled",
        text: "hw.vmm.iommu.enable=0 is set",
        fix: "remove hw.vmm.iommu.enable=0 from /boot/loader.conf and reboot",
      },
      {
        check: "amdvi-enabled",
        text: "an AMD host with hw.vmm.amdvi.enable=0",
        fix: "add hw.vmm.amdvi.enable=1 to /boot/loader.conf and reboot",
      },
      {
        check: "vmm-loaded",
        text: "the sysctls are missing because vmm.ko is not loaded",
        fix: "load vmm (wifibox loads it at start: look for kernel module could not be loaded)",
      },
    ],
    fix:
      "turn the IOMMU on (firmware, and hw.vmm.amdvi.enable=1 on AMD), reboot, service wifibox start",
    sample: "2026-04-05T14:32:03+0200 ERROR PCI pass-through is not available for bhyve",
    related: ["amdvi-disabled", "iommu-host-domain"],
    exitCode: 127,
  },
  {
    id: "wifibox-passthru-malformed",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "assert_value_wellformed (from load_bhyve_conf_values)",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: '%s: malformed %s value: "%s", expected: %s',
        first: "0.13.0",
        last: null,
        verified: true,
        note: "d5b6938e5d01; ERROR level, also on the terminal",
        fields: [null, null, "device", null],
      },
    ],
    meaning:
      "passthru= in /usr/local/etc/wifibox/bhyve.conf is not a list of B/S/F triples (wifibox's text says slot/bus/function, but the value is bhyve's bus/slot/function)",
    causes: [
      {
        check: "manual",
        text: "written as pci0:3:0:0, 3:0:0 or with commas",
        fix: 'write it as pciconf -l shows it without the domain: pci0:3:0:0 -> passthru="3/0/0"',
      },
    ],
    fix: 'passthru="B/S/F" (e.g. "3/0/0") in bhyve.conf, several separated by spaces',
    sample:
      '2026-04-05T14:32:03+0200 ERROR bhyve.conf: malformed passthru value: "pci0:3:0:0", expected: list of slot/bus/function, triples of non-negative integers',
    related: ["invalid-options"],
    exitCode: 3,
  },
  {
    id: "wifibox-no-passthru",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_manager",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "No passthru device is configured",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "8f85d8256295; WARN",
      },
      {
        text: "No PPT driver is attached due to lack of device",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "WARN, after the line above",
      },
    ],
    meaning: "passthru= is empty in bhyve.conf: the guest starts without the wireless card",
    causes: [
      {
        check: "manual",
        text: "passthru was never set after installing",
        fix:
          'set passthru="B/S/F" of the wireless card (pciconf -l) in /usr/local/etc/wifibox/bhyve.conf',
      },
    ],
    fix: "set passthru in bhyve.conf and service wifibox restart",
    sample: "2026-04-05T14:32:03+0200 WARN  No passthru device is configured",
    related: [],
  },
  {
    id: "wifibox-passthru-configured",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_manager",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "info",
    formats: [
      {
        text: "Passthru devices configured: [%s]",
        first: "0.13.0",
        last: null,
        verified: true,
        note: "54e61c2bd430; INFO",
        fields: ["device"],
      },
      {
        text: "PPT driver is configured for %s device",
        first: "0.6.0",
        last: null,
        verified: true,
        note:
          "8f85d8256295; INFO, logged after devctl set driver -f pciB:S:F ppt whatever devctl answered",
        fields: ["selector"],
      },
      {
        text: "passthru=[%s]",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "DEBUG, each time the configuration is read",
        fields: ["device"],
      },
    ],
    meaning:
      "wifibox binds each passthru device to ppt(4) itself with devctl at every guest start (no pptdevs needed) and gives it back with devctl clear driver -f when the guest stops. The INFO line does not say devctl succeeded: its error is logged only at DEBUG, as [devctl] ",
    causes: [
      {
        check: "device-present",
        text: "the address does not exist, so devctl fails",
        fix: "correct passthru= to the card's address in pciconf -l",
      },
    ],
    fix:
      "nothing; if the guest has no card, set loglevel=debug in core.conf and look for [devctl] lines",
    sample: "2026-04-05T14:32:03+0200 INFO  PPT driver is configured for pci3:0:0 device",
    related: ["not-ppt"],
  },
  {
    id: "wifibox-devctl-failed",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function:
        "vm_manager / destroy_vm (capture_output debug devctl); text from devctl(8), freebsd-src usr.sbin/devctl/devctl.c set_driver at 0459332a5acd54c66580af1cf6be7871dad03d9f",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "PPT device %s could not be destroyed",
        first: "0.13.0",
        last: null,
        verified: true,
        note: "221b2c070507; WARN from destroy_vm when devctl clear driver -f fails",
        fields: ["selector"],
      },
      {
        text: "No bhyve PPT device could be found",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "WARN from destroy_vm when passthru is empty",
      },
    ],
    meaning:
      "wifibox could not give the device back to its host driver after the guest stopped (or found none to give back)",
    causes: [
      {
        check: "device-present",
        text: "there is no device at that address (a wrong passthru value, or the card moved)",
        fix: "fix passthru= in bhyve.conf",
      },
      {
        check: "device-on-ppt",
        text: "the device never went to ppt(4), so there was nothing to clear",
        fix: "look for the [devctl] line of the start",
      },
    ],
    fix: "correct passthru=; check pciconf -l for the card",
    sample: "2026-04-05T14:32:04+0200 WARN  PPT device pci3:0:0 could not be destroyed",
    related: ["not-ppt", "device-not-found"],
  },
  {
    id: "wifibox-bhyve-arguments",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_manager",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "command-line",
    formats: [
      {
        text: "Arguments: %s",
        first: "0.6.0",
        last: null,
        verified: true,
        note:
          "8f85d8256295; DEBUG only; the value starts with a space; 0.6.0 to 0.16.0 log grub-bhyve's arguments first, then bhyve's after Launching guest wifibox from ROOT with bhyve; master (6252d543aa7f) logs only bhyve's",
        fields: ["command"],
      },
    ],
    meaning:
      "bhyve's arguments for this guest start (the program, /usr/sbin/bhyve under nice, is not in the line); older wifibox logs grub-bhyve's arguments the same way first",
    causes: [],
    fix: "nothing; pptkit lints the one with -s devices",
    sample:
      "2026-04-05T14:32:04+0200 DEBUG Arguments:  -c 1 -m 128M -AHP -u -S  -s 0,hostbridge -s 31,lpc -s 4:0,virtio-blk,/usr/local/share/wifibox/disk.img -s 4:1,virtio-9p,config=/usr/local/etc/wifibox/appliance,ro -s 4:2,virtio-9p,var=/var/run/wifibox/appliance -s 5:0,e1000,tap0  -s 6:0,passthru,3/0/0 wifibox",
    related: [],
  },
  {
    id: "wifibox-bhyve-output",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_manager (capture_output debug bhyve)",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "carrier",
    formats: [
      {
        text: "[bhyve] %s",
        first: "0.6.0",
        last: null,
        verified: true,
        note:
          "8f85d8256295; DEBUG only; before 0.6.0 bhyve's output went to /var/log/wifibox/bhyve.log; wifibox also logs bhyve -s help this way at every start ([bhyve] passthru ...), which is no error",
      },
    ],
    meaning:
      "a line bhyve printed, as wifibox logs it at debug level: its errors included, explained on their own; at the default loglevel=warn these lines are dropped",
    causes: [],
    fix: "explain the bhyve text inside",
    sample:
      "2026-04-05T14:32:04+0200 DEBUG [bhyve] bhyve: PCI device at 3/0/0 is not using the ppt(4) driver",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "wifibox-tool-output",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "capture_output (from vm_manager, destroy_vm, assert_kmod_loaded)",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "carrier",
    formats: [
      {
        text: "[devctl] %s",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "8f85d8256295; DEBUG only",
      },
      {
        text: "[kldload] %s",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "DEBUG only",
      },
      {
        text: "[bhyvectl] %s",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "INFO, from destroy_vm",
      },
    ],
    meaning:
      "a line a helper program (devctl, kldload, bhyvectl) printed, as wifibox logs it at debug level; explained on its own",
    causes: [],
    fix: "explain the text inside",
    sample:
      "2026-04-05T14:32:02+0200 DEBUG [devctl] devctl: Failed to set pci3:0:0 driver to ppt: No such file or directory",
    related: ["devctl-set-driver", "kldload-failed"],
  },
  {
    id: "wifibox-guest-exit",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_manager",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "exit",
    formats: [
      {
        text: "VM manager: guest crashed, signaling restart after 5 seconds",
        first: "0.9.0",
        last: null,
        verified: true,
        note: "8ad746954a3a; INFO; any status but those below, followed by DEBUG exit_code=N",
      },
      {
        text: "exit_code=%d",
        first: "0.9.0",
        last: null,
        verified: true,
        note: "DEBUG",
        fields: ["status"],
      },
      {
        text: "VM manager: guest was rebooted, signaling restart",
        first: "0.9.0",
        last: null,
        verified: true,
        note: "status 0",
        status: 0,
      },
      {
        text: "VM manager: guest was powered off, signaling exit",
        first: "0.9.0",
        last: null,
        verified: true,
        note: "status 1",
        status: 1,
      },
      {
        text: "VM manager: guest was halted, signaling exit",
        first: "0.9.0",
        last: null,
        verified: true,
        note: "status 2",
        status: 2,
      },
      {
        text: "VM manager: guest was terminated but did not power off, signaling exit",
        first: "unreleased",
        last: null,
        verified: true,
        note: "master after 0.16.0 (36809a10129b); status 143",
        status: 143,
      },
      {
        text: "grub-bhyve failed to start, signaling restart after 5 seconds",
        first: "0.9.0",
        last: "0.16.0",
        verified: true,
        note: "the grub-bhyve loader failed (with -S: memory could not be wired)",
      },
    ],
    meaning:
      "how bhyve ended. crashed with exit_code=4 right after the Arguments line is a start-up failure; wifibox then starts it again every few seconds until service wifibox stop",
    causes: [
      {
        check: "command-line",
        text: "exit_code=4: a device (usually the passthru card) failed to start",
        fix: "check the passthru device on the host",
      },
      {
        check: "wrapper-stderr",
        text: "bhyve's message is dropped below loglevel=debug",
        fix:
          "set loglevel=debug in /usr/local/etc/wifibox/core.conf, service wifibox restart, pptkit explain /var/log/wifibox.log",
      },
    ],
    fix: "loglevel=debug, service wifibox restart, then pptkit explain /var/log/wifibox.log",
    sample:
      "2026-04-05T14:32:04+0200 INFO  VM manager: guest crashed, signaling restart after 5 seconds",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "wifibox-guest-not-up",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_start",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Guest is not up after %d seconds",
        first: "0.14.0",
        last: null,
        verified: true,
        note: "df4921e18117; WARN, and WARNING: Guest is not up after 5 seconds. on the terminal",
      },
    ],
    meaning:
      "no bhyve: wifibox process appeared within a few seconds of starting the manager; at the default log level this is the only trace of a failed start",
    causes: [
      {
        check: "wrapper-stderr",
        text: "bhyve fails at start (passthru, IOMMU, memory) and its message is not logged",
        fix:
          "set loglevel=debug in core.conf, restart, read the [bhyve] lines of /var/log/wifibox.log",
      },
      {
        check: "iommu-present",
        text:
          "no usable IOMMU: wifibox's own check passes without VT-d when hw.vmm.iommu.enable is 1",
        fix: "check acpidump -t for DMAR or IVRS",
      },
    ],
    fix: "loglevel=debug and read /var/log/wifibox.log",
    sample: "2026-04-05T14:32:09+0200 WARN  Guest is not up after 5 seconds",
    related: ["not-ppt"],
  },
  {
    id: "wifibox-kmod-failed",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "assert_kmod_loaded (vmm via assert_vmm_loaded)",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "log",
    errno: false,
    role: "error",
    formats: [
      {
        text: "%s kernel module could not be loaded",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "1b28ed41b1cb; ERROR; %s is the module's path",
        fields: ["path"],
      },
      {
        text: "%s.ko is loaded from a different location, but cannot be replaced",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "ERROR",
      },
    ],
    meaning:
      "wifibox could not load vmm.ko (or nmdm, if_bridge) from the path it expects, or could not replace a copy loaded from elsewhere (usually because other bhyve VMs run)",
    causes: [
      {
        check: "vmm-loaded",
        text: "vmm.ko failed to load",
        fix: "kldload /boot/kernel/vmm.ko by hand and read the error",
      },
      {
        check: "vmm-from-loader",
        text: "vmm was loaded from another path and is in use",
        fix: "set VMM_KO, or stop the other VMs",
      },
    ],
    fix: 'load vmm.ko by hand to see why; vmm_load="YES" in loader.conf suits wifibox',
    sample: "2026-04-05T14:32:03+0200 ERROR /boot/kernel/vmm.ko kernel module could not be loaded",
    related: [],
    exitCode: 127,
  },
  {
    id: "wifibox-log-not-writable",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "log",
      commit: "36809a10129b840cb20e49b91f53754d6cd514eb",
    },
    printer: "terminal",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "WARNING: /var/log/wifibox.log is not writeable, messages could not be logged.",
        first: "0.6.0",
        last: null,
        verified: true,
        note: "29fe184de222; terminal only",
      },
    ],
    meaning:
      "wifibox could not write its log, so nothing, not even errors, is in /var/log/wifibox.log",
    causes: [
      {
        check: "running-as-root",
        text: "wifibox runs as another user, or the log is missing or read-only",
        fix: "run it as root (service wifibox ...); touch /var/log/wifibox.log",
      },
    ],
    fix: "run wifibox as root; make /var/log/wifibox.log writable",
    sample: "WARNING: /var/log/wifibox.log is not writeable, messages could not be logged.",
    related: [],
  },
  {
    id: "wifibox-guest-not-started-old",
    origin: "wifibox",
    source: {
      repo: "pgj/freebsd-wifibox",
      file: "sbin/wifibox",
      function: "vm_start (0.5.0)",
      commit: "8f85d8256295d3a8213c7487196cc36450f19011",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "ERROR: Guest could not be started, check the contents of %s.",
        first: "0.1.0",
        last: "0.5.0",
        verified: true,
        note: "1e0f31f580be; removed in 0.6.0 (8f85d8256295); %s is /var/log/wifibox/bhyve.log",
        fields: ["path"],
      },
    ],
    meaning: "old wifibox: bhyve did not start, and its messages are in /var/log/wifibox/bhyve.log",
    causes: [
      {
        check: "wrapper-stderr",
        text: "bhyve failed",
        fix: "pptkit explain /var/log/wifibox/bhyve.log",
      },
    ],
    fix: "explain /var/log/wifibox/bhyve.log; upgrade wifibox",
    sample: "ERROR: Guest could not be started, check the contents of /var/log/wifibox/bhyve.log.",
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
    exitCode: 4,
  },
  {
    id: "iohyve-vmm-not-loaded",
    origin: "iohyve",
    source: {
      repo: "pr1ntf/iohyve",
      file: "lib/ioh-guest",
      function: "__guest_start / __guest_install",
      commit: "29504048aa623186e9a0703604f666df44cfacb8",
    },
    printer: "terminal",
    errno: false,
    role: "warning",
    formats: [
      {
        text: "Kernel module vmmm not loaded, use iohyve setup kmod=1 to load it.",
        first: "0.7.9",
        last: null,
        verified: true,
        note: "b069b960af9a (2017-05-04); 'vmmm' is iohyve's spelling; terminal",
        strict: true,
      },
      {
        text: "Guest will likely not boot until it's loaded.",
        first: "0.7.9",
        last: null,
        verified: true,
        note: "the second line",
        strict: true,
      },
    ],
    meaning: "vmm.ko is not loaded; iohyve only warns and goes on, and bhyve then fails",
    causes: [
      {
        check: "vmm-loaded",
        text: "vmm is not loaded",
        fix: "iohyve setup kmod=1, or kldload vmm",
      },
      {
        check: "vmm-from-loader",
        text: "for passthrough vmm must come from the loader together with pptdevs",
        fix: 'vmm_load="YES" and pptdevs="..." in /boot/loader.conf, then reboot',
      },
    ],
    fix: 'vmm_load="YES" in /boot/loader.conf (or iohyve setup kmod=1)',
    sample: "Kernel module vmmm not loaded, use iohyve setup kmod=1 to load it.",
    related: [],
  },
  {
    id: "iohyve-starting",
    origin: "iohyve",
    source: {
      repo: "pr1ntf/iohyve",
      file: "lib/ioh-guest",
      function: "__guest_start (bhyve run by __guest_boot)",
      commit: "29504048aa623186e9a0703604f666df44cfacb8",
    },
    printer: "terminal",
    errno: false,
    role: "info",
    formats: [
      {
        text: "Starting %s... (Takes 15 seconds for FreeBSD guests)",
        first: "0.7.0",
        last: null,
        verified: false,
        note:
          "terminal; bhyve runs in a background subshell that keeps the terminal, so its messages follow here",
        fields: ["vm"],
      },
    ],
    meaning:
      "iohyve starts the guest in the background as ioh-NAME, with no log and no printed command line, so bhyve's messages land on this terminal. iohyve does not add -S: it must be in the guest's bargs. In persist mode a failed start repeats every few seconds",
    causes: [
      {
        check: "wired-memory",
        text: "passthru without -S in bargs",
        fix: "iohyve set NAME bargs=-A_-H_-P_-S (bhyveload and grub-bhyve then wire memory too)",
      },
    ],
    fix: "nothing; bhyve's messages follow on the terminal",
    sample: "Starting win10... (Takes 15 seconds for FreeBSD guests)",
    related: ["memory-not-wired", "not-ppt"],
  },
  {
    id: "iohyve-already-running",
    origin: "iohyve",
    source: {
      repo: "pr1ntf/iohyve",
      file: "lib/ioh-guest",
      function: "__guest_start",
      commit: "29504048aa623186e9a0703604f666df44cfacb8",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "Guest is already running.",
        first: "0.7.0",
        last: null,
        verified: false,
        note: "pgrep -fx 'bhyve: ioh-NAME' found a process",
        strict: true,
      },
    ],
    meaning: "a bhyve of ioh-NAME runs already; iohyve does not start a second one",
    causes: [
      {
        check: "device-held-by-other-vm",
        text: "the running guest owns its ppt devices",
        fix: "iohyve stop NAME first",
      },
    ],
    fix: "iohyve stop NAME",
    sample: "Guest is already running.",
    related: ["not-ppt"],
  },
  {
    id: "hoster-bhyve-start-cmd",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "internal/app/vm_supervisor/vm_supervisor.go",
      function: "main",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "log",
    errno: false,
    role: "command-line",
    formats: [
      {
        text: "BHYVE START CMD: %s",
        first: "post-v0.3",
        last: null,
        verified: true,
        note:
          "098975dbb0ea (2024-09-19, untagged after v0.3); logrus line of the VM's vm_supervisor.log, level=info type=supervisor",
        fields: ["command"],
      },
      {
        text: "bhyve cmd: %s",
        first: "post-v0.3",
        last: null,
        verified: true,
        note:
          "8216d7d5481f (2024-02-20); level=debug in /var/log/hoster_audit_vm.log, and on an xterm-like terminal",
        fields: ["command"],
      },
      {
        text: "Executing bhyve command: %s",
        first: null,
        last: "v0.3",
        verified: true,
        note: "cmd/vm_start.go; DEBUG line on the terminal of hoster vm start",
        fields: ["command"],
      },
    ],
    meaning:
      "the bhyve command line (run through sh -c); passthru devices are -s N:F,passthru,B/S/F with the guest function copied from the host function (a - before a config entry forces function 0), after the fbuf device; -S comes with any passthru list",
    causes: [],
    fix: "nothing; pptkit lints it",
    sample:
      'time="2025-01-09T17:35:21+01:00" level=info msg="BHYVE START CMD: bhyve -S -HAwu -s 0:0,hostbridge -s 31,lpc -s 2:0,virtio-net,tap0,mac=58:9c:fc:0d:4e:1a -s 3:0,nvme,/zroot/vm-encrypted/win10vm/disk0.img -c sockets=1,cores=4 -m 8G -s 4:0,fbuf,tcp=0.0.0.0:5901,w=1280,h=720,password=hR4vX9qL2m -s 5:0,passthru,4/0/0 -s 1:0,xhci,tablet -l com1,/dev/nmdm-win10vm-1A -l bootrom,/usr/local/share/uefi-firmware/BHYVE_UEFI.fd -U 2b0e4a8c-5f3d-4c1e-9a7b-3d2f1e0c9b8a -u win10vm" type=supervisor',
    related: [],
  },
  {
    id: "hoster-sys-stderr",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "internal/app/vm_supervisor/vm_supervisor.go",
      function: "readAndLogOutput",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "log",
    errno: false,
    role: "carrier",
    formats: [
      {
        text: "[sys_stderr] %s",
        first: "v0.2b",
        last: null,
        verified: true,
        note:
          '0312905d2480; v0.2b to v0.3 wrote DATE [sys_stderr] TEXT; since a20a3d291808 (2024-02-21) logrus lines time=... level=info msg="TEXT" type=sys_stderr, which explain reads as this form',
      },
    ],
    meaning:
      "a line bhyve wrote to its stderr, as Hoster's supervisor logs it (type=sys_stderr); explained on its own",
    causes: [],
    fix: "explain the bhyve text inside",
    sample:
      'time="2025-01-09T17:35:21+01:00" level=info msg="bhyve: PCI device at 4/0/0 is not using the ppt(4) driver" type=sys_stderr',
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
  },
  {
    id: "hoster-bhyve-exit",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "internal/app/vm_supervisor/vm_supervisor.go",
      function: "main",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "log",
    errno: false,
    role: "exit",
    formats: [
      {
        text: "VM child process ended with a non-zero exit code: exit status %d",
        first: "v0.2b",
        last: null,
        verified: true,
        note:
          "ce1045f3ec45; level=error, also for a poweroff (1) or halt (2): read the status, not the level",
        fields: ["status"],
      },
      {
        text:
          "Bhyve returned a panic exit code: %d. Shutting down all VM related processes and performing system clean up.",
        first: "post-v0.3",
        last: null,
        verified: true,
        note:
          "a20a3d291808 (2024-02-21); level=error; any status but 0, 1 and 2; then SUPERVISED SESSION ENDED. Unexpected exit code. and the supervisor exits 101",
        fields: ["status"],
      },
      {
        text: "Bhyve returned a panic exit code: %d",
        first: "v0.2b",
        last: "v0.3",
        verified: true,
        note: "32d69dbe1609; the old log format",
        fields: ["status"],
      },
      {
        text: "Bhyve received a shutdown signal: %d. Executing the shutdown sequence...",
        first: "v0.2b",
        last: null,
        verified: true,
        note: "32d69dbe1609; status 1 or 2",
        fields: ["status"],
      },
      {
        text: "Bhyve received a reboot signal. Executing the reboot sequence...",
        first: "v0.2b",
        last: null,
        verified: true,
        note: "status 0: the VM is started again",
        status: 0,
      },
    ],
    meaning:
      "bhyve ended. bhyve's exit status (bhyve(8)): 0 rebooted, 1 powered off, 2 halted, 3 triple fault, 4 exited on an error; 4 within a second or two of the start means a device failed to start, with passthrough nearly always one of bhyve's passthru messages. Hoster logs any status other than 0 at error level (a poweroff too) and does not start the VM again after 3 or 4",
    causes: [
      {
        check: "command-line",
        text: "status 4 right after BHYVE START CMD: a device failed to start",
        fix: "check the command line's passthru devices on the host",
      },
      {
        check: "wrapper-stderr",
        text: "bhyve's message is in the type=sys_stderr lines just above",
        fix: "pptkit explain the VM's vm_supervisor.log (hoster vm show-log VM)",
      },
    ],
    fix: "pptkit explain the VM's vm_supervisor.log",
    sample:
      'time="2025-01-09T17:35:21+01:00" level=error msg="Bhyve returned a panic exit code: 4. Shutting down all VM related processes and performing system clean up." type=supervisor',
    related: [
      "not-ppt",
      "memory-not-wired",
      "open-dev",
      "invalid-options",
      "missing-setting",
      "bad-device-name",
      "device-not-found",
      "msi-init",
      "msix-init",
      "bars-init",
      "romfile",
      "slot-syntax",
      "slot-occupied",
      "memory-setup",
      "amdvi-disabled",
      "iommu-host-domain",
    ],
    exitCode: 101,
  },
  {
    id: "hoster-vm-now-up",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "internal/pkg/hoster/vm/start.go",
      function: "Start",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "log",
    errno: false,
    role: "info",
    formats: [
      {
        text: "vm is now up: %s",
        first: "post-v0.3",
        last: null,
        verified: true,
        note:
          "34f91d3058ee (2024-02-29); level=info in /var/log/hoster_audit_vm.log, and on an xterm-like terminal",
        fields: ["vm"],
      },
      {
        text: "starting the vm: %s",
        first: "post-v0.3",
        last: null,
        verified: true,
        note: "8216d7d5481f; printed before it",
        fields: ["vm"],
      },
    ],
    meaning:
      "Hoster has started the VM's supervisor; printed before bhyve even opened its devices, so a passthru failure a moment later is only in the VM's vm_supervisor.log",
    causes: [
      {
        check: "wrapper-stderr",
        text: "the VM does not run although this was printed",
        fix: "read the VM's vm_supervisor.log (hoster vm show-log VM)",
      },
    ],
    fix: "check vm_supervisor.log",
    sample: " 🟢 INFO:    🕔 2025-01-09 17:35:21: 📄 vm is now up: win10vm",
    related: [],
  },
  {
    id: "hoster-passthru-bad-format",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "internal/pkg/hoster/vm/utils/generate_bhyve_command.go",
      function: "passthruPciSplitter",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text:
          "This PCI device would not be added to passthru: %s, because it uses the incorrect format",
        first: "v0.3",
        last: null,
        verified: true,
        note:
          "7f816d47e015; ERROR on the terminal of the process that builds the command; printed once per passthru entry handled before it plus once for itself",
        fields: ["device"],
      },
    ],
    meaning:
      "an entry of passthru in vm_config.json does not have three /-separated parts; Hoster skips it and starts the VM without that device",
    causes: [
      {
        check: "manual",
        text: "written as 4:0:0 or pci0:4:0:0",
        fix: 'write "4/0/0" (or "-4/0/0" to force guest function 0)',
      },
    ],
    fix: "use B/S/F in vm_config.json",
    sample:
      " 🚫 ERROR:   🕔 2025-01-09 17:35:21: 📄 This PCI device would not be added to passthru: 4:0:0, because it uses the incorrect format",
    related: ["invalid-options"],
  },
  {
    id: "hoster-no-ppt-devices",
    origin: "hoster",
    source: {
      repo: "yaroslav-gwit/HosterCore",
      file: "cmd/passthru.go",
      function: "pptDevices (hoster passthru list)",
      commit: "4f3b5d8454f1a464e8249dd403ad9ab611febcad",
    },
    printer: "terminal",
    errno: false,
    role: "error",
    formats: [
      {
        text: "No devices were found!",
        first: "v0.3",
        last: null,
        verified: true,
        note: "39ebd253ffaf; Go log.Fatal on stderr, with the date",
        strict: true,
      },
    ],
    meaning: "pciconf -l shows no device on ppt(4)",
    causes: [
      {
        check: "device-in-pptdevs",
        text: "no pptdevs in /boot/loader.conf, or a broken one",
        fix: 'add pptdevs="B/S/F ..." to /boot/loader.conf and reboot (pptkit reserve)',
      },
      {
        check: "vmm-from-loader",
        text: "vmm is not loaded by the loader, so pptdevs did nothing at boot",
        fix: 'vmm_load="YES" in /boot/loader.conf',
      },
      { check: "pptdevs-syntax", text: "pptdevs entries are not B/S/F", fix: "pptkit check" },
    ],
    fix: 'pptdevs=... and vmm_load="YES" in /boot/loader.conf, then reboot',
    sample: "2025/01/09 17:35:21 No devices were found!",
    related: ["not-ppt", "device-not-found"],
    exitCode: 1,
  },
];
