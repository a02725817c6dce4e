/**
 * Synthetic hosts for `deno task bench`: snapshot directories (DESIGN §5) whose `pciconf.txt` is
 * what `pciconf -lbcv` prints on a real machine, of any size, the same bytes for the same seed.
 *
 * A host is a chipset on bus 0 (host bridge, iGPU, xHCI, SATA, SMBus, LPC, NIC) followed by
 * add-in cards, each behind its own root port: NVIDIA GPUs (VGA + HD audio, Turing boards also
 * USB-C xHCI + UCSI), AMD GPUs (VGA + HDMI audio), Intel X710 / I350 / 82599 and Mellanox
 * ConnectX-4 Lx NICs, 82599 PFs with SR-IOV virtual functions at ARI function numbers above 7,
 * NVMe SSDs, an LSI SAS HBA, Renesas USB controllers, PLX switches (upstream and downstream
 * bridges) and old conventional-PCI cards without MSI. Record text follows pciconf's own
 * `cap.c`: bars before capabilities, MSI-X and PCI-Express continuation lines, SR-IOV detail
 * lines, `iov bar` lines. When bus numbers or root ports run out, a new PCI domain starts (as on
 * multi-segment servers).
 *
 * Devices on ppt(4): the first GPU (reserved in loader.conf, as in the guide), some later cards
 * while `pptdevs`, `pptdevs2` and `pptdevs3` have room (at most 128 characters each), and the
 * virtual functions that `iovctl` put on ppt. kenv agrees with loader.conf (no reboot pending),
 * vmm.ko is loaded from the loader, the ACPI tables have a DMAR: a host ready for passthrough.
 *
 * Two native VM configs come with it (`root/usr/local/etc/pptkit/vms/`): `bench` (the first
 * GPU, for `hook prestart`) and `benchplan` (the virtual functions on ppt, at most 256, for
 * `plan`).
 *
 * @module
 */

import { prng } from "../tests/helpers.ts";

/** What to generate. */
export interface SynthOptions {
  /** Exact number of PCI functions (records) in pciconf.txt; at least 16. */
  readonly devices: number;
  /** Seed of the generator: the same seed and size give the same bytes. */
  readonly seed: number;
  /**
   * Dual-port 82599 cards whose virtual functions are all on ppt (iovctl `passthrough`), added
   * right after the first GPU: `cards` cards with `vfsPerPort` VFs per port (at most 64).
   */
  readonly sriov?: { readonly cards: number; readonly vfsPerPort: number };
}

/** A generated host: the snapshot files, by path relative to the snapshot directory. */
export interface SynthHost {
  readonly files: ReadonlyMap<string, string>;
  /** Records in pciconf.txt. */
  readonly devices: number;
  /** Functions attached to ppt(4). */
  readonly ppt: number;
  /** B/S/F entries of the {@linkcode HOOK_VM} (hook prestart): the first GPU. */
  readonly hookVm: readonly string[];
  /** B/S/F entries of the {@linkcode PLAN_VM} (plan): the ppt virtual functions, at most 256. */
  readonly planVm: readonly string[];
}

/** Name of the VM config the `hook prestart` row uses. */
export const HOOK_VM = "bench";
/** Name of the VM config the `plan` rows use. */
export const PLAN_VM = "benchplan";
/** Entries wanted in the plan VM. */
export const PLAN_ENTRIES = 256;

const PPTDEVS_VARS = ["pptdevs", "pptdevs2", "pptdevs3"];
const PPTDEVS_MAX = 128;
/** Bus-0 slots for root ports: every slot but the host bridge's and the chipset's. */
const PORT_SLOTS = Array.from({ length: 30 }, (_, i) => i + 1).filter((s) =>
  ![2, 20, 23].includes(s)
);

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** One PCI function as pciconf prints it. */
interface Fn {
  driver: string;
  domain: number;
  bus: number;
  slot: number;
  func: number;
  classCode: number;
  rev: number;
  hdr: number;
  vendorId: number;
  deviceId: number;
  subvendorId: number;
  subdeviceId: number;
  vendor: string;
  device: string;
  className: string;
  subclass: string | null;
  bars: string[];
  caps: string[];
  /** An SR-IOV virtual function (put on ppt by iovctl, not by pptdevs). */
  vf: boolean;
}

type Ids = Pick<
  Fn,
  | "classCode"
  | "rev"
  | "vendorId"
  | "deviceId"
  | "subvendorId"
  | "subdeviceId"
  | "vendor"
  | "device"
  | "className"
  | "subclass"
>;

const INTEL = "Intel Corporation";
const NVIDIA = "NVIDIA Corporation";
const AMD = "Advanced Micro Devices, Inc. [AMD/ATI]";

function ids(
  vendorId: number,
  deviceId: number,
  vendor: string,
  device: string,
  classCode: number,
  className: string,
  subclass: string | null,
  rev = 0x01,
  subvendorId = vendorId,
  subdeviceId = 0x0000,
): Ids {
  return {
    vendorId,
    deviceId,
    vendor,
    device,
    classCode,
    className,
    subclass,
    rev,
    subvendorId,
    subdeviceId,
  };
}

// Capability lines, in the words of pciconf's cap.c.
const POWER = "cap 01[40] = powerspec 3  supports D0 D3  current D0";

function msi(at: string, messages: number, enabled: number): string {
  const s = messages === 1 ? "" : "s";
  return `cap 05[${at}] = MSI supports ${messages} message${s}, 64 bit` +
    (enabled > 0
      ? ` enabled with ${enabled} message${enabled === 1 ? "" : "s"}`
      : ", vector masks ");
}

function msix(at: string, messages: number, enabled: boolean, bar: string): string[] {
  return [
    `cap 11[${at}] = MSI-X supports ${messages} message${messages === 1 ? "" : "s"}` +
    (enabled ? ", enabled" : ""),
    `             Table in map 0x${bar}[0x0], PBA in map 0x${bar}[0x2000]`,
  ];
}

function pcie(
  at: string,
  type: string,
  flr: boolean,
  width: number,
  speed: string,
  extra: string[] = [],
): string[] {
  return [
    `cap 10[${at}] = PCI-Express 2 ${type} max data 256(512)${flr ? " FLR" : ""} RO NS`,
    "             max read 512",
    `             link x${width}(x${width}) speed ${speed}(${speed}) ASPM disabled(L0s/L1)`,
    ...extra.map((l) => `             ${l}`),
  ];
}

function sriov(configured: number, total: number, offset: number, stride: number, vfId: number) {
  const on = configured > 0 ? "enabled" : "disabled";
  return [
    `ecap 0010[160] = SR-IOV 1 IOV ${on}, Memory Space ${on}, ARI ${on}`,
    `                 ${configured} VFs configured out of ${total} supported`,
    `                 First VF RID Offset 0x${hex(offset, 4)}, VF RID Stride 0x${hex(stride, 4)}`,
    `                 VF Device ID 0x${hex(vfId, 4)}`,
    "                 Page Sizes: 4096 (enabled), 8192, 65536, 262144, 1048576, 4194304",
  ];
}

/** Builds hosts function by function; the state of one generation run. */
class Builder {
  readonly fns: Fn[] = [];
  private readonly units = new Map<string, number>();
  private domain = 0;
  private nextBus = 1;
  private port = 0;
  private barBase = 0xa0000000;
  readonly pptdevs: string[][] = PPTDEVS_VARS.map(() => []);
  private pptdevsAt = 0;
  readonly rand: () => number;

  constructor(seed: number) {
    this.rand = prng(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)];
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  bar(offset: string, kind: string, size: number): string {
    const base = this.barBase;
    this.barBase += Math.max(size, 0x1000);
    return `bar   [${offset}] = type ${kind}, range ${kind === "I/O Port" ? 32 : 64}, base 0x${
      hex(base, 8)
    }, size ${size}, enabled`;
  }

  add(
    at: { domain: number; bus: number; slot: number; func: number },
    id: Ids,
    driver: string,
    bars: string[],
    caps: string[],
    hdr = 0x00,
    vf = false,
  ): Fn {
    const fn: Fn = { ...at, ...id, driver, hdr, bars, caps, vf };
    this.fns.push(fn);
    return fn;
  }

  /**
   * A free bus behind a new root port on bus 0; a new domain when either runs out (one bus
   * number is kept free for a card that has a bridge of its own).
   */
  newBus(): { domain: number; bus: number } {
    if (this.nextBus > 254 || this.port >= PORT_SLOTS.length * 8) this.newDomain();
    const slot = PORT_SLOTS[this.port % PORT_SLOTS.length];
    const func = Math.floor(this.port / PORT_SLOTS.length);
    this.port++;
    const bus = this.nextBus++;
    this.add(
      { domain: this.domain, bus: 0, slot, func },
      ids(
        0x8086,
        0x2030 + (slot % 4),
        INTEL,
        "Sky Lake-E PCI Express Root Port " + String.fromCharCode(65 + (slot % 4)),
        0x060400,
        "bridge",
        "PCI-PCI",
        0x07,
        0x15d9,
        0x0963,
      ),
      "pcib",
      [],
      [
        `cap 0d[40] = PCI Bridge subvendor=0x15d9 subdevice=0x0963`,
        msi("60", 1, 1),
        "cap 01[90] = powerspec 3  supports D0 D3  current D0",
        ...pcie("90", "root port", false, 16, "8.0", [
          `slot ${this.port} power limit 75000 mW`,
        ]),
        "ecap 0001[100] = AER 1 0 fatal 0 non-fatal 0 corrected",
        "ecap 000d[110] = ACS 1",
      ],
      0x01,
    );
    return { domain: this.domain, bus };
  }

  /** Another bus number in the current domain, for what sits behind a card's own bridge. */
  newBusNumber(): number {
    return this.nextBus++;
  }

  newDomain(): void {
    this.domain++;
    this.nextBus = 1;
    this.port = 0;
    this.add(
      { domain: this.domain, bus: 0, slot: 0, func: 0 },
      ids(
        0x8086,
        0x2020,
        INTEL,
        "Sky Lake-E DMI3 Registers",
        0x060000,
        "bridge",
        "HOST-PCI",
        0x07,
        0x15d9,
        0x0963,
      ),
      "hostb",
      [],
      ["cap 10[90] = PCI-Express 2 root endpoint max data 128(128)", "             max read 128"],
    );
  }

  /**
   * Room for these B/S/F tokens in pptdevs, then pptdevs2, then pptdevs3 (filled in order, as
   * an administrator appends)? Then take it.
   */
  reserve(tokens: readonly string[]): boolean {
    while (this.pptdevsAt < this.pptdevs.length) {
      const list = this.pptdevs[this.pptdevsAt];
      if ([...list, ...tokens].join(" ").length <= PPTDEVS_MAX) {
        list.push(...tokens);
        return true;
      }
      this.pptdevsAt++;
    }
    return false;
  }

  /** Gives every function its unit number (`vgapci0`, `ppt3`), in pciconf's order. */
  names(): string[] {
    this.units.clear();
    return this.fns.map((fn) => {
      const unit = this.units.get(fn.driver) ?? 0;
      this.units.set(fn.driver, unit + 1);
      return `${fn.driver}${unit}`;
    });
  }
}

function bsf(fn: Fn): string {
  return `${fn.bus}/${fn.slot}/${fn.func}`;
}

/** The chipset of bus 0, domain 0: 7 functions. */
function chipset(b: Builder): void {
  const at = (slot: number, func: number) => ({ domain: 0, bus: 0, slot, func });
  b.add(
    at(0, 0),
    ids(
      0x8086,
      0x3e30,
      INTEL,
      "8th/9th Gen Core 8-core Desktop Processor Host Bridge/DRAM Registers [Coffee Lake S]",
      0x060000,
      "bridge",
      "HOST-PCI",
      0x0d,
      0x1458,
      0x5000,
    ),
    "hostb",
    [],
    ["cap 09[e0] = vendor (length 16) Intel cap 0 version 1"],
  );
  b.add(
    at(2, 0),
    ids(
      0x8086,
      0x3e98,
      INTEL,
      "CoffeeLake-S GT2 [UHD Graphics 630]",
      0x030000,
      "display",
      "VGA",
      0x02,
      0x1458,
      0xd000,
    ),
    "vgapci",
    [b.bar("10", "Memory", 16777216), b.bar("18", "Prefetchable Memory", 268435456)],
    [
      ...pcie("70", "root endpoint", true, 1, "2.5").slice(0, 2),
      msi("ac", 1, 1),
      "cap 01[d0] = powerspec 2  supports D0 D3  current D0",
    ],
  );
  b.add(
    at(20, 0),
    ids(
      0x8086,
      0xa36d,
      INTEL,
      "Cannon Lake PCH USB 3.1 xHCI Host Controller",
      0x0c0330,
      "serial bus",
      "USB",
      0x10,
      0x1458,
      0x5007,
    ),
    "xhci",
    [b.bar("10", "Memory", 65536)],
    ["cap 01[70] = powerspec 2  supports D0 D3  current D0", msi("80", 8, 1)],
  );
  b.add(
    at(23, 0),
    ids(
      0x8086,
      0xa352,
      INTEL,
      "Cannon Lake PCH SATA AHCI Controller",
      0x010601,
      "mass storage",
      "SATA",
      0x10,
      0x1458,
      0xb005,
    ),
    "ahci",
    [b.bar("10", "Memory", 8192), b.bar("24", "Memory", 2048)],
    [msi("80", 1, 1), "cap 01[70] = powerspec 3  supports D0 D3  current D0"],
  );
  b.add(
    at(31, 0),
    ids(
      0x8086,
      0xa305,
      INTEL,
      "Z390 Chipset LPC/eSPI Controller",
      0x060100,
      "bridge",
      "PCI-ISA",
      0x10,
      0x1458,
      0x5001,
    ),
    "isab",
    [],
    [],
    0x80,
  );
  b.add(
    at(31, 4),
    ids(
      0x8086,
      0xa323,
      INTEL,
      "Cannon Lake PCH SMBus Controller",
      0x0c0500,
      "serial bus",
      "SMBus",
      0x10,
      0x1458,
      0x5001,
    ),
    "none",
    [b.bar("10", "Memory", 256)],
    [],
  );
  b.add(
    at(31, 6),
    ids(
      0x8086,
      0x15bc,
      INTEL,
      "Ethernet Connection (7) I219-V",
      0x020000,
      "network",
      "ethernet",
      0x10,
      0x1458,
      0xe000,
    ),
    "em",
    [b.bar("10", "Memory", 131072)],
    ["cap 01[c8] = powerspec 3  supports D0 D3  current D0", msi("d0", 1, 1)],
  );
}

/** An add-in card: how many records it adds, and how to add them. */
interface Card {
  readonly size: number;
  add(b: Builder, ppt: boolean): void;
}

/** Attaches a card's functions to ppt when pptdevs has room (domain 0), else to `drivers`. */
function driversFor(
  b: Builder,
  bus: { domain: number; bus: number },
  funcs: number[],
  ppt: boolean,
) {
  const tokens = funcs.map((f) => `${bus.bus}/0/${f}`);
  return ppt && bus.domain === 0 && b.reserve(tokens);
}

function nvidiaGpu(turing: boolean): Card {
  return {
    size: 1 + (turing ? 4 : 2),
    add(b, ppt) {
      const bus = b.newBus();
      const funcs = turing ? [0, 1, 2, 3] : [0, 1];
      const onPpt = driversFor(b, bus, funcs, ppt);
      const at = (func: number) => ({ ...bus, slot: 0, func });
      const sub = turing ? 0x1458 : 0x10de;
      const gpu = turing
        ? ids(
          0x10de,
          0x1e87,
          NVIDIA,
          "TU104 [GeForce RTX 2080 Rev. A]",
          0x030000,
          "display",
          "VGA",
          0xa1,
          sub,
          0x37a8,
        )
        : ids(
          0x10de,
          0x1cb2,
          NVIDIA,
          "GP107GL [Quadro P600]",
          0x030000,
          "display",
          "VGA",
          0xa1,
          sub,
          0x11bd,
        );
      b.add(
        at(0),
        gpu,
        onPpt ? "ppt" : "vgapci",
        [
          b.bar("10", "Memory", 16777216),
          b.bar("14", "Prefetchable Memory", 268435456),
          b.bar("1c", "Prefetchable Memory", 33554432),
          b.bar("24", "I/O Port", 128),
        ],
        [
          "cap 01[60] = powerspec 3  supports D0 D3  current D0",
          msi("68", 1, onPpt ? 0 : 1),
          ...pcie("78", "legacy endpoint", false, 16, "8.0"),
          "cap 09[b4] = vendor (length 20)",
          "ecap 0002[100] = VC 1 max VC0",
          "ecap 0004[250] = Power Budgeting 1",
        ],
        0x80,
      );
      b.add(
        at(1),
        turing
          ? ids(
            0x10de,
            0x10f8,
            NVIDIA,
            "TU104 HD Audio Controller",
            0x040300,
            "multimedia",
            "HDA",
            0xa1,
            sub,
            0x37a8,
          )
          : ids(
            0x10de,
            0x0fb9,
            NVIDIA,
            "GP107GL High Definition Audio Controller",
            0x040300,
            "multimedia",
            "HDA",
            0xa1,
            sub,
            0x11bd,
          ),
        onPpt ? "ppt" : "hdac",
        [b.bar("10", "Memory", 16384)],
        [
          "cap 01[60] = powerspec 3  supports D0 D3  current D0",
          msi("68", 1, onPpt ? 0 : 1),
          ...pcie("78", "endpoint", false, 16, "8.0"),
        ],
      );
      if (!turing) return;
      b.add(
        at(2),
        ids(
          0x10de,
          0x1ad8,
          NVIDIA,
          "TU104 USB 3.1 Host Controller",
          0x0c0330,
          "serial bus",
          "USB",
          0xa1,
          sub,
          0x37a8,
        ),
        onPpt ? "ppt" : "xhci",
        [b.bar("10", "Prefetchable Memory", 262144), b.bar("1c", "Prefetchable Memory", 65536)],
        [msi("68", 1, 0), ...pcie("78", "endpoint", false, 16, "8.0"), POWER],
      );
      b.add(
        at(3),
        ids(
          0x10de,
          0x1ad9,
          NVIDIA,
          "TU104 USB Type-C UCSI Controller",
          0x0c8000,
          "serial bus",
          null,
          0xa1,
          sub,
          0x37a8,
        ),
        onPpt ? "ppt" : "none",
        [b.bar("10", "Memory", 4096)],
        [msi("68", 1, 0), ...pcie("78", "endpoint", false, 16, "8.0"), POWER],
      );
    },
  };
}

const AMD_GPU: Card = {
  size: 3,
  add(b, ppt) {
    const bus = b.newBus();
    const onPpt = driversFor(b, bus, [0, 1], ppt);
    b.add(
      { ...bus, slot: 0, func: 0 },
      ids(
        0x1002,
        0x67df,
        AMD,
        "Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]",
        0x030000,
        "display",
        "VGA",
        0xe7,
        0x1da2,
        0xe366,
      ),
      onPpt ? "ppt" : "vgapci",
      [
        b.bar("10", "Prefetchable Memory", 268435456),
        b.bar("18", "Prefetchable Memory", 2097152),
        b.bar("20", "I/O Port", 256),
        b.bar("24", "Memory", 262144),
      ],
      [
        "cap 09[48] = vendor (length 8)",
        "cap 01[50] = powerspec 3  supports D0 D1 D2 D3  current D0",
        ...pcie("58", "legacy endpoint", false, 16, "8.0"),
        msi("a0", 1, onPpt ? 0 : 1),
        "ecap 000b[100] = Vendor [1] ID 0001 Rev 1 Length 16",
        "ecap 0001[150] = AER 2 0 fatal 0 non-fatal 0 corrected",
      ],
      0x80,
    );
    b.add(
      { ...bus, slot: 0, func: 1 },
      ids(
        0x1002,
        0xaaf0,
        AMD,
        "Ellesmere HDMI Audio [Radeon RX 470/480 / 570/580/590]",
        0x040300,
        "multimedia",
        "HDA",
        0x00,
        0x1da2,
        0xaaf0,
      ),
      onPpt ? "ppt" : "hdac",
      [b.bar("10", "Memory", 16384)],
      [
        "cap 09[48] = vendor (length 8)",
        "cap 01[50] = powerspec 3  supports D0 D1 D2 D3  current D0",
        ...pcie("58", "legacy endpoint", false, 16, "8.0"),
        msi("a0", 1, onPpt ? 0 : 1),
      ],
    );
  },
};

/** A multi-port NIC: one function per port, MSI-X, FLR, SR-IOV capable but unconfigured. */
function nic(
  ports: number,
  id: Ids,
  driver: string,
  vectors: number,
  totalVfs: number,
  vfId: number,
): Card {
  return {
    size: 1 + ports,
    add(b, ppt) {
      const bus = b.newBus();
      const funcs = Array.from({ length: ports }, (_, i) => i);
      const onPpt = driversFor(b, bus, funcs, ppt);
      for (const func of funcs) {
        b.add(
          { ...bus, slot: 0, func },
          id,
          onPpt ? "ppt" : driver,
          [b.bar("10", "Prefetchable Memory", 8388608), b.bar("1c", "Prefetchable Memory", 32768)],
          [
            POWER,
            msi("50", 1, 0),
            ...msix("70", vectors, !onPpt, "1c"),
            ...pcie("a0", "endpoint", true, 8, "8.0"),
            "ecap 0001[100] = AER 2 0 fatal 0 non-fatal 1 corrected",
            "ecap 0003[140] = Serial 1 3cfdfeffff9a7d60",
            "ecap 000e[150] = ARI 1",
            ...(totalVfs > 0 ? sriov(0, totalVfs, 0x80 - func, 1, vfId) : []),
          ],
          func === 0 && ports > 1 ? 0x80 : 0x00,
        );
      }
    },
  };
}

const X710 = nic(
  4,
  ids(
    0x8086,
    0x1572,
    INTEL,
    "Ethernet Controller X710 for 10GbE SFP+",
    0x020000,
    "network",
    "ethernet",
    0x01,
    0x8086,
    0x0004,
  ),
  "ixl",
  129,
  32,
  0x154c,
);
const I350 = nic(
  4,
  ids(
    0x8086,
    0x1521,
    INTEL,
    "I350 Gigabit Network Connection",
    0x020000,
    "network",
    "ethernet",
    0x01,
    0x8086,
    0x0001,
  ),
  "igb",
  10,
  8,
  0x1520,
);
const CX4 = nic(
  2,
  ids(
    0x15b3,
    0x1015,
    "Mellanox Technologies",
    "MT27710 Family [ConnectX-4 Lx]",
    0x020000,
    "network",
    "ethernet",
    0x00,
    0x15b3,
    0x0003,
  ),
  "mlx5_core",
  64,
  8,
  0x1016,
);

/**
 * A dual-port 82599 with SR-IOV enabled: two PFs (ix) and `vfs` virtual functions per port at
 * RID offset 0x80, stride 2 (functions 128, 130, ... for port 0; 129, 131, ... for port 1).
 */
function sriovNic(vfs: number, vfsOnPpt: boolean): Card {
  return {
    size: 1 + 2 + 2 * vfs,
    add(b, ppt) {
      const bus = b.newBus();
      const vfOnPpt = vfsOnPpt || (ppt && b.chance(0.5));
      const pf = ids(
        0x8086,
        0x10fb,
        INTEL,
        "82599ES 10-Gigabit SFI/SFP+ Network Connection",
        0x020000,
        "network",
        "ethernet",
        0x01,
        0x8086,
        0x0003,
      );
      const vf = ids(
        0x8086,
        0x10ed,
        INTEL,
        "82599 Ethernet Controller Virtual Function",
        0x020000,
        "network",
        "ethernet",
        0x01,
        0x8086,
        0x0003,
      );
      for (const port of [0, 1]) {
        b.add(
          { ...bus, slot: 0, func: port },
          pf,
          "ix",
          [
            b.bar("10", "Prefetchable Memory", 524288),
            b.bar("18", "I/O Port", 32),
            b.bar("20", "Prefetchable Memory", 16384),
          ],
          [
            POWER,
            msi("50", 1, 0),
            ...msix("70", 64, true, "20"),
            ...pcie("a0", "endpoint", true, 4, "5.0"),
            "ecap 0001[100] = AER 1 0 fatal 0 non-fatal 1 corrected",
            "ecap 0003[140] = Serial 1 90e2baffff7d9b78",
            "ecap 000e[150] = ARI 1",
            ...sriov(vfs, 64, 0x80, 2, 0x10ed),
            `iov bar  [184] = type Memory, range 64, base 0x${
              hex(0xf7e00000 + port * 0x100000, 8)
            }, size 16384, enabled`,
            `iov bar  [190] = type Memory, range 64, base 0x${
              hex(0xf7e10000 + port * 0x100000, 8)
            }, size 16384, enabled`,
          ],
          port === 0 ? 0x80 : 0x00,
        );
      }
      for (let k = 0; k < vfs; k++) {
        for (const port of [0, 1]) {
          b.add(
            { ...bus, slot: 0, func: 128 + 2 * k + port },
            vf,
            vfOnPpt ? "ppt" : b.chance(0.5) ? "ixv" : "none",
            [b.bar("10", "Memory", 16384), b.bar("1c", "Memory", 16384)],
            [
              ...msix("70", 3, false, "1c"),
              "cap 10[a0] = PCI-Express 0 endpoint max data 128(128)",
              "             max read 128",
              "ecap 0001[100] = AER 1 0 fatal 0 non-fatal 0 corrected",
              "ecap 000e[150] = ARI 1",
            ],
            0x00,
            true,
          );
        }
      }
    },
  };
}

/** A single-function endpoint behind its own root port. */
function single(id: Ids, driver: string, caps: (b: Builder, ppt: boolean) => string[]): Card {
  return {
    size: 2,
    add(b, ppt) {
      const bus = b.newBus();
      const onPpt = driversFor(b, bus, [0], ppt);
      b.add(
        { ...bus, slot: 0, func: 0 },
        id,
        onPpt ? "ppt" : driver,
        [b.bar("10", "Memory", 16384)],
        caps(b, onPpt),
      );
    },
  };
}

const NVME = single(
  ids(
    0x144d,
    0xa808,
    "Samsung Electronics Co Ltd",
    "NVMe SSD Controller SM981/PM981/PM983",
    0x010802,
    "mass storage",
    "NVM",
    0x00,
    0x144d,
    0xa801,
  ),
  "nvme",
  (_b, ppt) => [
    "cap 01[40] = powerspec 3  supports D0 D3  current D0",
    msi("50", 32, 0),
    ...pcie("70", "endpoint", true, 4, "8.0"),
    ...msix("b0", 33, !ppt, "10"),
    "ecap 0001[100] = AER 2 0 fatal 0 non-fatal 0 corrected",
    "ecap 0003[148] = Serial 1 0000000000000000",
    "ecap 0004[158] = Power Budgeting 1",
  ],
);
const SAS3008 = single(
  ids(
    0x1000,
    0x0097,
    "Broadcom / LSI",
    "SAS3008 PCI-Express Fusion-MPT SAS-3",
    0x010700,
    "mass storage",
    "SAS",
    0x02,
    0x15d9,
    0x0808,
  ),
  "mpr",
  (_b, ppt) => [
    "cap 01[50] = powerspec 3  supports D0 D1 D2 D3  current D0",
    ...pcie("68", "endpoint", true, 8, "8.0"),
    msi("a8", 1, 0),
    ...msix("c0", 96, !ppt, "14"),
    "ecap 0001[100] = AER 2 0 fatal 0 non-fatal 0 corrected",
    "ecap 000e[138] = ARI 1",
  ],
);
const RENESAS = single(
  ids(
    0x1912,
    0x0014,
    "Renesas Technology Corp.",
    "uPD720201 USB 3.0 Host Controller",
    0x0c0330,
    "serial bus",
    "USB",
    0x03,
    0x1912,
    0x0014,
  ),
  "xhci",
  (_b, ppt) => [
    "cap 01[50] = powerspec 3  supports D0 D3  current D0",
    msi("70", 8, ppt ? 0 : 1),
    ...msix("90", 8, false, "10"),
    ...pcie("a0", "endpoint", false, 1, "5.0"),
    "ecap 0001[100] = AER 2 0 fatal 0 non-fatal 0 corrected",
  ],
);
/** A conventional PCI card behind a PCIe-to-PCI bridge: no MSI, no PCIe capability. */
const LEGACY_PCI: Card = {
  size: 3,
  add(b) {
    const bus = b.newBus();
    b.add(
      { ...bus, slot: 0, func: 0 },
      ids(
        0x8086,
        0x244e,
        INTEL,
        "82801 PCI Bridge",
        0x060401,
        "bridge",
        "PCI-PCI",
        0xa9,
        0x8086,
        0x244e,
      ),
      "pcib",
      [],
      ["cap 0d[50] = PCI Bridge subvendor=0x8086 subdevice=0x244e"],
      0x01,
    );
    const pci = b.newBusNumber();
    b.add(
      { domain: bus.domain, bus: pci, slot: 4, func: 0 },
      ids(
        0x1102,
        0x0004,
        "Creative Labs",
        "SB Audigy",
        0x040100,
        "multimedia",
        "audio",
        0x04,
        0x1102,
        0x0051,
      ),
      "none",
      [b.bar("10", "I/O Port", 64)],
      ["cap 01[dc] = powerspec 2  supports D0 D1 D2 D3  current D0"],
    );
  },
};
/** A PLX switch: upstream port and four downstream ports, each a bridge. */
const PLX_SWITCH: Card = {
  size: 6,
  add(b) {
    const bus = b.newBus();
    const id = ids(
      0x10b5,
      0x8747,
      "PLX Technology, Inc.",
      "PEX 8747 48-Lane, 5-Port PCI Express Gen 3 (8.0 GT/s) Switch",
      0x060400,
      "bridge",
      "PCI-PCI",
      0xca,
      0x10b5,
      0x8747,
    );
    const bridgeCaps = (type: string) => [
      "cap 01[40] = powerspec 3  supports D0 D3  current D0",
      msi("48", 1, 1),
      ...pcie("68", type, false, 16, "8.0"),
      "cap 0d[a4] = PCI Bridge subvendor=0x10b5 subdevice=0x8747",
      "ecap 000b[100] = Vendor [1] ID 0001 Rev 1 Length 16",
    ];
    b.add(
      { ...bus, slot: 0, func: 0 },
      id,
      "pcib",
      [b.bar("10", "Memory", 262144)],
      bridgeCaps("upstream port"),
      0x01,
    );
    const down = b.newBusNumber();
    for (const slot of [8, 9, 10, 16]) {
      b.add(
        { domain: bus.domain, bus: down, slot, func: 0 },
        id,
        "pcib",
        [],
        bridgeCaps("downstream port"),
        0x01,
      );
    }
  },
};

/** Cards chosen at random after the first GPU, with their weights. */
const CATALOGUE: readonly [number, (b: Builder) => Card][] = [
  [6, () => nvidiaGpu(false)],
  [4, () => nvidiaGpu(true)],
  [4, () => AMD_GPU],
  [6, () => X710],
  [5, () => I350],
  [4, () => CX4],
  [5, (b) => sriovNic(4 + Math.floor(b.rand() * 13), false)],
  [10, () => NVME],
  [3, () => SAS3008],
  [4, () => RENESAS],
  [1, () => LEGACY_PCI],
  [2, () => PLX_SWITCH],
];
const WEIGHT = CATALOGUE.reduce((s, [w]) => s + w, 0);

function randomCard(b: Builder): Card {
  let r = b.rand() * WEIGHT;
  for (const [w, make] of CATALOGUE) {
    r -= w;
    if (r < 0) return make(b);
  }
  return CATALOGUE[0][1](b);
}

/** Generates a host (see the module documentation). */
export function generate(options: SynthOptions): SynthHost {
  if (options.devices < 16) throw new RangeError("a synthetic host has at least 16 devices");
  const b = new Builder(options.seed);
  chipset(b);
  nvidiaGpu(false).add(b, true);
  const sriov = options.sriov ?? { cards: 0, vfsPerPort: 0 };
  for (let i = 0; i < sriov.cards; i++) {
    const card = sriovNic(Math.min(64, sriov.vfsPerPort), true);
    if (b.fns.length + card.size > options.devices) break;
    card.add(b, true);
  }
  while (b.fns.length < options.devices) {
    const left = options.devices - b.fns.length;
    let card = randomCard(b);
    if (card.size > left) card = left >= 2 ? NVME : LAST_SINGLE;
    card.add(b, b.chance(0.3));
  }
  return finish(b);
}

/** One chipset function in domain 0 (bus 0, slot 31): fills the last record exactly. */
const LAST_SINGLE: Card = {
  size: 1,
  add(b) {
    b.add(
      { domain: 0, bus: 0, slot: 31, func: 5 },
      ids(
        0x8086,
        0xa324,
        INTEL,
        "Cannon Lake PCH SPI Controller",
        0x0c8000,
        "serial bus",
        null,
        0x10,
        0x1458,
        0x5001,
      ),
      "none",
      [b.bar("10", "Memory", 4096)],
      [],
    );
  },
};

function finish(b: Builder): SynthHost {
  // pciconf lists functions in address order; function 0 of a multi-function slot has hdr bit 0x80.
  b.fns.sort((x, y) => x.domain - y.domain || x.bus - y.bus || x.slot - y.slot || x.func - y.func);
  const perSlot = new Map<string, number>();
  for (const fn of b.fns) {
    const key = `${fn.domain}:${fn.bus}:${fn.slot}`;
    perSlot.set(key, (perSlot.get(key) ?? 0) + 1);
  }
  for (const fn of b.fns) {
    if (fn.func === 0 && (perSlot.get(`${fn.domain}:${fn.bus}:${fn.slot}`) ?? 0) > 1) {
      fn.hdr |= 0x80;
    }
  }
  const names = b.names();
  const out: string[] = [];
  b.fns.forEach((fn, i) => {
    out.push(
      `${names[i]}@pci${fn.domain}:${fn.bus}:${fn.slot}:${fn.func}:\tclass=0x${
        hex(fn.classCode, 6)
      }` +
        ` rev=0x${hex(fn.rev, 2)} hdr=0x${hex(fn.hdr, 2)} vendor=0x${hex(fn.vendorId, 4)}` +
        ` device=0x${hex(fn.deviceId, 4)} subvendor=0x${hex(fn.subvendorId, 4)}` +
        ` subdevice=0x${hex(fn.subdeviceId, 4)}`,
      `    vendor     = '${fn.vendor}'`,
      `    device     = '${fn.device}'`,
      `    class      = ${fn.className}`,
    );
    if (fn.subclass !== null) out.push(`    subclass   = ${fn.subclass}`);
    for (const line of [...fn.bars, ...fn.caps]) out.push(`    ${line}`);
  });
  const ppt = b.fns.filter((fn) => fn.driver === "ppt");
  const eligible = ppt.filter((fn) => fn.domain === 0);
  const gpu = eligible.filter((fn) => !fn.vf).slice(0, 2);
  const hookVm = gpu.map(bsf);
  const planVm = eligible.filter((fn) => fn.vf).slice(0, PLAN_ENTRIES).map(bsf);

  const pptdevs = PPTDEVS_VARS.map((name, i) => [name, b.pptdevs[i].join(" ")] as const)
    .filter(([, value]) => value !== "");
  const loaderConf = [
    ...pptdevs.map(([name, value]) => `${name}="${value}"`),
    'vmm_load="YES"',
    "",
    'zfs_load="YES"',
    'kern.geom.label.disk_ident.enable="0"',
    "",
  ].join("\n");
  const kenv = [
    'boot_serial="NO"',
    'bootfile="kernel"',
    'console="efi"',
    'kernel="kernel"',
    'kernelname="/boot/kernel/kernel"',
    ...pptdevs.map(([name, value]) => `${name}="${value}"`),
    'vfs.root.mountfrom="zfs:zroot/ROOT/default"',
    'vmm_load="YES"',
    'zfs_load="YES"',
    "",
  ].sort().join("\n").trimStart() + "\n";
  const files = new Map<string, string>([
    ["pciconf.txt", out.join("\n") + "\n"],
    ["acpidump.txt", ACPIDUMP],
    ["kenv.txt", kenv],
    ["kldstat.txt", KLDSTAT],
    [
      "sysctl.txt",
      `hw.vmm.ppt.devices: ${ppt.length}\nhw.vmm.iommu.initialized: 1\nhw.vmm.iommu.enable: 1\n` +
      "hw.vmm.maxcpu: 64\nhw.vmm.vmx.initialized: 1\n",
    ],
    ["uname.txt", "14.1-RELEASE amd64\n"],
    ["root/boot/loader.conf", loaderConf],
    [`root/usr/local/etc/pptkit/vms/${HOOK_VM}.jsonc`, vmConfig("hook prestart", hookVm)],
    [`root/usr/local/etc/pptkit/vms/${PLAN_VM}.jsonc`, vmConfig("plan", planVm)],
  ]);
  return { files, devices: b.fns.length, ppt: ppt.length, hookVm, planVm };
}

function vmConfig(what: string, entries: readonly string[]): string {
  return `// synthetic VM for the ${what} benchmark\n{\n  "passthru": [\n` +
    entries.map((e) => `    "${e}"`).join(",\n") + "\n  ]\n}\n";
}

const ACPIDUMP = `/*
  RSD PTR: OEM=SUPERM, ACPI_Rev=2.0x (2)
	XSDT=0x000000006c0d40a8, length=36, cksum=93
 */
/*
  XSDT: Length=196, Revision=1, Checksum=58,
	OEMID=SUPERM, OEM Table ID=SMCI--MB, OEM Revision=0x1072009,
	Creator ID=AMI, Creator Revision=0x10013
 */
/*
  APIC: Length=1246, Revision=4, Checksum=81,
	OEMID=SUPERM, OEM Table ID=SMCI--MB, OEM Revision=0x1072009,
	Creator ID=INTL, Creator Revision=0x20091013
 */
/*
  DMAR: Length=264, Revision=1, Checksum=47,
	OEMID=SUPERM, OEM Table ID=SMCI--MB, OEM Revision=0x1,
	Creator ID=INTL, Creator Revision=0x20091013
	Host Address Width=46
	Flags={INTR_REMAP,X2APIC_OPT_OUT}
 */
`;

const KLDSTAT = `Id Refs Address                Size Name
 1   73 0xffffffff80200000  1f41500 kernel
 2    1 0xffffffff82142000   5e48a8 zfs.ko
 3    1 0xffffffff82727000   3ab028 vmm.ko
 4    1 0xffffffff82ad3000     3390 acpi_wmi.ko
 5    1 0xffffffff82ad7000     2178 nmdm.ko
`;

/** Writes a generated host as a snapshot directory. */
export async function writeHost(dir: string, host: SynthHost): Promise<void> {
  for (const [path, text] of host.files) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}
