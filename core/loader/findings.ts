/**
 * Findings about the loader configuration (DESIGN §7): pptdevs syntax as the kernel will read
 * it, values over the limit, variables the kernel never reads, duplicates, tokens matching
 * several PCI domains, `vmm_load`, and AMD-Vi.
 *
 * @module
 */

import {
  formatBsf,
  formatSelector,
  MAX_BUS,
  MAX_FUNCTION,
  MAX_SLOT,
  parseAddress,
  type PciAddress,
} from "../address.ts";
import { PptkitError } from "../errors.ts";
import type { Finding } from "../findings.ts";
import { LOADER_CONF } from "../paths.ts";
import { editDistance, joinAnd, words } from "../text.ts";
import {
  droppedAtBoot,
  isCleanToken,
  type KernelToken,
  PPTDEVS_VALUE_LIMIT,
  PPTDEVS_VARIABLES,
  readPptdevsValue,
  type ReservedDevice,
  reservedDevices,
} from "./kernel.ts";
import { BOM, isBlank, skipBlanks } from "./lines.ts";
import {
  AMDVI_TUNABLES,
  type Assignment,
  effectiveAssignment,
  lineRef,
  type LoaderValues,
} from "./values.ts";

/** Collapses blanks to single spaces: the value a user with tabs or double spaces meant. */
function singleSpaced(value: string): string {
  return words(value, isBlank).join(" ");
}

/** The hint address.ts gives for a token it cannot read as B/S/F, if any. */
function addressHint(text: string): string | undefined {
  try {
    parseAddress(text, "bsf");
    return undefined;
  } catch (e) {
    return e instanceof PptkitError ? e.hint : undefined;
  }
}

/** A `pptdevs-syntax` finding for one token the kernel does not read as written. */
export function tokenFinding(variable: string, a: Assignment, token: KernelToken): Finding | null {
  if (isCleanToken(token)) return null;
  const where = `${variable} token ${JSON.stringify(token.text)}`;
  const base = { code: "pptdevs-syntax" as const, file: a.file, line: a.line };
  if (token.numbers.length === 3 && token.address === null) {
    const [bus, slot, fn] = token.numbers;
    const what = bus < 0 || bus > MAX_BUS
      ? `bus ${bus} is out of range 0-${MAX_BUS}`
      : slot < 0 || slot > MAX_SLOT
      ? `slot ${slot} is out of range 0-${MAX_SLOT}`
      : `function ${fn} is out of range 0-${MAX_FUNCTION}`;
    return {
      ...base,
      level: "error",
      message: `${where}: ${what}, no device can match it`,
      fix: "remove it, or write the device's B/S/F as pciconf -l shows it",
    };
  }
  // Only a single space separates tokens: what the user meant is the token cut at every
  // blank, comma or semicolon (`1/0/0,1/0/1` means both devices, not 1/0/0 alone).
  const meant = singleSpaced(token.text.replaceAll(",", " ").replaceAll(";", " "));
  if (meant.includes(" ")) {
    const got = token.address === null ? null : formatBsf(token.address)!;
    const lost = readPptdevsValue(meant).filter((t) => t.address !== null)
      .map((t) => formatBsf(t.address!)!).filter((b) => b !== got);
    const separator = token.text.includes(",")
      ? "a comma"
      : token.text.includes(";")
      ? "a semicolon"
      : token.text.includes("\t")
      ? "a tab"
      : "a blank other than a space";
    return {
      ...base,
      level: lost.length > 0 || got === null ? "error" : "warn",
      message: `${where}: ${separator} is not a separator: the kernel ` +
        (got === null
          ? (lost.length > 0
            ? `reads one bad token, so it never sees ${joinAnd(lost)}`
            : "reads one bad token and ignores it")
          : `reserves ${got}` + (lost.length > 0 ? ` and never sees ${joinAnd(lost)}` : "")),
      fix: `separate devices with single spaces: ${JSON.stringify(meant)}`,
      ...(token.address === null ? {} : { device: formatSelector(token.address) }),
    };
  }
  if (token.address !== null) {
    const bsf = formatBsf(token.address)!;
    return {
      ...base,
      level: "warn",
      message: token.ignored === ""
        ? `${where}: the kernel reads it as ${bsf}`
        : `${where}: the kernel reserves ${bsf} and ignores ${JSON.stringify(token.ignored)}`,
      fix: `write it as ${bsf}`,
      device: formatSelector(token.address),
    };
  }
  // Nothing usable: the kernel silently skips the token.
  const t = token.text;
  const hint = addressHint(t);
  let problem: string;
  if (t.includes("0x") || t.includes("0X")) {
    problem = "is hexadecimal: the kernel reads decimal only and ignores it";
  } else if (t.includes(":")) {
    problem = "is not B/S/F (pptdevs takes no pci domain prefix): the kernel ignores it";
  } else {
    problem = "is not a B/S/F: the kernel ignores it";
  }
  return {
    ...base,
    level: "error",
    message: `${where} ${problem}`,
    fix: hint ?? "write the device as decimal bus/slot/function like 2/0/0, or remove it",
  };
}

/** True for names that look like a pptdevs variable but that the kernel never reads. */
function isIgnoredPptdevsName(key: string): boolean {
  return key.startsWith("pptdev") && !(PPTDEVS_VARIABLES as readonly string[]).includes(key);
}

/**
 * Findings about the pptdevs variables of these files, as the kernel will read them:
 * - `pptdevs-syntax`: a token the kernel does not read as written (tab, hex, `pci0:` prefix,
 *   junk, trailing text, out of range), a pptdevs line the loader rejects, a value using `\`/`$`;
 * - `pptdevs-too-long`: a value over 128 characters (error when the kernel drops it at boot);
 * - `pptdevs4-ignored`: `pptdevs4`, `pptdevs0`, `pptdev`, ...: variables the kernel never reads;
 * - `pptdevs-duplicate`: one device listed twice.
 */
export function pptdevsFindings(values: LoaderValues): Finding[] {
  const out: Finding[] = [];
  for (const r of values.rejected) {
    if (r.key === null || !r.key.startsWith("pptdev")) continue;
    out.push({
      level: "error",
      code: "pptdevs-syntax",
      message: `the loader rejects this ${r.key} line (${r.reason}): it sets nothing`,
      fix: r.text.startsWith(BOM) ? BOM_FIX : `write it as ${r.key}="1/0/0 2/0/0": decimal ` +
        "B/S/F in double quotes, single spaces",
      file: r.file,
      line: r.line,
    });
  }
  const firstSeen = new Map<string, { variable: string; a: Assignment }>();
  for (const variable of PPTDEVS_VARIABLES) {
    const a = effectiveAssignment(values, variable);
    if (a === undefined) continue;
    if (a.expands) {
      out.push({
        level: "warn",
        code: "pptdevs-syntax",
        message: `${variable} uses \\ or $ (${JSON.stringify(a.raw)}): ` +
          "its value depends on the loader environment",
        fix: "write the devices out literally",
        file: a.file,
        line: a.line,
      });
    }
    const tokens = readPptdevsValue(a.value);
    if (a.value.length > PPTDEVS_VALUE_LIMIT) {
      const dropped = droppedAtBoot(variable, a.value);
      out.push({
        level: dropped ? "error" : "warn",
        code: "pptdevs-too-long",
        message: `${variable} is ${a.value.length} characters, over the ` +
          `${PPTDEVS_VALUE_LIMIT}-character limit of vmm(4)` +
          (dropped
            ? `: the kernel drops it at boot, so none of its ${tokens.length} devices is reserved`
            : ""),
        fix: `move devices to the next of pptdevs, pptdevs2, pptdevs3 so that each value has ` +
          `at most ${PPTDEVS_VALUE_LIMIT} characters`,
        file: a.file,
        line: a.line,
      });
    }
    for (const token of tokens) {
      const f = tokenFinding(variable, a, token);
      if (f !== null) out.push(f);
      if (token.address === null) continue;
      const bsf = formatBsf(token.address)!;
      const first = firstSeen.get(bsf);
      if (first === undefined) {
        firstSeen.set(bsf, { variable, a });
        continue;
      }
      out.push({
        level: "warn",
        code: "pptdevs-duplicate",
        message: `${bsf} is listed twice: in ${first.variable} (${lineRef(first.a)}) ` +
          `and in ${variable} (${lineRef(a)})`,
        fix: `remove one ${bsf}: it wastes room in the 128-character values`,
        device: formatSelector(token.address),
        file: a.file,
        line: a.line,
      });
    }
  }
  const reserved = new Set(reservedDevices(values).map((d) => d.bsf));
  for (const [key, list] of values.assignments) {
    if (!isIgnoredPptdevsName(key)) continue;
    const a = list[list.length - 1];
    const lost = readPptdevsValue(a.value).filter((t) => t.address !== null)
      .map((t) => formatBsf(t.address!)!).filter((b) => !reserved.has(b));
    out.push({
      level: lost.length > 0 ? "error" : "warn",
      code: "pptdevs4-ignored",
      message: `the kernel never reads ${key} (only pptdevs, pptdevs2 and pptdevs3)` +
        (lost.length > 0
          ? `: ${joinAnd(lost)} ${lost.length === 1 ? "is" : "are"} not reserved`
          : ""),
      fix: lost.length > 0
        ? `move the devices into pptdevs, pptdevs2 or pptdevs3: pptkit reserve ${lost.join(" ")}`
        : `remove the ${key} line`,
      file: a.file,
      line: a.line,
    });
  }
  return out;
}

/** How to get rid of a byte order mark, with FreeBSD's own tools. */
const BOM_FIX = "save the file without the byte order mark (its first 3 bytes, EF BB BF; " +
  "see them with: head -c 3 FILE | hexdump -C)";

/**
 * `loader-conf-bom`: a line the loader rejects because a UTF-8 byte order mark starts it, when
 * it would set a variable other than pptdevs (pptdevsFindings reports those).
 */
export function bomFindings(values: LoaderValues): Finding[] {
  return values.rejected.filter((r) =>
    r.text.startsWith(BOM) && r.key !== null && !r.key.startsWith("pptdev")
  ).map((r) => ({
    level: "warn",
    code: "loader-conf-bom",
    message: `the loader rejects this ${r.key} line: a UTF-8 byte order mark starts it, ` +
      `so ${r.key} is not set`,
    fix: BOM_FIX,
    file: r.file,
    line: r.line,
  }));
}

/** The variables pptkit reads, for "did you mean". */
const KNOWN_VARIABLES: readonly string[] = [
  ...PPTDEVS_VARIABLES,
  "vmm_load",
  "hw.vmm.amdvi.enable",
  "hw.vmm.amdvi_enable",
];

/** A variable name that is one slip away from one pptkit reads: case, a `_`/`.`/`-`, a typo. */
function meantVariable(key: string): string | undefined {
  if (KNOWN_VARIABLES.includes(key) || key.startsWith("pptdev")) return undefined;
  const bare = (k: string) =>
    k.toLowerCase().replaceAll("_", "").replaceAll(".", "").replaceAll("-", "");
  return KNOWN_VARIABLES.find((k) => bare(k) === bare(key)) ??
    KNOWN_VARIABLES.find((k) => key.length >= 5 && editDistance(key.toLowerCase(), k) === 1);
}

/**
 * `loader-conf-typo`: a variable the loader sets but nothing reads, that is one slip away from
 * one that matters (`PPTDEVS`, `ppt_devs`, `vmm_laod`): loader variables are case-sensitive and
 * spelled exactly, so the line does nothing.
 */
export function typoFindings(values: LoaderValues): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const places = [
    ...[...values.assignments.values()].map((list) => list[list.length - 1]),
    ...values.rejected.filter((r) => r.key !== null),
  ];
  for (const a of places) {
    const key = a.key!;
    const meant = meantVariable(key);
    if (meant === undefined || seen.has(key)) continue;
    seen.add(key);
    const devices = "value" in a && meant.startsWith("pptdevs")
      ? readPptdevsValue(a.value).filter((t) => t.address !== null).map((t) =>
        formatBsf(t.address!)!
      )
      : [];
    out.push({
      level: "warn",
      code: "loader-conf-typo",
      message: `${key} is not a variable the kernel or the loader reads ` +
        `(did you mean ${meant}?): the line does nothing`,
      fix: devices.length > 0
        ? `remove the line and reserve the devices: pptkit reserve ${devices.join(" ")}`
        : `rename it to ${meant}, spelled exactly (loader variables are case-sensitive)`,
      file: a.file,
      line: a.line,
    });
  }
  return out;
}

/**
 * `pptdevs-multi-domain`: `vmm_is_pptdev` compares bus/slot/function only, so a token matches
 * the device with that B/S/F in every PCI domain. `hostDevices` are the addresses pciconf lists.
 */
export function multiDomainFindings(
  reserved: readonly ReservedDevice[],
  hostDevices: readonly PciAddress[],
): Finding[] {
  const byBsf = new Map<string, PciAddress[]>();
  for (const d of hostDevices) {
    const key = `${d.bus}/${d.slot}/${d.function}`;
    const list = byBsf.get(key) ?? [];
    list.push(d);
    byBsf.set(key, list);
  }
  const out: Finding[] = [];
  for (const r of reserved) {
    const matches = byBsf.get(r.bsf) ?? [];
    const domains = new Set(matches.map((d) => d.domain));
    if (domains.size < 2) continue;
    const where = r.file === null ? "kenv: " : "";
    out.push({
      level: "warn",
      code: "pptdevs-multi-domain",
      message: `${where}${r.variable} token ${r.bsf} matches ${matches.length} devices, ` +
        `${joinAnd(matches.map(formatSelector))}: the kernel ignores the PCI domain, so ppt(4) ` +
        "claims every one of them",
      fix: `remove ${r.bsf} from ${r.variable} and bind ${formatSelector(r.address)} at runtime ` +
        "instead (pptkit reserve --now, devctl set driver)",
      device: formatSelector(r.address),
      ...(r.file === null ? {} : { file: r.file, line: r.line! }),
    });
  }
  return out;
}

/**
 * What the kernel's `getenv_int` makes of a tunable: `strtoq(value, 0)` (blanks, sign, `0x` hex,
 * `0` octal, decimal) and at most one `k`/`m`/`g`/`t` suffix. null when it cannot read it, in
 * which case the tunable keeps its default.
 */
export function tunableNumber(value: string): number | null {
  let i = skipBlanks(value, 0);
  let sign = 1;
  if (value[i] === "+" || value[i] === "-") {
    if (value[i] === "-") sign = -1;
    i++;
  }
  let base = 10;
  if (value[i] === "0" && (value[i + 1] === "x" || value[i + 1] === "X")) {
    base = 16;
    i += 2;
  } else if (value[i] === "0") {
    base = 8;
  }
  const start = i;
  let n = 0;
  for (; i < value.length; i++) {
    const d = parseInt(value[i], base);
    if (Number.isNaN(d)) break;
    n = n * base + d;
  }
  if (i === start) return null;
  const rest = value.slice(i);
  const scale: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const factor = scale[rest.toLowerCase()];
  return factor === undefined ? null : sign * n * factor;
}

/** True when the loader will load vmm.ko: the effective `vmm_load` is YES (any case). */
export function vmmLoadedByLoader(values: LoaderValues): boolean {
  return effectiveAssignment(values, "vmm_load")?.value === "YES";
}

/**
 * `vmm-not-from-loader` when no effective `vmm_load="YES"`: without vmm.ko at boot, ppt(4) cannot
 * win against host drivers and pptdevs does nothing. Error when pptdevs reserves devices, warn
 * otherwise. null when vmm is loaded by the loader.
 */
export function vmmLoadFinding(values: LoaderValues): Finding | null {
  if (vmmLoadedByLoader(values)) return null;
  const a = effectiveAssignment(values, "vmm_load");
  const reserving = reservedDevices(values).length > 0;
  return {
    level: reserving ? "error" : "warn",
    code: "vmm-not-from-loader",
    message:
      (a === undefined
        ? 'the loader does not load vmm: no vmm_load="YES" in the loader configuration'
        : `vmm_load is ${JSON.stringify(a.raw)}, the loader does not load vmm`) +
      (reserving ? ": pptdevs has no effect without it" : ""),
    fix: `set vmm_load="YES" in ${a?.file ?? LOADER_CONF} and reboot (pptkit reserve does it)`,
    ...(a === undefined ? {} : { file: a.file, line: a.line }),
  };
}

/**
 * Whether the loader configuration enables AMD-Vi: `hw.vmm.amdvi.enable` or its alias
 * `hw.vmm.amdvi_enable` set to a non-zero number. Both feed one kernel variable and which one
 * wins when both are set is UNVERIFIED, so a conflict (one non-zero, the other zero or
 * unreadable) counts as not enabled.
 */
export function amdviEnabled(values: LoaderValues): boolean {
  let on = false;
  for (const name of AMDVI_TUNABLES) {
    const a = effectiveAssignment(values, name);
    if (a === undefined) continue;
    const n = tunableNumber(a.value);
    if (n === null || n === 0) return false;
    on = true;
  }
  return on;
}

/**
 * `amdvi-disabled` for a host with AMD-Vi (an IVRS table) whose loader configuration does not
 * enable it: vmm then leaves the IOMMU off and every passthrough fails. null otherwise.
 */
export function amdviFinding(values: LoaderValues, hostHasAmdVi: boolean): Finding | null {
  if (!hostHasAmdVi || amdviEnabled(values)) return null;
  const set = AMDVI_TUNABLES.map((name) => effectiveAssignment(values, name))
    .filter((a): a is Assignment => a !== undefined && tunableNumber(a.value) !== 1);
  const a = set[set.length - 1];
  return {
    level: "error",
    code: "amdvi-disabled",
    message: a === undefined
      ? "this host has AMD-Vi but hw.vmm.amdvi.enable is not set: vmm leaves the IOMMU off " +
        "and passthrough fails"
      : `this host has AMD-Vi but ${a.key} is ${JSON.stringify(a.raw)}: vmm leaves ` +
        "the IOMMU off and passthrough fails",
    fix: `set hw.vmm.amdvi.enable=1 in ${a?.file ?? LOADER_CONF} and reboot ` +
      "(pptkit reserve does it)",
    ...(a === undefined ? {} : { file: a.file, line: a.line }),
  };
}
