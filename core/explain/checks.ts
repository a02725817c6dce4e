/**
 * The checks the catalogue's causes name (core/explain/catalogue/schema.ts `CheckName`), each
 * a function of the host facts and of the rest of the log: the one table of check functions by
 * name. A check says `cause` when it found this cause (on the host, or in a line of the same
 * log, which it names), `ok` when it found it is not, `unknown` when the facts at hand cannot
 * tell (and says which fact is missing), `check` when pptkit cannot check it at all.
 *
 * @module
 */

import type { Cause, CheckName, Entry } from "./catalogue/schema.ts";
import type { CheckContext, Checked, CheckFn } from "./check_context.ts";
import {
  deviceDomain0,
  deviceEndpoint,
  deviceFlr,
  deviceHeld,
  deviceInPptdevs,
  deviceMsi,
  deviceOnPpt,
  devicePresent,
} from "./checks_device.ts";
import {
  amdviEnabled,
  commandLine,
  earlierLine,
  iommuEnabled,
  iommuPresent,
  pptdevsSyntax,
  unchecked,
  vmmFromLoader,
  vmmLoaded,
  wiredMemory,
  wrapperStderr,
} from "./checks_host.ts";
import type { ExplainErrno } from "./types.ts";

export {
  attachAddress,
  type CheckContext,
  type Checked,
  fixFor,
  lostAtBootFix,
} from "./check_context.ts";

/** The table: every check name of the catalogue's schema, by name. */
export const CHECKS: Readonly<Record<CheckName, CheckFn>> = {
  "device-present": devicePresent,
  "device-on-ppt": deviceOnPpt,
  "device-in-pptdevs": deviceInPptdevs,
  "device-held-by-other-vm": deviceHeld,
  "device-domain0": deviceDomain0,
  "device-endpoint": deviceEndpoint,
  "device-msi": deviceMsi,
  "device-flr": deviceFlr,
  "iommu-present": iommuPresent,
  "iommu-enabled": iommuEnabled,
  "amdvi-enabled": amdviEnabled,
  "vmm-loaded": vmmLoaded,
  "vmm-from-loader": vmmFromLoader,
  "pptdevs-syntax": pptdevsSyntax,
  "wired-memory": wiredMemory,
  "command-line": commandLine,
  "wrapper-stderr": wrapperStderr,
  "earlier-line": earlierLine,
  "errno": unchecked,
  "running-as-root": unchecked,
  "guest-memory": unchecked,
  "rom-file": unchecked,
  "manual": unchecked,
};

/** Runs one cause's check; an errno that decides it says so first. */
export function runCheck(cause: Cause, ctx: CheckContext): Checked {
  const checked = CHECKS[cause.check](cause, ctx);
  return { ...checked, check: cause.check };
}

/** The causes that apply to the errno printed (all when none was, or it has no name). */
export function causesFor(entry: Entry, errno: ExplainErrno | null): readonly Cause[] {
  if (errno === null || errno.name === null) return entry.causes;
  const name = errno.name;
  return entry.causes.filter((c) => c.errno === undefined || c.errno.includes(name));
}
