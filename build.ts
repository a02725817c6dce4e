/**
 * `deno task bundle`: builds what ships and what CI tests end to end.
 *
 * - `dist/pptkit.js`: main.ts and its dependencies in one file (`deno bundle`), with a shebang.
 * - `dist/pptkit`: the sh launcher (launcher.sh) that runs the bundle with least permissions.
 *
 * Fails when the bundle pulls in Node compatibility (`createRequire`, `from "node:`): it would
 * make every start 1.3-1.8x slower (DESIGN §2).
 *
 * @module
 */

const root = new URL(".", import.meta.url).pathname;
const dist = `${root}dist`;

await Deno.mkdir(dist, { recursive: true });
const out = await new Deno.Command(Deno.execPath(), {
  args: ["bundle", "--quiet", `${root}main.ts`, "-o", `${dist}/pptkit.js`],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!out.success) {
  console.error("bundle: deno bundle failed");
  Deno.exit(1);
}

const bundle = await Deno.readTextFile(`${dist}/pptkit.js`);
for (const marker of ["createRequire", 'from "node:']) {
  if (bundle.includes(marker)) {
    console.error(
      `bundle: dist/pptkit.js contains ${marker}: runtime code must not use Node compatibility`,
    );
    Deno.exit(1);
  }
}
await Deno.copyFile(`${root}launcher.sh`, `${dist}/pptkit`);
await Deno.chmod(`${dist}/pptkit`, 0o755);
await Deno.chmod(`${dist}/pptkit.js`, 0o755);
