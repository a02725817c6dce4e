/**
 * `acpidump -t` text -> which IOMMU the firmware describes.
 *
 * acpidump prints every table header as two spaces, the 4-character signature and
 * `: Length=...` (`acpi_print_sdt()` in usr.sbin/acpi/acpidump/acpi.c), whether or not it has a
 * decoder for the table. So Intel VT-d is present exactly when a `DMAR: Length=` header is there,
 * AMD-Vi when an `IVRS: Length=` header is (freebsd-facts §6). Indentation is tolerated.
 *
 * @module
 */

import { lines } from "./text.ts";

/** The IOMMU kinds of DESIGN §6; `unknown` when no acpidump output was available. */
export type IommuKind = "vt-d" | "amd-vi" | "none" | "unknown";

/** What the ACPI tables say about DMA remapping. */
export interface IommuFacts {
  readonly kind: IommuKind;
  /** A DMAR table (Intel VT-d) was found. */
  readonly dmar: boolean;
  /** An IVRS table (AMD-Vi) was found. */
  readonly ivrs: boolean;
}

/** A table header line for `signature`: optional blanks, `SIG: Length=`. */
function isTableHeader(line: string, signature: string): boolean {
  let i = 0;
  while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  return line.startsWith(signature + ": Length=", i);
}

/** Reads acpidump -t output; null input (no capture) gives `unknown`. */
export function detectIommu(text: string | null): IommuFacts {
  if (text === null) return { kind: "unknown", dmar: false, ivrs: false };
  let dmar = false, ivrs = false;
  for (const [, line] of lines(text)) {
    if (!dmar && isTableHeader(line, "DMAR")) dmar = true;
    if (!ivrs && isTableHeader(line, "IVRS")) ivrs = true;
  }
  const kind: IommuKind = dmar ? "vt-d" : ivrs ? "amd-vi" : "none";
  return { kind, dmar, ivrs };
}
