/**
 * Test harnesses that call pptkit's shims (hooks/) the way each wrapper does, as read from the
 * wrapper's source: arguments, environment, working directory, what becomes of stdout and
 * stderr, and how the exit status is used. Each harness is a small sh script standing in for
 * the wrapper's code path (never the wrapper's code itself), run with stub commands first on
 * PATH (bhyve, CBSD's bhyverun.sh, logger) that record how they were called. pptkit itself is
 * the real bundle through the launcher, on a snapshot: besides what the wrapper passes, a
 * harness sets only PPTKIT, PPTKIT_DENO and PPTKIT_HOOK_ARGS (--snapshot DIR).
 *
 * @module
 */

import { DEMO, LAUNCHER, ROOT, snapshotWith } from "./helpers.ts";

export const HOOKS = `${ROOT}hooks`;

/** The demo host's captures. */
const CAPTURES = ["pciconf.txt", "acpidump.txt", "kenv.txt", "kldstat.txt", "sysctl.txt"];

/** A snapshot of the demo host (its captures and loader.conf) plus `files`. */
export async function demoSnapshot(dir: string, files: Record<string, string>): Promise<string> {
  const snap = `${dir}/snap`;
  await Deno.mkdir(`${snap}/root/boot`, { recursive: true });
  for (const name of [...CAPTURES, "uname.txt"]) {
    await Deno.copyFile(`${DEMO}/${name}`, `${snap}/${name}`);
  }
  await Deno.copyFile(`${DEMO}/root/boot/loader.conf`, `${snap}/root/boot/loader.conf`);
  return await snapshotWith(snap, { "ps.txt": livePs(), "vmm.txt": "", ...files });
}

/** A ps.txt as the live capture writes it; each row `[pid, ppid, uid, etimes, comm, args]`. */
export function livePs(...rows: [number, number, number, number, string, string][]): string {
  return "  PID  PPID UID ELAPSED COMMAND  COMMAND\n" +
    rows.map((r) => r.join(" ") + "\n").join("");
}

/** ps.txt of a host where VM `vm` runs: a root bhyve titled with its name. */
export function runningPs(vm: string, pid = 7001): string {
  return livePs([pid, 1, 0, 600, "bhyve", `bhyve: ${vm} (bhyve)`]);
}

/**
 * Stubs: bhyve records `bhyve PID ARGS`; bhyverun.sh (CBSD's wrapper) records its pid and
 * arguments, then runs bhyve for the VM of its -c path; logger records its message.
 */
const STUBS: Record<string, string> = {
  bhyve: `echo "bhyve $$ $*" >> "$HARNESS_CALLS"
exit "\${HARNESS_BHYVE_RC:-1}"`,
  "bhyverun.sh": `echo "bhyverun.sh $$ $*" >> "$HARNESS_CALLS"
conf=$2
vm=\${conf%/*}
bhyve "\${vm##*/}"
exit 0`,
  logger: `shift $(($# - 1))
echo "logger $1" >> "$HARNESS_CALLS"`,
};

/**
 * vm-bhyve's `vm _run NAME` around one boot, or several (HARNESS_RUNS: a guest reboot runs the
 * loop again). lib/vm-run vm::run and vm::prestart (churchers/vm-bhyve 6e91ff5, freebsd/vm-bhyve
 * 89c21d0): a log line, then the script in a subshell that cd's to the guest directory and
 * execs it with NAME and DATASET/NAME; its status is not looked at; then bhyve. Its output is
 * the output of `vm _run`, which `vm start` sends to /dev/null (HARNESS_FOREGROUND: `vm start
 * -f`, the terminal). The log stamp is HARNESS_STAMP (`+%b %d %T` churchers, `-Iseconds`
 * freebsd).
 */
const VM_RUN = `name=$1 guestdir=$2 dataset=$3 script=$4
echo $$ > "$HARNESS_DIR/vm_run.pid"
log() { echo "$(date "$HARNESS_STAMP"): $1" >> "$guestdir/vm-bhyve.log"; }
[ -n "\${HARNESS_FOREGROUND:-}" ] || exec >/dev/null 2>&1
log "booting"
cd /
run=1
while [ "$run" -le "\${HARNESS_RUNS:-1}" ]; do
	log "running prestart script $script $name $dataset/$name"
	(
		cd "$guestdir"
		exec "$script" "$name" "$dataset/$name"
	)
	log "starting bhyve (run $run)"
	bhyve "$name"
	log "bhyve exited with status $?"
	run=$((run + 1))
done
log "stopped"
`;

/**
 * CBSD's bstart for VM $jname (sudoexec/bstart, subr/jcreate.subr external_exec_master_script,
 * cbsd/cbsd 007ddb5): every executable of master_prestart.d from a find | while read loop (no
 * arguments, stdin the pipe, cwd /var/empty, status ignored), then the VM's bhyverun_wrapper
 * with -c JAILSYSDIR/VM/bhyve.conf -e 1 -l JAILSYSDIR/VM/bstart.log, detached (tmux
 * new-session -d) with its output in the pane (HARNESS_PANE). bstart never sees the wrapper's
 * status; it waits for the VM's bhyve (here: for the detached wrapper, which the stubs make
 * quick), prints PID: 0 and the log when bhyve did not start, and exits 0.
 */
const BSTART = `jailsys=$1 wrapper=$2
echo $$ > "$HARNESS_DIR/bstart.pid"
export jname workdir
cd "$HARNESS_EMPTY"
d=$jailsys/$jname/master_prestart.d
if [ -d "$d" ]; then
	find "$d" -mindepth 1 -maxdepth 1 \\( -type l -o -type f \\) -perm -u=x -exec basename {} \\; |
		while read -r f; do
			echo "Execute master script: $f"
			"$d/$f"
		done
fi
env cbsd_workdir="$workdir" "$wrapper" -c "$jailsys/$jname/bhyve.conf" -e 1 \\
	-l "$jailsys/$jname/bstart.log" >"$HARNESS_PANE" 2>&1 </dev/null &
wait $!
if grep -q "^bhyve [0-9]* $jname\\$" "$HARNESS_CALLS"; then
	echo "PID: $(grep "^bhyve [0-9]* $jname\\$" "$HARNESS_CALLS" | cut -d' ' -f2)"
else
	echo "PID: 0"
	[ -r "$jailsys/$jname/bstart.log" ] && cat "$jailsys/$jname/bstart.log"
fi
exit 0
`;

/** CBSD's bstop after the VM is gone (sudoexec/bstop): master_poststop.d, the same way. */
const BSTOP = `jailsys=$1
export jname workdir
cd "$HARNESS_EMPTY"
d=$jailsys/$jname/master_poststop.d
find "$d" -mindepth 1 -maxdepth 1 \\( -type l -o -type f \\) -perm -u=x -exec basename {} \\; |
	while read -r f; do "$d/$f"; done
exit 0
`;

/**
 * bmd with the hookcmd plugin (bmd-plugin-hookcmd 18f1f5b hookcmd.c; bmd 5ff9acd bmd.c): the
 * command is run by bmd's own process with NAME and the state, the VM_* environment (set by
 * the test), stdin, stdout and stderr /dev/null (a daemon), cwd /. PRESTART's status decides:
 * 0 boots the VM (bhyve), anything else "prevents from starting VM" (no bhyve, no poststop).
 * With HARNESS_STOP the VM then stops for good: POSTSTOP, whose status is ignored.
 */
const BMD = `name=$1 hook=$2
echo $$ > "$HARNESS_DIR/bmd.pid"
cd /
if "$hook" "$name" PRESTART </dev/null >/dev/null 2>&1; then
	bhyve "$name"
	[ -z "\${HARNESS_STOP:-}" ] || "$hook" "$name" POSTSTOP </dev/null >/dev/null 2>&1
else
	echo "bmd $name: plugin 'hookcmd' prevents from starting VM" >> "$HARNESS_CALLS"
fi
exit 0
`;

/**
 * libvirt's bhyve driver (src/bhyve/bhyve_process.c 0041788, src/util/virhook.c virRunScript):
 * the hook run with NAME OP SUBOP -, the domain XML on stdin (HARNESS_XML; /dev/null when
 * unset, as libvirt 9.1.0 did), an environment of only LC_ALL=C, PATH, HOME, USER and LOGNAME,
 * stdout and stderr captured and shown on a failure. `start`: prepare (a failure runs stopped
 * and release), start, bhyve, started; `stop`: stopped, release; `reboot` (bhyve exited 0):
 * stopped, release, start, bhyve, started, and no prepare.
 */
const LIBVIRTD = `action=$1 name=$2 hookpath=$3
echo $$ > "$HARNESS_DIR/libvirtd.pid"
cd /
hook() {
	env -i LC_ALL=C PATH="$PATH" HOME=/root USER=root LOGNAME=root HARNESS_CALLS="$HARNESS_CALLS" \\
		PPTKIT="$PPTKIT" PPTKIT_DENO="$PPTKIT_DENO" PPTKIT_HOOK_ARGS="$PPTKIT_HOOK_ARGS" \\
		PPTKIT_LIBVIRT_DIR="\${PPTKIT_LIBVIRT_DIR:-/nonexistent}" \\
		"$hookpath" "$name" "$1" "$2" - <"\${HARNESS_XML:-/dev/null}" >"$HARNESS_DIR/hook.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || { echo "libvirtd $name $1: hook failed with $rc: $(cat "$HARNESS_DIR/hook.out")" >> "$HARNESS_CALLS"; }
	return "$rc"
}
boot() {
	hook start begin || return 1
	bhyve "$name"
	hook started begin
}
case $action in
start)
	if ! hook prepare begin; then
		hook stopped end
		hook release end
		exit 1
	fi
	boot || exit 1
	;;
stop)
	hook stopped end
	hook release end
	;;
reboot)
	hook stopped end
	hook release end
	boot || exit 1
	;;
esac
exit 0
`;

/** One prepared world: a scratch snapshot, stubs, harness scripts and their environment. */
export interface Harness {
  readonly dir: string;
  readonly snap: string;
  /** The environment a wrapper's harness runs with. */
  readonly env: Record<string, string>;
  /** Path of a harness script by name: vm_run, bstart, bstop, bmd, libvirtd. */
  script(name: "vm_run" | "bstart" | "bstop" | "bmd" | "libvirtd"): string;
  /** The stub calls so far, one line each; cleared by `reset`. */
  calls(): Promise<string[]>;
  reset(): Promise<void>;
  /** Runs a harness script; returns its status and output. */
  run(
    name: "vm_run" | "bstart" | "bstop" | "bmd" | "libvirtd",
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Builds a harness in `dir` around a demo snapshot with `files`. */
export async function harness(dir: string, files: Record<string, string>): Promise<Harness> {
  const snap = await demoSnapshot(dir, files);
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  for (const [name, body] of Object.entries(STUBS)) {
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
  const scripts = { vm_run: VM_RUN, bstart: BSTART, bstop: BSTOP, bmd: BMD, libvirtd: LIBVIRTD };
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${dir}/${name}`, `#!/bin/sh\n${body}`);
    await Deno.chmod(`${dir}/${name}`, 0o755);
  }
  await Deno.mkdir(`${dir}/var/empty`, { recursive: true });
  const callsFile = `${dir}/calls.log`;
  await Deno.writeTextFile(callsFile, "");
  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HARNESS_DIR: dir,
    HARNESS_CALLS: callsFile,
    HARNESS_EMPTY: `${dir}/var/empty`,
    HARNESS_PANE: `${dir}/pane.out`,
    HARNESS_STAMP: "+%b %d %T",
    PPTKIT: LAUNCHER,
    PPTKIT_DENO: Deno.execPath(),
    PPTKIT_HOOK_ARGS: `--snapshot ${snap}`,
    PPTKIT_CBSD_BHYVERUN: `${bin}/bhyverun.sh`,
  };
  const dec = new TextDecoder();
  return {
    dir,
    snap,
    env,
    script: (name) => `${dir}/${name}`,
    calls: async () => (await Deno.readTextFile(callsFile)).split("\n").filter((l) => l !== ""),
    reset: () => Deno.writeTextFile(callsFile, ""),
    async run(name, args, extra = {}) {
      const out = await new Deno.Command(`${dir}/${name}`, {
        args,
        env: { ...env, ...extra },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    },
  };
}
