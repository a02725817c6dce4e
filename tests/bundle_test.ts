/**
 * Hygiene of the shipped artifact (DESIGN §1, §2, §14, §15): dist/pptkit.js and the hook's
 * dist/pptkit-hook.js have no Node compatibility and no network code, start with their shebang,
 * dist/pptkit is the launcher and is executable; the hook's bundle holds no other command and
 * answers as the main one does; both embed the built-in quirk rules parsed and leave out
 * jsonc-parser's formatter; and the start-up paths that must stay light (`list --json`,
 * `hook prestart`) never initialise the table renderer.
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
import { BUILTIN_QUIRKS_FILE, builtinQuirks } from "../app/builtin_quirks.ts";
import { copyDir, DEMO, LAUNCHER, pptkit, ROOT, scratch } from "./helpers.ts";

const BUNDLE = `${ROOT}dist/pptkit.js`;
const HOOK_BUNDLE = `${ROOT}dist/pptkit-hook.js`;
const BUNDLES = [BUNDLE, HOOK_BUNDLE];
const bundleText = (file = BUNDLE) => Deno.readTextFile(file);

Deno.test("bundle: no Node compatibility (createRequire, node: imports)", async () => {
  for (const file of BUNDLES) {
    const text = await bundleText(file);
    for (const marker of ["createRequire", 'from "node:', 'import("node:', 'require("node:']) {
      assert.ok(!text.includes(marker), `${file} contains ${marker}`);
    }
  }
});

Deno.test("bundle: no network code (fetch, sockets, DNS)", async () => {
  for (const file of BUNDLES) {
    const text = await bundleText(file);
    for (const marker of ["fetch(", "Deno.connect", "Deno.listen", "WebSocket", "resolveDns"]) {
      assert.ok(!text.includes(marker), `${file} contains ${marker}`);
    }
  }
});

/** The source modules a bundle holds, from the `// path` line deno bundle writes before each. */
function modulesOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^\/\/ ((?:[\w.@-]+\/)*[\w.-]+\.(?:ts|js|mjs|jsonc))$/gm)) {
    out.add(m[1]);
  }
  return out;
}

Deno.test("bundle: the hook's bundle holds the hook command and no other", async () => {
  const hook = modulesOf(await bundleText(HOOK_BUNDLE));
  const main = modulesOf(await bundleText(BUNDLE));
  assert.ok(hook.has("cli/hook.ts") && main.has("cli/hook.ts"), "both run the hook");
  const commands = (await Deno.readTextFile(`${ROOT}cli/commands.ts`)).matchAll(
    /import\("\.\/(\w+)\.ts"\)/g,
  );
  for (const [, name] of commands) {
    assert.ok(main.has(`cli/${name}.ts`), `the main bundle has cli/${name}.ts`);
    if (name !== "hook") assert.ok(!hook.has(`cli/${name}.ts`), `the hook's has cli/${name}.ts`);
  }
  assert.ok(hook.size < main.size, `${hook.size} modules, the main bundle ${main.size}`);
});

Deno.test("bundle: jsonc-parser without its formatter, the built-in quirk rules as data", async () => {
  for (const file of BUNDLES) {
    const modules = [...modulesOf(await bundleText(file))];
    for (const unwanted of ["impl/format.js", "impl/string-intern.js", "impl/edit.js"]) {
      assert.ok(!modules.some((m) => m.endsWith(unwanted)), `${file} has ${unwanted}`);
    }
    assert.ok(modules.some((m) => m.endsWith("impl/parser.js")), `${file} parses JSONC`);
    // The rules are embedded parsed; the text of quirks.jsonc is not in the bundle.
    assert.ok(!modules.includes("plugins/quirks.jsonc"), `${file} parses quirks.jsonc at run time`);
    assert.ok(modules.includes("dist/.build/builtin_quirks.js"), `${file} embeds the rules`);
  }
});

Deno.test("bundle: the embedded quirk rules are parseQuirks' reading of plugins/quirks.jsonc", async () => {
  const r = await pptkit(["plugins", "--json", "--snapshot", DEMO]);
  assert.equal(r.code, 0, r.stderr);
  const shipped = JSON.parse(r.stdout).rules.filter((rule: { file: string }) =>
    rule.file === BUILTIN_QUIRKS_FILE
  );
  // From source, builtinQuirks() parses the file now.
  assert.deepEqual(shipped, builtinQuirks());
  assert.ok(shipped.length > 0);
});

Deno.test("bundle: the hook answers the same from both bundles", async () => {
  const [dir, cleanup] = await scratch();
  try {
    const runs = (snap: string) => [
      ["hook", "--help"],
      ["hook"],
      ["hook", "prestart", "--bogus", "vm1"],
      ["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0,1/0/1", "vm1"],
      ["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0,1/0/1", "--json", "vm2"],
      ["hook", "poststop", "--snapshot", snap, "vm1"],
    ];
    const answers = async (bundle: string | null, snap: string) => {
      await copyDir(DEMO, snap);
      const out = [];
      for (const args of runs(snap)) {
        const r = await pptkit(args, { env: bundle === null ? {} : { PPTKIT_BUNDLE: bundle } });
        out.push({ args, ...r, stdout: r.stdout.replaceAll(snap, "SNAP") });
      }
      return out;
    };
    const hook = await answers(null, `${dir}/a`);
    const main = await answers(BUNDLE, `${dir}/b`);
    assert.deepEqual(hook, main.map((m, i) => ({ ...m, args: hook[i].args })));
    assert.match(hook[0].stdout, /^usage: pptkit hook /);
    assert.equal(hook[3].code, 0, hook[3].stderr);
    assert.equal(hook[4].code, 75, "vm2 finds the devices held by vm1");
  } finally {
    await cleanup();
  }
});

Deno.test("bundle: shebang, launcher next to it, all executable", async () => {
  for (const file of BUNDLES) {
    const text = await bundleText(file);
    assert.equal(text.slice(0, text.indexOf("\n")), "#!/usr/bin/env -S deno run", file);
  }
  for (const file of [LAUNCHER, ...BUNDLES]) {
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

/** A copy of a bundle whose `__esm` helper reports each module it initialises. */
async function instrumentedBundle(dir: string, file = BUNDLE): Promise<string> {
  const text = await bundleText(file);
  const helper = "var __esm = (fn, res) => function __init() {\n";
  assert.equal(text.split(helper).length, 2, "the bundle's __esm helper, exactly once");
  const traced = text.replace(
    helper,
    helper +
      '  if (fn) Deno.stderr.writeSync(new TextEncoder().encode("@@init " + ' +
      '__getOwnPropNames(fn)[0] + "\\n"));\n',
  );
  const copy = `${dir}/${file.slice(file.lastIndexOf("/") + 1)}`;
  await Deno.writeTextFile(copy, traced);
  return copy;
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
      for (const file of BUNDLES) {
        const env = { PPTKIT_BUNDLE: await instrumentedBundle(dir, file) };
        const snap = `${dir}/snap-${file.slice(file.lastIndexOf("/") + 1)}`;
        await copyDir(DEMO, snap);
        const r = await pptkit(
          ["hook", "prestart", "--snapshot", snap, "--devices", "1/0/0,1/0/1", "vm1"],
          { env },
        );
        const modules = initialised(r.stderr);
        assert.equal(r.code, 0, `the hook ran (${file}): ${r.stderr}`);
        // The main bundle loads the hook lazily, so the instrumentation sees it (the hook's
        // own bundle imports it statically: no lazy module to see).
        if (file === BUNDLE) assert.ok(modules.includes("cli/hook.ts"), r.stderr);
        assert.ok(
          !modules.includes("cli/render.ts"),
          `hook prestart initialised cli/render.ts in ${file} (modules: ${modules.join(", ")})`,
        );
      }
    } finally {
      await cleanup();
    }
  },
});
