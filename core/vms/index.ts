/**
 * All VM config sources together (DESIGN §10): which are active comes from pptkit.jsonc
 * `sources`; by default every source is probed at its standard location and the ones that are
 * not installed are skipped quietly. A source named in `sources` that cannot be found is
 * reported (warn), so `check` can say why a VM is missing.
 *
 * @module
 */

import type { PptkitConfig } from "../config.ts";
import { ExitCode, PptkitError } from "../errors.ts";
import type { Finding } from "../findings.ts";
import type { Host } from "../host/host.ts";
import { compareText } from "../text.ts";
import { CBSD_LIST_COMMAND, readCbsdVms } from "./cbsd.ts";
import { readHosterVm, readHosterVms } from "./hoster.ts";
import { readNativeVm, readNativeVms } from "./native.ts";
import { checkVmName, VM_SOURCES, type VmConfig, type VmSource } from "./types.ts";
import { readVmBhyveVm, readVmBhyveVms } from "./vm_bhyve.ts";

/** What the readers need of a host: files, directories and the CBSD listing. */
export type VmHost = Pick<Host, "readText" | "readDir" | "capture" | "kind">;

/** What one source contributed to a scan. */
export interface SourceStatus {
  readonly source: VmSource;
  /** True when the source is installed / configured on this host. */
  readonly found: boolean;
  readonly vms: number;
}

/** Every VM config of every active source. */
export interface VmInventory {
  /** Sorted by source (native, hoster, vm-bhyve, cbsd), then VM name. */
  readonly vms: VmConfig[];
  /** Findings about the sources themselves (a missing directory, a broken host_config.json). */
  readonly findings: Finding[];
  readonly sources: SourceStatus[];
}

/** The sources pptkit reads, in preference order. */
export function activeSources(config: PptkitConfig): VmSource[] {
  const wanted = config.sources;
  return VM_SOURCES.filter((s) => wanted === null || wanted.includes(s));
}

function where(source: VmSource, config: PptkitConfig): string {
  switch (source) {
    case "native":
      return config.native.dir;
    case "hoster":
      return config.hoster.vmDirs?.join(", ") ??
        `host_config.json in ${config.hoster.configDirs.join(", ")}`;
    case "vm-bhyve":
      return config.vmBhyve.vmDir ?? "vm_dir in /etc/rc.conf";
    case "cbsd":
      return `table bhyveppt of cbsd_workdir/var/db/local.sqlite, ${CBSD_LIST_COMMAND}`;
  }
}

/** Reads every VM config of the active sources. Never throws for malformed configs. */
export async function loadVmConfigs(host: VmHost, config: PptkitConfig): Promise<VmInventory> {
  const vms: VmConfig[] = [];
  const findings: Finding[] = [];
  const sources: SourceStatus[] = [];
  const explicit = config.sources !== null;
  for (const source of activeSources(config)) {
    let scan: { vms: VmConfig[]; findings: Finding[]; found: boolean };
    switch (source) {
      case "native":
        scan = await readNativeVms(host, config.native.dir);
        break;
      case "hoster":
        scan = await readHosterVms(host, config);
        break;
      case "vm-bhyve":
        scan = await readVmBhyveVms(host, config);
        break;
      case "cbsd":
        scan = await readCbsdVms(host);
        break;
    }
    if (!scan.found && explicit) {
      findings.push({
        level: "warn",
        code: "vm-config",
        message: `VM config source ${source} is enabled in ${
          config.file ?? "pptkit.jsonc"
        } but not found (looked at ${where(source, config)})`,
        fix: `remove "${source}" from "sources", or say where its VMs are in pptkit.jsonc`,
      });
    }
    vms.push(...scan.vms.sort((a, b) => compareText(a.vm, b.vm)));
    findings.push(...scan.findings);
    sources.push({ source, found: scan.found, vms: scan.vms.length });
  }
  return { vms, findings, sources };
}

async function readOne(
  host: VmHost,
  config: PptkitConfig,
  vm: string,
  source: VmSource,
): Promise<VmConfig | null> {
  switch (source) {
    case "native":
      return await readNativeVm(host, config.native.dir, vm);
    case "hoster":
      return await readHosterVm(host, config, vm);
    case "vm-bhyve":
      return await readVmBhyveVm(host, config, vm);
    case "cbsd":
      return (await readCbsdVms(host, vm)).vms.find((c) => c.vm === vm) ?? null;
  }
}

/**
 * Reads one VM's config, for commands about one VM (`plan`, `hook`, `check --vm`). With
 * `source` (the hook's `--wrapper`) only that source is read; otherwise the active sources are
 * read in preference order and the first that has the VM wins (an info finding names the
 * others). Throws 66 when no source has the VM. The config may carry error findings: apply
 * {@linkcode requireUsable} before using it.
 */
export async function loadVmConfig(
  host: VmHost,
  config: PptkitConfig,
  vm: string,
  source?: VmSource,
): Promise<VmConfig> {
  checkVmName(vm);
  const order = source === undefined ? activeSources(config) : [source];
  const found: VmConfig[] = [];
  for (const s of order) {
    const one = await readOne(host, config, vm, s);
    if (one !== null) found.push(one);
  }
  if (found.length === 0) {
    const looked = order.map((s) => `${s} (${where(s, config)})`).join(", ");
    throw new PptkitError(
      ExitCode.NoInput,
      `VM ${vm} not found in ${looked}`,
      source === undefined
        ? `create ${config.native.dir}/${vm}.jsonc with {"passthru": ["B/S/F"]}, ` +
          "or set sources in pptkit.jsonc"
        : "check the VM name and --wrapper",
    );
  }
  const [chosen, ...others] = found;
  if (others.length === 0) return chosen;
  const also = others.map((o) => `${o.source} (${o.file})`).join(", ");
  return {
    ...chosen,
    findings: [...chosen.findings, {
      level: "info",
      code: "vm-config",
      message: `VM ${vm} is also configured in ${also}; pptkit uses ${chosen.source} ` +
        `(${chosen.file})`,
      fix: "pass --wrapper to choose, or remove the VM from the sources you do not use",
    }],
  };
}
