/**
 * A place where community plugins can be trusted in a test (core/host/trust.ts refuses anything
 * under /tmp). Its own module, not tests/helpers.ts: it looks at HOME when it is imported, which
 * the bench (bench/synth.ts imports helpers) has no permission to do.
 *
 * @module
 */

/**
 * Where community plugins can be trusted in a test: below HOME, since pptkit's StrictModes walk
 * (core/host/trust.ts) refuses anything under /tmp, which others can write; null, and the
 * tests that need it are ignored saying so, when HOME's own chain of directories would be
 * refused.
 */
export const TRUSTED_HOME: string | null = (() => {
  const home = Deno.env.get("HOME");
  if (home === undefined) return null;
  const real = Deno.realPathSync(home);
  for (let dir = real;; dir = dir.slice(0, dir.lastIndexOf("/")) || "/") {
    const s = Deno.statSync(dir);
    if ((s.uid !== 0 && s.uid !== Deno.uid()) || (s.mode! & 0o022) !== 0) return null;
    if (dir === "/") return real;
  }
})();
if (TRUSTED_HOME === null) {
  console.log("ignored: tests of trusted plugins need a HOME only root or this user can write");
}

/** A fresh directory below {@linkcode TRUSTED_HOME} (mode 0755), removed by the function. */
export async function trustedScratch(): Promise<[string, () => Promise<void>]> {
  const dir = await Deno.makeTempDir({ dir: TRUSTED_HOME!, prefix: "pptkit-test-" });
  await Deno.chmod(dir, 0o755);
  return [dir, () => Deno.remove(dir, { recursive: true })];
}
