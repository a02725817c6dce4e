/**
 * Hygiene of the shipped artifact (DESIGN §1, §2, §15): dist/pptkit.js has no Node
 * compatibility and no network code, starts with its shebang, dist/pptkit is the launcher and is
 * executable, and the start-up paths that must stay light (`list --json`, `hook prestart`) never
 * initialise the table renderer.
 *
 * `deno bundle` inlines every module; one reached through a lazy `import()` becomes a lazily
 * initialised module (`var init_x = __esm({"cli/x.ts"() {...}})`), whose top-level code runs only
 * when `init_x()` is called. Two checks, neither timing anything:
 *
 * - structural: the modules initialised by main's static imports and by the command's own
 *   static imports (the `init_*()` calls at the top of each `__esm` body) exclude cli/render.ts;
 * - instrumented: a copy of the bundle whose `__esm` helper writes each module it initialises to
 *   stderr, run through the launcher, shows which modules a real run initialised. A run of the
 *   table (`list`) shows cli/render.ts, which proves the instrumentation sees it.
 */
import assert from "node:assert/strict";
import { copyDir, DEMO, LAUNCHER, pptkit, ROOT, scratch } from "./helpers.ts";

const BUNDLE = `${ROOT}dist/pptkit.js`;
const bundleText = () => Deno.readTextFile(BUNDLE);

Deno.test("bundle: no Node compatibility (createRequire, node: imports)", async () => {
  const text = await bundleText();
  for (const marker of ["createRequire", 'from "node:', 'import("node:', 'require("node:']) {
    assert.ok(!text.includes(marker), `dist/pptkit.js contains ${marker}`);
  }
});

Deno.test("bundle: no network code (fetch, sockets, DNS)", async () => {
  const text = await bundleText();
  for (const marker of ["fetch(", "Deno.connect", "Deno.listen", "WebSocket", "resolveDns"]) {
    assert.ok(!text.includes(marker), `dist/pptkit.js contains ${marker}`);
  }
});

Deno.test("bundle: shebang, launcher next to it, both executable", async () => {
  const text = await bundleText();
  assert.equal(text.slice(0, text.indexOf("\n")), "#!/usr/bin/env -S deno run");
  for (const file of [LAUNCHER, BUNDLE]) {
    const mode = (await Deno.stat(file)).mode!;
    assert.equal(mode & 0o111, 0o111, `${file} is executable (mode ${mode.toString(8)})`);
  }
  assert.equal(
    await Deno.readTextFile(LAUNCHER),
    await Deno.readTextFile(`${ROOT}launcher.sh`),
    "dist/pptkit is launcher.sh",
  );
});

/** The lazily initialised modules of a bundle: init function -> module path and its static inits. */
interface InitGraph {
  readonly modules: Map<string, { path: string; inits: string[] }>;
  /** Initialised when the bundle starts (main's static imports). */
  readonly topLevel: string[];
  /** The init function a command's lazy loader calls. */
  readonly commands: Map<string, string>;
}

function initGraph(text: string): InitGraph {
  const lines = text.split("\n");
  const modules = new Map<string, { path: string; inits: string[] }>();
  const topLevel: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^var (init_\w+) = __esm\(\{$/.exec(lines[i]);
    if (head !== null) {
      const path = /^ {2}"([^"]+)"\(\) \{$/.exec(lines[i + 1])?.[1];
      assert.ok(path !== undefined, `module path after ${lines[i]}`);
      const inits: string[] = [];
      // The body's first statements are the static imports' inits.
      for (i += 2; i < lines.length && lines[i] !== "});"; i++) {
        const call = /^ {4}(init_\w+)\(\);$/.exec(lines[i]);
        if (call !== null) inits.push(call[1]);
      }
      modules.set(head[1], { path, inits });
      continue;
    }
    const call = /^(init_\w+)\(\);$/.exec(lines[i]);
    if (call !== null) topLevel.push(call[1]);
  }
  const commands = new Map<string, string>();
  const entry =
    /name: "([\w-]+)",\n\s+summary: [^\n]*\n\s+load: [^\n]*?\((init_\w+)\(\), \w+_exports\)/g;
  for (const m of text.matchAll(entry)) commands.set(m[1], m[2]);
  return { modules, topLevel, commands };
}

/** Module paths initialised, statically, when the bundle starts and loads `command`. */
function staticModules(graph: InitGraph, command: string): Set<string> {
  const seen = new Set<string>();
  const visit = (init: string) => {
    const module = graph.modules.get(init);
    if (module === undefined || seen.has(module.path)) return;
    seen.add(module.path);
    for (const next of module.inits) visit(next);
  };
  for (const init of graph.topLevel) visit(init);
  const init = graph.commands.get(command);
  assert.ok(init !== undefined, `command ${command} in the bundle's table`);
  visit(init);
  return seen;
}

const HAS_HOOK = (await Deno.readTextFile(`${ROOT}cli/commands.ts`)).includes('name: "hook"');
const LIGHT_COMMANDS = HAS_HOOK ? ["list", "hook"] : ["list"];

Deno.test("bundle: the init graph is what these checks expect", async () => {
  const graph = initGraph(await bundleText());
  assert.ok(graph.modules.size > 5, "the bundle has lazily initialised modules");
  assert.ok([...graph.modules.values()].some((m) => m.path === "cli/render.ts"));
  // A command that draws tables does pull the renderer in statically: the check can see it.
  assert.ok(staticModules(graph, "show").has("cli/render.ts"), "show draws with render.ts");
});

for (const command of LIGHT_COMMANDS) {
  Deno.test(`bundle: ${command} does not statically initialise cli/render.ts`, async () => {
    const modules = staticModules(initGraph(await bundleText()), command);
    assert.ok(
      !modules.has("cli/render.ts"),
      `${command} initialises cli/render.ts at load time (through ${
        [...modules].filter((m) => m.startsWith("cli/")).join(", ")
      }): import it lazily, in the branch that draws the table`,
    );
  });
}

/** A copy of the bundle whose `__esm` helper reports each module it initialises. */
async function instrumentedBundle(dir: string): Promise<string> {
  const text = await bundleText();
  const helper = "var __esm = (fn, res) => function __init() {\n";
  assert.equal(text.split(helper).length, 2, "the bundle's __esm helper, exactly once");
  const traced = text.replace(
    helper,
    helper +
      '  if (fn) Deno.stderr.writeSync(new TextEncoder().encode("@@init " + ' +
      '__getOwnPropNames(fn)[0] + "\\n"));\n',
  );
  await Deno.writeTextFile(`${dir}/pptkit.js`, traced);
  return `${dir}/pptkit.js`;
}

function initialised(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("@@init ")).map((l) => l.slice(7));
}

Deno.test("bundle: a run of list --json never initialises cli/render.ts", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const env = { PPTKIT_BUNDLE: await instrumentedBundle(dir) };
    const table = await pptkit(["list", "--snapshot", DEMO], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.ok(initialised(table.stderr).includes("cli/render.ts"), "the table uses render.ts");
    const json = await pptkit(["list", "--json", "--snapshot", DEMO], { env });
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).schema, "pptkit.inventory/1");
    const modules = initialised(json.stderr);
    assert.ok(
      !modules.includes("cli/render.ts"),
      `list --json initialised cli/render.ts (modules: ${modules.join(", ")})`,
    );
  } finally {
    await cleanup();
  }
});

Deno.test({
  name: "bundle: a run of hook prestart never initialises cli/render.ts",
  ignore: !HAS_HOOK,
  async fn() {
    const [dir, cleanup] = await scratch();
    try {
      const env = { PPTKIT_BUNDLE: await instrumentedBundle(dir) };
      const snap = `${dir}/snap`;
      await copyDir(DEMO, snap);
      const r = await pptkit(
        ["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0,1/0/1", "vm1"],
        { env },
      );
      const modules = initialised(r.stderr);
      assert.ok(modules.includes("cli/hook.ts"), `the hook ran: ${r.stderr}`);
      assert.ok(
        !modules.includes("cli/render.ts"),
        `hook prestart initialised cli/render.ts (modules: ${modules.join(", ")})`,
      );
    } finally {
      await cleanup();
    }
  },
});
