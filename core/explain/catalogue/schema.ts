/**
 * The shape of the message catalogue (data only: no entry holds code).
 *
 * Each entry is one message a program prints about PCI passthrough or VM start-up: bhyve,
 * the kernel (vmm(4), the IOMMU drivers, the kernel environment), devctl(8), kldload(8), or a
 * wrapper (vm-bhyve, CBSD, wifibox, iohyve, Hoster). It names the source it was read from
 * (repository, file, function, commit), how it is printed, every wording it has had with the
 * releases that print it, what it means, its causes in the order to check them on the host
 * (each naming one check of {@linkcode CheckName}; core/explain/checks.ts evaluates them), the
 * fix, and a realistic sample line that tests/explain_catalogue_test.ts feeds back through
 * the matcher.
 *
 * @module
 */

/** Who prints a message. */
export type Origin =
  | "bhyve"
  | "kernel"
  | "devctl"
  | "kldload"
  | "vm-bhyve"
  | "cbsd"
  | "wifibox"
  | "iohyve"
  | "hoster";

/** The wrappers, whose logs explain reads as a whole. */
export type Wrapper = "vm-bhyve" | "cbsd" | "wifibox" | "iohyve" | "hoster";

/**
 * How the text reaches the reader. `warn` / `err` / `perror` append `: <strerror>` (the
 * matcher reads it as the errno); `warnx` / `errx` / `warn` / `err` prefix the program name
 * (`bhyve: `); `EPRINTLN` and `printf` print the text alone; the kernel's `kernel printf`,
 * `device_printf` (`ivhd0: ` first) and `panic` (`panic: ` first) go to the console and dmesg;
 * `log`, `terminal` and `syslog` are a wrapper's own lines.
 */
export type Printer =
  | "warnx"
  | "warn"
  | "errx"
  | "err"
  | "perror"
  | "EPRINTLN"
  | "printf"
  | "kernel printf"
  | "device_printf"
  | "panic"
  | "log"
  | "terminal"
  | "syslog";

/**
 * What a line is to explain:
 * - `error`, `warning`: something failed or may fail; explained with its causes;
 * - `info`: a line that tells what happened (listed, not checked);
 * - `command-line`: a logged bhyve command line (or part of one); linted;
 * - `exit`: how bhyve ended (a wrapper's record of its exit status);
 * - `carrier`: a wrapper's frame around another program's output (`[bhyve] ...`); the text
 *   inside is explained on its own.
 */
export type Role = "error" | "warning" | "info" | "command-line" | "exit" | "carrier";

/**
 * The checks a cause can name, each evaluated against the host (and the rest of the log) by
 * core/explain/checks.ts. `earlier-line` looks for one of the entry's `related` messages just
 * before it in the same log; `errno` is decided by the errno printed; `manual` is a cause
 * pptkit cannot check: it is listed to be checked by hand.
 */
export type CheckName =
  | "device-present"
  | "device-on-ppt"
  | "device-in-pptdevs"
  | "device-held-by-other-vm"
  | "device-domain0"
  | "device-endpoint"
  | "device-msi"
  | "device-flr"
  | "iommu-present"
  | "iommu-enabled"
  | "amdvi-enabled"
  | "vmm-loaded"
  | "vmm-from-loader"
  | "pptdevs-syntax"
  | "wired-memory"
  | "command-line"
  | "wrapper-stderr"
  | "earlier-line"
  | "errno"
  | "running-as-root"
  | "guest-memory"
  | "rom-file"
  | "manual";

/** The errno names explain knows (FreeBSD numbers and strerror texts in core/explain/errno.ts). */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "EIO"
  | "ENXIO"
  | "ENOEXEC"
  | "ENOMEM"
  | "EACCES"
  | "EFAULT"
  | "EBUSY"
  | "EEXIST"
  | "ENODEV"
  | "EINVAL"
  | "ENOSPC"
  | "EADDRINUSE";

/**
 * What a conversion of a format holds, where explain uses it: the host device (`bus`, `slot`,
 * `function` of `%d/%d/%d`; `rid`, a PCI requester id; `selector`, `pciD:B:S:F`; `device`, an
 * address as a wrapper wrote it), an `errno` number, an exit `status`, a `vm` name, a
 * `command` line, a `path`, an `option`; a `-s` argument (`slot-option`) or the device of a
 * passthru `-s` (`device-option`), which the lint reads when the command line is not logged.
 */
export type Field =
  | "bus"
  | "slot"
  | "function"
  | "rid"
  | "selector"
  | "device"
  | "errno"
  | "status"
  | "vm"
  | "command"
  | "path"
  | "option"
  | "slot-option"
  | "device-option";

/** One wording of a message. */
export interface Format {
  /**
   * The printf format after C string concatenation (`%d %u %x %#lx %016lx %16lu %jx %b %p %s`),
   * without the final newline; for a wrapper, its text with `%s` / `%d` for the variable parts.
   */
  readonly text: string;
  /** First release that prints this wording: FreeBSD for the base system, else the wrapper's. */
  readonly first: string | null;
  /** Last release that prints it; null: still printed by the newest source read. */
  readonly last: string | null;
  /** False when the range is inferred rather than read in a dated source (UNVERIFIED). */
  readonly verified: boolean;
  readonly note?: string;
  /** What each conversion holds, in order; null for one explain does not use. */
  readonly fields?: readonly (Field | null)[];
  /**
   * The message must start the line's text (after a log's timestamp, a program prefix such as
   * `bhyve: `, or `panic: `): for short texts that other lines could contain.
   */
  readonly strict?: boolean;
  /** The exit status this wording stands for (a wrapper that names it in words). */
  readonly status?: number;
}

/** One cause of a message, in the order to check them. */
export interface Cause {
  readonly check: CheckName;
  /** Applies only when the message's errno is one of these (any errno when absent). */
  readonly errno?: readonly ErrnoName[];
  /** The cause, in one line. */
  readonly text: string;
  /** What to do when it is the cause. */
  readonly fix: string;
}

/** Where the source of a message was read. */
export interface Source {
  readonly repo: string;
  readonly file: string;
  readonly function: string;
  /** The commit the text was read at (40 hex digits). */
  readonly commit: string;
}

/** One message of the catalogue. */
export interface Entry {
  /** Stable id: `not-ppt`, `vm-bhyve-no-iommu`, ... */
  readonly id: string;
  readonly origin: Origin;
  readonly source: Source;
  readonly printer: Printer;
  /** A strerror text or an error number is part of the line. */
  readonly errno: boolean;
  readonly role: Role;
  /** Every wording, newest first. */
  readonly formats: readonly Format[];
  /** What it means, in one or two sentences. */
  readonly meaning: string;
  readonly causes: readonly Cause[];
  /** What to do, in one line. */
  readonly fix: string;
  /** A realistic line, as the program prints it. */
  readonly sample: string;
  /** Messages that usually appear in the same log and help tell causes apart. */
  readonly related: readonly string[];
  /**
   * The errno of a following `Device emulation initialization error: ...` line is the one
   * this message's failure left (bhyve prints no other errno for it).
   */
  readonly devinitErrno?: boolean;
  /** A wrapper's own fixed exit status when it stops with this message. */
  readonly exitCode?: number | null;
}
