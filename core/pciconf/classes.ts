/**
 * PCI class names (data): what pciconf -v prints, for listings without `-v` lines.
 *
 * @module
 */

/**
 * Class and subclass names for a class code, from the table pciconf copies from
 * `sys/dev/pci/pci.c` (`pci_nomatch_tab`). Used when the listing had no `-v` lines.
 */
export function classNames(classCode: string): [string | null, string | null] {
  const cls = parseInt(classCode.slice(0, 2), 16);
  const sub = parseInt(classCode.slice(2, 4), 16);
  const entry = PCI_CLASSES[cls];
  if (entry === undefined) return [null, null];
  return [entry[0], entry[1][sub] ?? null];
}

/** class -> [name, {subclass -> name}] (pciconf.c / pci.c `pci_nomatch_tab`). */
const PCI_CLASSES: Record<number, [string, Record<number, string>]> = {
  0x00: ["old", { 0x00: "non-VGA display device", 0x01: "VGA-compatible display device" }],
  0x01: ["mass storage", {
    0x00: "SCSI",
    0x01: "ATA",
    0x02: "floppy disk",
    0x03: "IPI",
    0x04: "RAID",
    0x05: "ATA (ADMA)",
    0x06: "SATA",
    0x07: "SAS",
    0x08: "NVM",
    0x09: "UFS",
  }],
  0x02: ["network", {
    0x00: "ethernet",
    0x01: "token ring",
    0x02: "fddi",
    0x03: "ATM",
    0x04: "ISDN",
  }],
  0x03: ["display", { 0x00: "VGA", 0x01: "XGA", 0x02: "3D" }],
  0x04: ["multimedia", { 0x00: "video", 0x01: "audio", 0x02: "telephony", 0x03: "HDA" }],
  0x05: ["memory", { 0x00: "RAM", 0x01: "flash" }],
  0x06: ["bridge", {
    0x00: "HOST-PCI",
    0x01: "PCI-ISA",
    0x02: "PCI-EISA",
    0x03: "PCI-MCA",
    0x04: "PCI-PCI",
    0x05: "PCI-PCMCIA",
    0x06: "PCI-NuBus",
    0x07: "PCI-CardBus",
    0x08: "PCI-RACEway",
  }],
  0x07: ["simple comms", {
    0x00: "UART",
    0x01: "parallel port",
    0x02: "multiport serial",
    0x03: "generic modem",
  }],
  0x08: ["base peripheral", {
    0x00: "interrupt controller",
    0x01: "DMA controller",
    0x02: "timer",
    0x03: "realtime clock",
    0x04: "PCI hot-plug controller",
    0x05: "SD host controller",
    0x06: "IOMMU",
  }],
  0x09: ["input device", {
    0x00: "keyboard",
    0x01: "digitizer",
    0x02: "mouse",
    0x03: "scanner",
    0x04: "gameport",
  }],
  0x0a: ["docking station", {}],
  0x0b: ["processor", {}],
  0x0c: ["serial bus", {
    0x00: "FireWire",
    0x01: "AccessBus",
    0x02: "SSA",
    0x03: "USB",
    0x04: "Fibre Channel",
    0x05: "SMBus",
  }],
  0x0d: ["wireless controller", { 0x00: "iRDA", 0x01: "IR", 0x10: "RF" }],
  0x0e: ["intelligent I/O controller", { 0x00: "I2O" }],
  0x0f: ["satellite communication", {
    0x01: "sat TV",
    0x02: "sat audio",
    0x03: "sat voice",
    0x04: "sat data",
  }],
  0x10: ["encrypt/decrypt", { 0x00: "network/computer crypto", 0x10: "entertainment crypto" }],
  0x11: ["dasp", { 0x00: "DPIO module" }],
  0x12: ["processing accelerators", {}],
  0x13: ["non-essential instrumentation", {}],
};
