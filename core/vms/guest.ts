/**
 * What a VM config says about the rest of the guest's PCI bus: the settings a wrapper's own
 * devices (disks, NICs, framebuffer, ...) are placed from. Readers fill these in next to the
 * passthru entries; the wrapper models of core/slots/wrappers/ turn them into the whole `-s`
 * list the wrapper will run.
 *
 * @module
 */

import type { PciAddress } from "../address.ts";

/** One `key=value` of a config file, where it was written. */
export interface ConfValue {
  readonly value: string;
  readonly line: number;
}

/**
 * Which vm-bhyve runs the VM. They place every slot alike; they differ in text: freebsd/vm-bhyve
 * (since e61c1d7, 2025-09) appends `passthruN_options`, churchers/vm-bhyve (6e91ff5 and older)
 * ignores them; F also writes `fwcfg=` on the LPC bridge and 9p disk paths as written.
 */
export type VmBhyveFork = "churchers" | "freebsd";

/** A vm-bhyve guest: its config as vm-bhyve reads it, and the datastore it lives on. */
export interface VmBhyveGuest {
  readonly kind: "vm-bhyve";
  readonly name: string;
  /** First assignment of each key (vm-bhyve's `config::get`). */
  readonly values: ReadonlyMap<string, ConfValue>;
  /** `VM_DS_PATH`: the datastore directory that holds the guest's directory. */
  readonly dsPath: string;
  /** `VM_DS_ZFS_DATASET`: the datastore's dataset (zvol disks), null for a plain directory. */
  readonly dsDataset: string | null;
  /** The default datastore (`vm_dir`), where `.config/null.iso` lives. */
  readonly vmDir: string;
  /** The fork installed on the host, when pptkit could tell; null when it could not. */
  readonly fork: VmBhyveFork | null;
  /** How the datastore's directory was found, when it is a ZFS dataset (for messages). */
  readonly mountpoint: string | null;
}

/** One NIC of a Hoster VM (`networks[]`). */
export interface HosterNic {
  readonly type: string;
  readonly bridge: string;
  readonly mac: string;
  readonly line: number;
}

/** One disk of a Hoster VM (`disks[]`). */
export interface HosterDisk {
  readonly type: string;
  readonly location: string;
  readonly image: string;
  readonly line: number;
}

/** One 9p share of a Hoster VM (`9p_shares[]`). */
export interface HosterShare {
  readonly name: string;
  readonly location: string;
  readonly readOnly: boolean;
  readonly line: number;
}

/** One string of a Hoster VM's `passthru` array, exactly as written. */
export interface HosterPassthru {
  readonly text: string;
  readonly line: number;
}

/** A Hoster VM: the fields of `vm_config.json` that decide its guest bus. */
export interface HosterGuest {
  readonly kind: "hoster";
  /** `<dataset mountpoint>/<vm>`: where `internal` disks are. */
  readonly location: string;
  readonly networks: readonly HosterNic[];
  readonly disks: readonly HosterDisk[];
  readonly shares: readonly HosterShare[];
  /** Every string of `passthru`, malformed ones too (the splitter skips those itself). */
  readonly passthru: readonly HosterPassthru[];
  readonly loader: string;
  readonly disableXhci: boolean;
  readonly vncPort: number;
  readonly vncResolution: number;
  readonly vga: string;
  readonly parentHost: string;
}

/** The VM's `bhyve.conf` from its last CBSD start: its `*_args` and the settings bhyverun.sh reads. */
export interface CbsdLastStart {
  readonly file: string;
  /** `hostbridge_args`, `dsk_args`, `pci_passthru_args`, ... as written. */
  readonly args: ReadonlyMap<string, string>;
  readonly values: ReadonlyMap<string, string>;
}

/** One `bhyveppt` row of a CBSD VM, in attach order. */
export interface CbsdPpt {
  /** The `ppt` column as typed at attach. */
  readonly ppt: string;
  /** The `class` column (`display` gets slot 2 since CBSD 13.2.2); null when the table has none. */
  readonly class: string | null;
  readonly address: PciAddress | null;
  readonly line: number;
}

/** A CBSD VM: its passthru devices and what its last start left. */
export interface CbsdGuest {
  readonly kind: "cbsd";
  readonly ppts: readonly CbsdPpt[];
  /** null when the VM never started (or its bhyve.conf cannot be read). */
  readonly lastStart: CbsdLastStart | null;
}

/** What a reader knows of the guest's other devices. */
export type GuestConfig = VmBhyveGuest | HosterGuest | CbsdGuest;
