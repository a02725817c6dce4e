/**
 * `hook --log FILE`: one syslog-style line per thing that happened
 * (`Nov 27 02:36:02 host pptkit[4242]: prestart VM vm1 may start: holds 1/0/0 1/0/1`), the way
 * syslogd writes /var/log/messages. A log that cannot be written is a warning, never a veto.
 *
 * @module
 */

import type { Host } from "../core/host/host.ts";
import { escapeControls } from "../core/text.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * `Nov 27 02:36:02 host pptkit[123]: message`, the way syslogd writes /var/log/messages; a
 * control character in the message (a newline in a VM name) is escaped, so it is one line.
 */
export function syslogLine(date: Date, hostname: string, pid: number, message: string): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${stamp} ${escapeControls(hostname)} pptkit[${pid}]: ${escapeControls(message)}\n`;
}

/** The short host name from rc.conf(5) `hostname=` (rc.conf.local wins), else `localhost`. */
export async function hostName(host: Pick<Host, "readText">): Promise<string> {
  let name = "";
  for (const file of ["/etc/rc.conf", "/etc/rc.conf.local"]) {
    const text = await host.readText(file).catch(() => null);
    for (const line of (text ?? "").split("\n")) {
      const t = line.trim();
      if (!t.startsWith("hostname=")) continue;
      const value = t.slice("hostname=".length);
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : null;
      const end = quote === null ? value.search(/[\s#]|$/) : value.indexOf(quote, 1);
      const word = quote === null ? value.slice(0, end) : value.slice(1, end < 0 ? undefined : end);
      if (word !== "") name = word;
    }
  }
  const short = name.split(".")[0];
  return short === undefined || short === "" ? "localhost" : short;
}

/** Appends lines to `--log FILE`; `warn` hears about a log that cannot be written. */
export class HookLog {
  private hostname: string | null = null;
  /** Said once: a log that cannot be written now will not be for the next line either. */
  private failed = false;
  constructor(
    private readonly host: Host,
    private readonly file: string | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  async write(message: string): Promise<void> {
    if (this.file === undefined || this.failed) return;
    try {
      this.hostname ??= await hostName(this.host).catch(() => "localhost");
      const line = syslogLine(
        new Date(this.host.now()),
        this.hostname,
        this.host.processIds().pid,
        message,
      );
      await this.host.appendLog(this.file, line);
    } catch (e) {
      this.failed = true;
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      // The error names the file already ("cannot write FILE: ..."): say it once.
      this.warn(why.includes(this.file) ? why : `cannot write the log ${this.file}: ${why}`);
    }
  }
}
