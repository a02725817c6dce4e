/**
 * Whole logs (fixtures/explain/logs, one test per log): wrapper logs, boot messages, `ps` lines
 * and command lines, each with the conclusion `explain` must reach (NAME.json, described in
 * fixtures/explain/README.md), in process against the host snapshot the fixture names.
 */
import assert from "node:assert/strict";
import { explainFacts } from "../app/explain.ts";
import { loadConfig } from "../core/config.ts";
import { explainText } from "../core/explain/explain.ts";
import type { ExplainCheck, ExplainFacts } from "../core/explain/types.ts";
import { SnapshotHost } from "../core/host/snapshot.ts";
import { FIXTURES } from "./helpers.ts";

const DIR = `${FIXTURES}/explain`;

interface Expected {
  readonly host: string | null;
  readonly about: string;
  readonly wrapper: string | null;
  readonly stderr?: string;
  readonly ids: readonly string[];
  readonly messages: readonly {
    readonly id: string;
    readonly lines: readonly number[];
    readonly device?: string;
    readonly errno?: string;
    readonly status?: number;
    readonly holder?: string;
    readonly checks: Readonly<Record<string, string>>;
    readonly fix: string | null;
  }[];
  readonly commandLines: readonly {
    readonly lines: readonly number[];
    readonly vm: string | null;
    readonly wired: boolean;
    readonly codes: readonly string[];
  }[];
  readonly dmesg: {
    readonly pptdevs: readonly {
      readonly bsf: string;
      readonly driver: string | null;
      readonly problem: boolean;
    }[];
    readonly iommu: readonly string[];
    readonly faults: readonly (string | null)[];
  };
}

const hosts = new Map<string, ExplainFacts>();
async function factsOf(name: string): Promise<ExplainFacts> {
  const known = hosts.get(name);
  if (known !== undefined) return known;
  const dir = `${DIR}/hosts/${name}`;
  const got = await explainFacts(
    () => SnapshotHost.open(dir),
    async () => loadConfig(await SnapshotHost.open(dir)),
    { plugins: true },
  );
  if (got.facts === null) throw new Error(got.problem);
  hosts.set(name, got.facts);
  return got.facts;
}

const names = [...Deno.readDirSync(`${DIR}/logs`)]
  .filter((e) => e.name.endsWith(".log"))
  .map((e) => e.name.slice(0, -4))
  .sort();

Deno.test("every log fixture has its expectations", () => {
  assert.ok(names.length >= 18);
  for (const name of names) {
    const expected: Expected = JSON.parse(Deno.readTextFileSync(`${DIR}/logs/${name}.json`));
    assert.ok(expected.about.length > 20, `${name}: says what it shows`);
  }
});

for (const name of names) {
  const expected: Expected = JSON.parse(Deno.readTextFileSync(`${DIR}/logs/${name}.json`));
  Deno.test(`explain ${name}: ${expected.about}`, async () => {
    const facts = expected.host === null ? null : await factsOf(expected.host);
    const report = explainText(Deno.readTextFileSync(`${DIR}/logs/${name}.log`), facts);
    assert.deepEqual(report.messages.map((m) => m.id), expected.ids);
    assert.equal(report.log.wrapper, expected.wrapper);
    if (expected.stderr !== undefined) assert.equal(report.log.stderr, expected.stderr);
    for (const want of expected.messages) {
      const got = report.messages.find((m) => m.id === want.id && m.lines[0] === want.lines[0]);
      assert.ok(got !== undefined, `${want.id} on line ${want.lines[0]}`);
      assert.deepEqual(got.lines, want.lines);
      assert.equal(got.device, want.device ?? null, `${want.id}: device`);
      assert.equal(got.errno?.name ?? undefined, want.errno, `${want.id}: errno`);
      assert.equal(got.status ?? undefined, want.status, `${want.id}: status`);
      assert.equal(got.holder ?? undefined, want.holder, `${want.id}: holder`);
      for (const [check, result] of Object.entries(want.checks)) {
        const named: readonly ExplainCheck[] = got.checks.filter((c) => c.check === check);
        assert.equal(named.at(-1)?.result, result, `${want.id}: ${check}`);
      }
      assert.equal(got.fixes[0] ?? null, want.fix, `${want.id}: first fix`);
    }
    assert.deepEqual(
      report.log.commandLines.map((c) => ({
        lines: c.lines,
        vm: c.vm,
        wired: c.wired,
        codes: c.findings.map((f) => f.code),
      })),
      expected.commandLines,
    );
    assert.deepEqual(
      {
        pptdevs: report.log.dmesg.pptdevs.map((p) => ({
          bsf: p.bsf,
          driver: p.driver,
          problem: p.problem !== null,
        })),
        iommu: report.log.dmesg.iommu.map((u) => u.name),
        faults: report.log.dmesg.faults.map((f) => f.device),
      },
      expected.dmesg,
    );
  });
}
