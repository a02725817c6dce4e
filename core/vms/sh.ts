/**
 * Shell variable assignments as sh(1) reads them, for the files wrappers keep as sh: rc.conf
 * (`vm_dir`, `cbsd_workdir`, `hostname`) and CBSD's per-VM `bhyve.conf`.
 *
 * sh allows more than `name="value"` on a line of its own: several assignments on one line
 * (`vm_enable="YES" vm_dir="zfs:zroot/vm"`), `;` between commands, `export name=value`,
 * single quotes (literal), double quotes (backslash escapes `$`, `` ` ``, `"`, `\` and a
 * newline), a backslash outside quotes, `#` starting a comment at the start of a word, and a
 * quoted value that goes on over several lines. An assignment counts only when it is a whole
 * command (assignments before a command word are that command's environment), as sh keeps it.
 * pptkit does not run the file: a value with `$` or a command substitution outside single
 * quotes is reported as `expands`, never expanded.
 *
 * Pure; one pass over the characters, no regular expressions.
 *
 * @module
 */

/** One `name=value` a file leaves set. */
export interface ShAssignment {
  readonly name: string;
  readonly value: string;
  /** 1-based line the assignment starts on. */
  readonly line: number;
  /** The value uses `$` or `` ` `` outside single quotes: sh would expand it, pptkit does not. */
  readonly expands: boolean;
}

interface Word {
  text: string;
  /** Index of the first `=` outside quotes, -1 when none. */
  eq: number;
  line: number;
  expands: boolean;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

function isName(text: string): boolean {
  if (text.length === 0 || !isNameStart(text.charCodeAt(0))) return false;
  for (let i = 1; i < text.length; i++) if (!isNameChar(text.charCodeAt(i))) return false;
  return true;
}

/** The assignment a word makes, or null when it is not one. */
function assignmentOf(word: Word): ShAssignment | null {
  if (word.eq <= 0) return null;
  const name = word.text.slice(0, word.eq);
  if (!isName(name)) return null;
  return { name, value: word.text.slice(word.eq + 1), line: word.line, expands: word.expands };
}

/** Every assignment of a sh file that stays set, in file order. */
export function readShAssignments(text: string): ShAssignment[] {
  const out: ShAssignment[] = [];
  let command: Word[] = [];
  let word: Word | null = null;
  let line = 1;
  const endWord = () => {
    if (word !== null) command.push(word);
    word = null;
  };
  const endCommand = () => {
    endWord();
    const words = command[0]?.text === "export" || command[0]?.text === "readonly"
      ? command.slice(1)
      : command;
    const assignments = words.map(assignmentOf);
    // `a=b cmd`: the assignment is cmd's environment only.
    if (assignments.every((a) => a !== null)) out.push(...assignments as ShAssignment[]);
    command = [];
  };
  const start = (): Word => word ??= { text: "", eq: -1, line, expands: false };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "\n") {
      line++;
      endCommand();
      i++;
    } else if (ch === " " || ch === "\t" || ch === "\r") {
      endWord();
      i++;
    } else if (ch === ";" || ch === "&" || ch === "|") {
      endCommand();
      i++;
    } else if (ch === "#" && word === null) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === "'") {
      const w = start();
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === "\n") line++;
        w.text += text[i++];
      }
      i++;
    } else if (ch === '"') {
      const w = start();
      i++;
      while (i < text.length && text[i] !== '"') {
        const c = text[i];
        if (c === "\\" && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1])) {
          if (text[i + 1] === "\n") line++;
          else w.text += text[i + 1];
          i += 2;
          continue;
        }
        if (c === "$" || c === "`") w.expands = true;
        if (c === "\n") line++;
        w.text += c;
        i++;
      }
      i++;
    } else if (ch === "\\") {
      if (text[i + 1] === "\n") {
        line++;
      } else if (i + 1 < text.length) {
        start().text += text[i + 1];
      }
      i += 2;
    } else {
      const w = start();
      if (ch === "=" && w.eq < 0) w.eq = w.text.length;
      if (ch === "$" || ch === "`") w.expands = true;
      w.text += ch;
      i++;
    }
  }
  endCommand();
  return out;
}

/** The last assignment of `name` (the one sh leaves), or null. */
export function lastAssignment(
  assignments: readonly ShAssignment[],
  name: string,
): ShAssignment | null {
  let found: ShAssignment | null = null;
  for (const a of assignments) if (a.name === name) found = a;
  return found;
}

/** A setting of rc.conf files, read in order, the last assignment winning. */
export interface RcValue {
  readonly value: string;
  /** `/etc/rc.conf:7`. */
  readonly origin: string;
  readonly expands: boolean;
}

/**
 * The value rc.conf files leave in `name` (the last assignment of the last file that sets it);
 * null when none does. `readText` decides what an unreadable file is.
 */
export async function readRcConf(
  readText: (path: string) => Promise<string | null>,
  files: readonly string[],
  name: string,
): Promise<RcValue | null> {
  let found: RcValue | null = null;
  for (const file of files) {
    const text = await readText(file);
    const last = text === null ? null : lastAssignment(readShAssignments(text), name);
    if (last !== null) {
      found = { value: last.value, origin: `${file}:${last.line}`, expands: last.expands };
    }
  }
  return found;
}
