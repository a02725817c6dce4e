/**
 * Symbolic links as data: what a link at a real path points to, for messages (a loader.conf
 * that is a link is refused with its target named, never written through).
 *
 * @module
 */

/** The target written in the symbolic link at `real`; null when it is not a link (or gone). */
export function readLinkAt(real: string): string | null {
  try {
    if (!Deno.lstatSync(real).isSymlink) return null;
    return Deno.readLinkSync(real);
  } catch {
    return null;
  }
}
