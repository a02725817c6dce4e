/**
 * One line of a log, unwrapped: the timestamp and level a wrapper writes before its messages,
 * syslog's `host tag:`, Hoster's logrus fields and emoji, a shell prompt, and the frame a
 * wrapper puts around another program's output (`[bhyve] `, `[sys_stderr] `) are taken off,
 * so that the catalogue matches the message itself. The shape a line has also hints at the
 * wrapper that wrote it.
 *
 * Shapes, from the wrappers' sources (research notes in core/explain/catalogue/wrappers.ts):
 * - vm-bhyve `util::log`: `Apr 08 14:41:07: MSG` (churchers), `2026-08-20T09:07:52+09:00: MSG`
 *   (freebsd/vm-bhyve 1.7);
 * - wifibox `log`: `2026-04-05T14:32:03+0200 LEVEL MSG`, LEVEL padded to five;
 * - syslog (CBSD's `logger -t bhyverun.sh`, the kernel): `Oct 24 23:35:21 node1 TAG: MSG`;
 * - Hoster: logrus `time="..." level=info msg="MSG" type=TYPE` (read as `[TYPE] MSG`), the old
 *   `2023-11-26 18:04:11 [TYPE] MSG`, the terminal's `... 🕔 DATE: 📄 MSG`, Go's
 *   `2025/01/09 17:35:21 MSG`;
 * - an interactive paste: `# MSG`.
 *
 * No regular expression: fixed-shape templates (`d` a digit, `D` a digit or a blank, `A` a
 * letter) are compared character by character.
 *
 * @module
 */

/** Who wrote a line, as far as its shape tells. */
export type LineShape = "vm-bhyve" | "wifibox" | "syslog" | "hoster" | "go-log" | "plain";

/** A log line with its frames taken off. */
export interface LogLine {
  readonly n: number;
  readonly raw: string;
  readonly shape: LineShape;
  /** Without timestamp, level and syslog tag; with a carrier frame such as `[bhyve] `. */
  readonly outer: string;
  /** The message itself: `outer` without the carrier frame. */
  readonly message: string;
  /** The program whose output the frame carries (`bhyve`, `devctl`, `sys_stderr`), if any. */
  readonly carrier: string | null;
  /** wifibox's or logrus' level, syslog's tag. */
  readonly level: string | null;
  readonly tag: string | null;
}

/** Compares `template` with `text` at `pos`; the position after it, or -1. */
export function shapeAt(text: string, pos: number, template: string): number {
  if (pos + template.length > text.length) return -1;
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    const c = text[pos + i];
    const ok = t === "d"
      ? c >= "0" && c <= "9"
      : t === "D"
      ? c === " " || (c >= "0" && c <= "9")
      : t === "A"
      ? (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
      : c === t;
    if (!ok) return -1;
  }
  return pos + template.length;
}

/** Hoster's terminal lines: `... 🕔 2025-01-09 17:35:21: 📄 MESSAGE`. */
const CLOCK = "\u{1F554} ";
const PAGE = ": \u{1F4C4} ";
const WIFIBOX_LEVELS = ["ERROR ", "WARN  ", "INFO  ", "DEBUG "];
const CARRIERS = [
  "bhyve",
  "devctl",
  "kldload",
  "bhyvectl",
  "sys_stderr",
  "sys_stdout",
  "supervisor",
];

/** After an ISO-8601 time `dddd-dd-ddTdd:dd:dd`, its fraction and zone; -1 when malformed. */
function afterZone(text: string, pos: number): number {
  if (text[pos] === ".") {
    pos++;
    while (text[pos] >= "0" && text[pos] <= "9") pos++;
  }
  if (text[pos] === "Z") return pos + 1;
  if (text[pos] !== "+" && text[pos] !== "-") return pos;
  const colon = shapeAt(text, pos + 1, "dd:dd");
  if (colon > 0) return colon;
  const plain = shapeAt(text, pos + 1, "dddd");
  return plain;
}

/** Reads a Go-quoted string starting after its opening quote; the text and the end, or null. */
function goString(text: string, pos: number): { value: string; end: number } | null {
  let value = "";
  for (let i = pos; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return { value, end: i + 1 };
    if (c === "\\" && i + 1 < text.length) {
      const e = text[++i];
      value += e === "n" ? "\n" : e === "t" ? "\t" : e;
    } else {
      value += c;
    }
  }
  return null;
}

/** A logrus text line: `time="..." level=L msg="..." [type=T]`. */
function logrus(
  text: string,
): { message: string; level: string | null; type: string | null } | null {
  if (!text.startsWith('time="')) return null;
  const at = text.indexOf(' msg="');
  if (at < 0) return null;
  const msg = goString(text, at + 6);
  if (msg === null) return null;
  const field = (name: string): string | null => {
    const i = text.indexOf(` ${name}=`);
    if (i < 0) return null;
    const start = i + name.length + 2;
    let end = text.indexOf(" ", start);
    if (end < 0) end = text.length;
    return text.slice(start, end);
  };
  return {
    message: msg.value,
    level: field("level"),
    type: text.slice(msg.end).includes("type=") ? field("type") : null,
  };
}

interface Outer {
  shape: LineShape;
  outer: string;
  level: string | null;
  tag: string | null;
}

function stripPrefix(raw: string): Outer {
  const plain = (outer: string): Outer => ({ shape: "plain", outer, level: null, tag: null });
  const lr = logrus(raw);
  if (lr !== null) {
    return {
      shape: "hoster",
      outer: lr.type === null ? lr.message : `[${lr.type}] ${lr.message}`,
      level: lr.level,
      tag: null,
    };
  }
  const iso = shapeAt(raw, 0, "dddd-dd-ddTdd:dd:dd");
  if (iso > 0) {
    const z = afterZone(raw, iso);
    if (z > 0 && raw.startsWith(": ", z)) {
      return { shape: "vm-bhyve", outer: raw.slice(z + 2), level: null, tag: null };
    }
    if (z > 0 && raw[z] === " ") {
      const level = WIFIBOX_LEVELS.find((l) => raw.startsWith(l, z + 1));
      if (level !== undefined) {
        return {
          shape: "wifibox",
          outer: raw.slice(z + 1 + level.length),
          level: level.trim(),
          tag: null,
        };
      }
    }
    return plain(raw);
  }
  const spaced = shapeAt(raw, 0, "dddd-dd-dd dd:dd:dd ");
  if (spaced > 0) return { shape: "hoster", outer: raw.slice(spaced), level: null, tag: null };
  const go = shapeAt(raw, 0, "dddd/dd/dd dd:dd:dd ");
  if (go > 0) return { shape: "go-log", outer: raw.slice(go), level: null, tag: null };
  const stamp = shapeAt(raw, 0, "AAA Dd dd:dd:dd");
  if (stamp > 0) {
    if (raw.startsWith(": ", stamp)) {
      return { shape: "vm-bhyve", outer: raw.slice(stamp + 2), level: null, tag: null };
    }
    if (raw[stamp] === " ") {
      const host = raw.indexOf(" ", stamp + 1);
      const colon = host < 0 ? -1 : raw.indexOf(": ", host + 1);
      if (colon > host && host > 0 && !raw.slice(host + 1, colon).includes(" ")) {
        let tag = raw.slice(host + 1, colon);
        const bracket = tag.indexOf("[");
        if (bracket > 0) tag = tag.slice(0, bracket);
        return { shape: "syslog", outer: raw.slice(colon + 2), level: null, tag };
      }
    }
    return plain(raw);
  }
  const clock = raw.indexOf(CLOCK);
  if (clock >= 0) {
    const doc = raw.indexOf(PAGE, clock);
    if (doc > 0) {
      return { shape: "hoster", outer: raw.slice(doc + PAGE.length), level: null, tag: null };
    }
  }
  if (raw.startsWith("# ")) return plain(raw.slice(2));
  return plain(raw);
}

/**
 * Lines longer than this are read only this far: no message, bhyve command line or boot line
 * is longer, and a line of junk must not cost more than a few passes.
 */
export const MAX_LINE = 16384;

/** Unwraps one line. */
export function readLine(n: number, raw: string): LogLine {
  const cut = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
  const text = cut.endsWith("\r") ? cut.slice(0, -1) : cut;
  const o = stripPrefix(text);
  let message = o.outer;
  let carrier: string | null = null;
  if (message.startsWith("[")) {
    const close = message.indexOf("] ");
    const name = close > 0 ? message.slice(1, close) : "";
    if (CARRIERS.includes(name)) {
      carrier = name;
      message = message.slice(close + 2);
    }
  }
  return {
    n,
    raw: text,
    shape: o.shape,
    outer: o.outer,
    message,
    carrier,
    level: o.level,
    tag: o.tag,
  };
}

const PROGRAM_PREFIXES = ["bhyve: ", "devctl: ", "kldload: ", "panic: ", "# "];

/**
 * Where a message may start in a line's text, for the catalogue's `strict` formats: at the
 * start, after a program's `bhyve: ` (or devctl's, kldload's, a panic's, a prompt), or after a
 * kernel driver's `ivhd0: `.
 */
export function messageStarts(text: string): number[] {
  const out: number[] = [];
  let pos = 0;
  while (text[pos] === " " || text[pos] === "\t") pos++;
  for (;;) {
    out.push(pos);
    const prefix = PROGRAM_PREFIXES.find((p) => text.startsWith(p, pos));
    if (prefix !== undefined) {
      pos += prefix.length;
      continue;
    }
    // A device_printf prefix: name and unit, then ": ".
    let i = pos;
    while (i < text.length && ((text[i] >= "a" && text[i] <= "z") || text[i] === "_")) i++;
    const letters = i;
    while (i < text.length && text[i] >= "0" && text[i] <= "9") i++;
    if (letters > pos && i > letters && text.startsWith(": ", i)) {
      pos = i + 2;
      continue;
    }
    return out;
  }
}
