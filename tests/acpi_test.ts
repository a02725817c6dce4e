import assert from "node:assert/strict";
import { detectIommu } from "../core/acpi.ts";
import { DEMO } from "./helpers.ts";

const header = (sig: string) =>
  `/*\n  ${sig}: Length=168, Revision=1, Checksum=207,\n\tOEMID=INTEL, OEM Table ID=EDK2, OEM Revision=0x2,\n */\n`;

Deno.test("detectIommu() finds Intel VT-d from the DMAR table header", () => {
  assert.deepEqual(detectIommu(Deno.readTextFileSync(`${DEMO}/acpidump.txt`)), {
    kind: "vt-d",
    dmar: true,
    ivrs: false,
  });
});

Deno.test("detectIommu() finds AMD-Vi from the IVRS table header", () => {
  const facts = detectIommu(header("FACP") + header("IVRS"));
  assert.equal(facts.kind, "amd-vi");
  assert.equal(facts.ivrs, true);
});

Deno.test("detectIommu() says none when neither table is there", () => {
  assert.equal(detectIommu(header("FACP") + header("APIC")).kind, "none");
  assert.equal(detectIommu("").kind, "none");
});

Deno.test("detectIommu() ignores DMAR mentioned outside a table header", () => {
  const text = header("FACP") + "\tDMAR remapping is described elsewhere\n" +
    "  XSDT: Length=172, Entries={ DMAR: Length=1 }\n";
  assert.equal(detectIommu(text).kind, "none");
});

Deno.test("detectIommu() gives unknown without a capture", () => {
  assert.equal(detectIommu(null).kind, "unknown");
});
