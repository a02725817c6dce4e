/**
 * The bench's probes run (deno task bench is not part of the tests): each one, on a small
 * synthetic host, with the permissions the bench gives it, prints its JSON with finite times.
 * No time is asserted.
 *
 * @module
 */

import assert from "node:assert/strict";
import { probeArgs, type ProbeKind } from "../bench/bench.ts";
import { generate, writeHost } from "../bench/synth.ts";
import { scratch } from "./helpers.ts";

Deno.test("bench probes: inventory, planning and plan each print their figures", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const host = `${dir}/s64`;
    await writeHost(host, generate({ devices: 64, seed: 1, sriov: { cards: 1, vfsPerPort: 4 } }));
    const kinds: [ProbeKind, string][] = [
      ["inventory", "cold"],
      ["planning", "cold"],
      ["plan", "cold"],
    ];
    for (const [kind, field] of kinds) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: probeArgs(kind, host, dir, "--no-opt"),
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${kind}: ${stderr}`);
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.ok(Number.isFinite(result[field]), `${kind}: ${JSON.stringify(result)}`);
      assert.ok(result.code === undefined || result.code === 0, `${kind}: ${result.stderr}`);
    }
  } finally {
    await cleanup();
  }
});
