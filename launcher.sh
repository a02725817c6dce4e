#!/bin/sh
# pptkit launcher: runs the pptkit bundle with deno and the least permissions it needs
# (pptkit(8), DESIGN §14): named read and write paths, only the commands pptkit runs, only
# the environment variables it reads, no network, no remote or npm modules.
#
# Installed as PREFIX/bin/pptkit next to PREFIX/libexec/pptkit/pptkit.js and pptkit-hook.js;
# in a build tree it is dist/pptkit next to dist/pptkit.js and dist/pptkit-hook.js. `hook`
# runs pptkit-hook.js (the same program with the hook alone, quicker to start before every VM
# boot), every other command pptkit.js.
#
# deno's caches, V8's compiled code among them, live in one directory whatever HOME is
# (default /var/db/pptkit/cache; HOME is set to /var/empty), so every run finds the code the
# runs before it compiled. The bundle cannot write there. A cache that is missing or cannot be
# written costs speed only.
#
# Environment:
#   PPTKIT_DENO         deno binary (default: deno on PATH, then /usr/local/bin/deno)
#   PPTKIT_BUNDLE       the bundle to run, for every command (default: see above)
#   PPTKIT_CACHE_DIR    deno's cache directory (default /var/db/pptkit/cache)
#   PPTKIT_ALLOW_READ   extra paths pptkit may read, comma-separated (VM directories
#                       outside the defaults)
#   PPTKIT_ALLOW_WRITE  extra paths pptkit may write, comma-separated
# Run as root, the launcher ignores (with a warning) a PPTKIT_DENO, PPTKIT_BUNDLE or
# PPTKIT_CACHE_DIR that does not belong to root or that group or others may write, or whose
# directory is so: it would run another user's code as root.
#
# Exit status: 69 when deno or the bundle cannot be found, 77 when a path cannot be granted;
# otherwise pptkit's own.
set -euf

# die CODE MESSAGE [HINT]: the one-line error contract of pptkit(8).
die() {
	echo "pptkit: $2" >&2
	[ -z "${3:-}" ] || echo "hint: $3" >&2
	exit "$1"
}

# Default permissions. `deno task compile` bakes these same lines into the single binary
# (compile.ts reads them): keep each one `name="..."` or `name="$name,..."`.
# Reads: loader files, /usr/local/etc (pptkit's configuration, VM configs, plugins, rc.conf.d),
# rc.conf (vm-bhyve's vm_dir, CBSD's cbsd_workdir), pptkit's state and device locks, Hoster's
# host_config.json in Hoster's own search order, and the VM directories of the wrappers'
# defaults (CBSD's is its workdir, /usr/jails unless rc.conf says otherwise). Not /dev/vmm:
# deno lets nothing under /dev be read without --allow-all; running VMs come from ps.
read_paths="/boot,/usr/local/etc,/etc/rc.conf,/etc/rc.conf.local,/etc/rc.conf.d"
read_paths="$read_paths,/var/db/pptkit,/var/run/pptkit"
read_paths="$read_paths,/opt/hoster-core/config_files,/opt/hoster/config_files"
read_paths="$read_paths,/usr/local/hoster,/etc/hoster,/root/hoster/config_files"
read_paths="$read_paths,/vm,/zroot/vm,/usr/local/vm,/zroot/vm-encrypted,/zroot/vm-unencrypted"
read_paths="$read_paths,/usr/jails"
# Writes: the loader.conf files, each with its .tmp, .bak and .lock; the drop-in directory;
# pptkit's state (slot maps, loader backups) and run directory (device locks).
write_paths="/boot/loader.conf,/boot/loader.conf.tmp,/boot/loader.conf.bak"
write_paths="$write_paths,/boot/loader.conf.lock,/boot/loader.conf.local"
write_paths="$write_paths,/boot/loader.conf.local.tmp,/boot/loader.conf.local.bak"
write_paths="$write_paths,/boot/loader.conf.local.lock,/boot/loader.conf.d"
write_paths="$write_paths,/var/db/pptkit,/var/run/pptkit"
run_commands="pciconf,acpidump,kenv,sysctl,kldstat,ps,devctl,uname,netstat,cbsd,sqlite3"
env_names="NO_COLOR,PPTKIT_*,HOME,COLUMNS,TERM"
# The user id only: community plugin files must belong to root or to the user running pptkit.
sys_names="uid"

# Deno's permission lists are comma-separated with no escape: a path with a comma would grant
# paths nobody named ("/tmp/x,/" grants /), and an empty element is a deno error. Refuse the
# first, skip the second (pptkit then reports the empty option itself).
checked() {
	case $1 in
	*,*)
		die 77 "cannot grant access to \"$1\": the path contains a comma" \
			"deno's permission lists cannot name such a path; rename it or use another directory"
		;;
	esac
}
grant_read() {
	[ -z "$1" ] || { checked "$1" && extra_read="$extra_read,$1"; }
}
grant_write() {
	[ -z "$1" ] || { checked "$1" && extra_write="$extra_write,$1"; }
}
# A file pptkit replaces atomically, under a lock.
grant_file_write() {
	[ -z "$1" ] || {
		grant_write "$1" && grant_write "$1.tmp" && grant_write "$1.bak" && grant_write "$1.lock"
	}
}
# under PREFIX LIST: every path of a comma-separated LIST below PREFIX.
under() {
	result=""
	old_ifs=$IFS
	IFS=,
	for p in $2; do result="$result,${1%/}$p"; done
	IFS=$old_ifs
	echo "${result#,}"
}

# Paths named on the command line are granted too: the snapshot directory (read; writes go
# to DIR/root), the --root directory (read; writes only to the default write paths under it),
# a config file, a loader.conf file, a log file (read too: its link check fstats the opened
# file), the directory `snapshot DIR` writes, the
# file `report` writes (-o FILE, else pptkit-report.jsonc in the current directory).
extra_read=""
extra_write=""
snapshot_dir=""
root_dir=""
nl='
'
loader_confs=""
command=""
snapshot_out=""
report_out=""
# The command is the first argument that is not an option or the value of a global option
# (--snapshot, --root, --config), as pptkit finds it; `snapshot DIR` writes DIR.
positional() {
	if [ -z "$command" ]; then
		command=$1
	elif [ "$command" = snapshot ] && [ -z "$snapshot_out" ]; then
		snapshot_out=$1
		grant_read "$1" && grant_write "$1"
	fi
}
want=""
after_dashes=""
for arg in "$@"; do
	if [ -n "$after_dashes" ]; then
		positional "$arg"
		continue
	fi
	if [ -n "$want" ]; then
		case $arg in
		-*) want="" ;; # not a value: pptkit says the option needs one
		*)
			case $want in
			snapshot) grant_read "$arg" && snapshot_dir=$arg ;;
			root) grant_read "$arg" && root_dir=$arg ;;
			config) grant_read "$arg" ;;
			loader-conf)
				grant_read "$arg" && grant_file_write "$arg" && loader_confs="$loader_confs$nl$arg"
				;;
			log) grant_read "$arg" && grant_write "$arg" ;;
			output) grant_write "$arg" && report_out=$arg ;;
			esac
			want=""
			continue
			;;
		esac
	fi
	case $arg in
	--) after_dashes=yes ;;
	--snapshot | --root | --config) want=${arg#--} ;;
	# Options of a command take their value after the command only (before it, pptkit reads
	# the next word as the command).
	--loader-conf | --log) [ -z "$command" ] || want=${arg#--} ;;
	--output | -o) [ -z "$command" ] || want=output ;;
	--snapshot=*) grant_read "${arg#*=}" && snapshot_dir=${arg#*=} ;;
	--root=*) grant_read "${arg#*=}" && root_dir=${arg#*=} ;;
	--config=*) grant_read "${arg#*=}" ;;
	--loader-conf=*)
		grant_read "${arg#*=}" && grant_file_write "${arg#*=}" &&
			loader_confs="$loader_confs$nl${arg#*=}"
		;;
	--log=*) grant_read "${arg#*=}" && grant_write "${arg#*=}" ;;
	--output=*) grant_write "${arg#*=}" && report_out=${arg#*=} ;;
	# Other options that take a value: the value is neither the command nor a path.
	--vm | --format | --first-slot | --used-slots | --wrapper | --devices | --stale-after)
		[ -z "$command" ] || want=skip
		;;
	-*) ;;
	*) positional "$arg" ;;
	esac
done

# The report's default file, where pptkit writes it (it never overwrites one).
if [ "$command" = report ] && [ -z "$report_out" ]; then
	grant_write "$PWD/pptkit-report.jsonc"
fi

# Under --root DIR files live below DIR, and so do the writes; a snapshot takes its writes in
# DIR/root. Neither may write the real /boot/loader.conf.
if [ -n "$root_dir" ]; then
	write_paths=$(under "$root_dir" "$write_paths")
	old_ifs=$IFS
	IFS=$nl
	for f in $loader_confs; do grant_file_write "${root_dir%/}$f"; done
	IFS=$old_ifs
elif [ -n "$snapshot_dir" ]; then
	write_paths="${snapshot_dir%/}/root"
fi
old_ifs=$IFS
IFS=,
for p in ${PPTKIT_ALLOW_READ:-}; do grant_read "$p"; done
for p in ${PPTKIT_ALLOW_WRITE:-}; do grant_write "$p"; done
IFS=$old_ifs

# Overrides from the environment, checked when pptkit runs as root: another user's file there
# would run as root. The user id is asked only when there is something to check (id(1) costs a
# fork and an exec; a hook runs before every VM boot); id and ls by their paths in the base
# system, not from PATH.
uid=""
if [ -n "${PPTKIT_DENO:-}${PPTKIT_BUNDLE:-}${PPTKIT_CACHE_DIR:-}" ]; then
	uid=$(/usr/bin/id -u 2>/dev/null) || uid=0
fi
# root_owned PATH: PATH (after symlinks) and the directory holding it belong to root, and
# neither group nor others may write them.
root_owned() {
	case $1 in
	*/*) parent=${1%/*} ;;
	*) parent=. ;;
	esac
	listing=$(/bin/ls -ndL -- "$1" "${parent:-/}" 2>/dev/null) || return 1
	while read -r mode _ owner _; do
		[ "$owner" = 0 ] || return 1
		case $mode in
		?????w* | ????????w*) return 1 ;;
		esac
	done <<LISTING
$listing
LISTING
}
# trusted NAME VALUE: true unless pptkit runs as root and VALUE is not root_owned; says why.
trusted() {
	[ "$uid" = 0 ] || return 0
	root_owned "$2" && return 0
	echo "pptkit: warning: ignoring $1=$2: run as root, pptkit takes it only when it exists" \
		"and both it and its directory belong to root and are not writable by group or others" >&2
	return 1
}
# on_path NAME: the first executable NAME in PATH, in $found (no fork: a loop over PATH).
on_path() {
	found=""
	old_ifs=$IFS
	IFS=:
	for d in ${PATH:-}; do
		if [ -n "$d" ] && [ -f "$d/$1" ] && [ -x "$d/$1" ]; then
			found=$d/$1
			break
		fi
	done
	IFS=$old_ifs
	[ -n "$found" ]
}

bundle=${PPTKIT_BUNDLE:-}
if [ -n "$bundle" ]; then
	[ -f "$bundle" ] || die 69 "PPTKIT_BUNDLE=$bundle: no such file" \
		"set PPTKIT_BUNDLE to the path of pptkit.js, or unset it"
	trusted PPTKIT_BUNDLE "$bundle" || bundle=""
fi
if [ -z "$bundle" ]; then
	case $0 in
	*/*) dir=${0%/*} ;;
	*) dir=. ;;
	esac
	for lib in "$dir" "$dir/../libexec/pptkit"; do
		if [ -f "$lib/pptkit.js" ]; then
			bundle=$lib/pptkit.js
			# The hook's own bundle when it was installed; else the main one does it all.
			[ "$command" != hook ] || [ ! -f "$lib/pptkit-hook.js" ] || bundle=$lib/pptkit-hook.js
			break
		fi
	done
	[ -n "$bundle" ] || die 69 "cannot find pptkit.js next to $0" \
		"set PPTKIT_BUNDLE to the bundle's path"
fi

deno=${PPTKIT_DENO:-}
if [ -n "$deno" ]; then
	case $deno in
	*/*) ;;
	*) ! on_path "$deno" || deno=$found ;;
	esac
	if [ ! -f "$deno" ] || [ ! -x "$deno" ]; then
		die 69 "PPTKIT_DENO=$PPTKIT_DENO is not an executable file" \
			"set PPTKIT_DENO to the deno binary, or unset it to use deno from PATH"
	fi
	trusted PPTKIT_DENO "$deno" || deno=""
fi
if [ -z "$deno" ]; then
	on_path deno && deno=$found || deno=/usr/local/bin/deno
	if [ ! -f "$deno" ] || [ ! -x "$deno" ]; then
		die 69 "deno not found (looked at PPTKIT_DENO, PATH and /usr/local/bin/deno)" \
			"pkg install deno, or set PPTKIT_DENO to the deno binary"
	fi
fi

# deno's caches: one directory whatever HOME is, so that V8's code cache written by one run
# (one entry per bundle, each always run with the same V8 flags) is found by the next; the
# bundle may not write it (--deny-write), deno itself may. deno creates it when it can, and
# runs without a cache when it cannot.
cache_dir=/var/db/pptkit/cache
if [ -n "${PPTKIT_CACHE_DIR:-}" ] && trusted PPTKIT_CACHE_DIR "$PPTKIT_CACHE_DIR"; then
	cache_dir=$PPTKIT_CACHE_DIR
fi
checked "$cache_dir"
export DENO_DIR="$cache_dir"

# V8 tiers for a short-lived program (measured with deno task bench): the optimising compiler
# never pays back in a run of tens of milliseconds, so it is off; a hook, which runs before
# every VM boot and does little, is fastest with no JIT at all. With a code cache every
# function is compiled at once (--no-lazy): V8's code cache keeps only what was compiled before
# deno wrote it, so a run that finds the cache compiles nothing. Without one (a cache directory
# this user cannot write, and no code in it) compiling everything would only cost: functions
# are compiled on their first call, as deno does by default.
case $command in
hook) v8_flags=--jitless ;;
*) v8_flags=--no-opt ;;
esac
eager=,--no-lazy

# deno writes a bundle's code cache on a thread of its own, which a process that calls exit
# never waits for: pptkit exits at once (a hook must not wait for anything it does not need),
# except when PPTKIT_CACHE_WRITE is set: then it ends by itself, which waits for the write.
# That is the case when this bundle has no stamp in the cache directory, or its stamp is older
# than the bundle, deno or this launcher (each may change the code V8 compiles or its flags).
case $bundle in
/*) ;;
*) bundle=$PWD/$bundle ;;
esac
stamp=""
old_ifs=$IFS
IFS=/
for part in $bundle; do stamp="$stamp${stamp:+_}$part"; done
IFS=$old_ifs
stamp="$cache_dir/$stamp$v8_flags$eager.stamp"
# can_write_cache: the cache directory, or the nearest directory above it that exists (deno
# makes the rest), may be written by this user; a file in the way means no.
can_write_cache() {
	d=$cache_dir
	while [ -n "$d" ] && [ ! -d "$d" ]; do
		[ ! -e "$d" ] || return 1
		d=${d%/*}
	done
	[ -w "${d:-/}" ]
}
unset PPTKIT_CACHE_WRITE
deno_home=""
# -nt is not POSIX, but FreeBSD's sh and test(1) have it, as do dash and bash.
# shellcheck disable=SC3013
if [ -f "$stamp" ] && [ ! "$bundle" -nt "$stamp" ] && [ ! "$deno" -nt "$stamp" ] &&
	[ ! "$0" -nt "$stamp" ]; then
	v8_flags=$v8_flags$eager # written before
elif ! can_write_cache; then
	# No code cache to read or write, so no --no-lazy. And if the directory is not even there
	# for deno's other caches (a user runs pptkit before root made it): deno as it runs by
	# default, its caches under this user's HOME (without any, it would analyse the bundle's
	# imports anew every run).
	if [ ! -d "$cache_dir" ]; then
		deno_home=${HOME:-}
		unset DENO_DIR
	fi
elif [ ! -d "$cache_dir" ] || { : >"$stamp"; } 2>/dev/null; then
	v8_flags=$v8_flags$eager
	export PPTKIT_CACHE_WRITE=1
fi
export HOME="${deno_home:-/var/empty}"
# No update check either: pptkit never touches the network.
export DENO_NO_UPDATE_CHECK=1
# A community plugin runs in a Worker with no permission at all: deno 2.9.6 allows that only
# with --unstable-worker-options, and tells the program nothing of its flags, so this variable
# says the flag is there (core/host/sandbox.ts). Set here whatever the caller's held.
export PPTKIT_UNSTABLE_WORKER_OPTIONS=1

# Variables that change what the dynamic linker or deno does, unset by name (listing the
# environment would cost a fork on every run). deno refuses to start any command while an
# LD_* or DYLD_* variable is set (it could load code into it): every pciconf would fail; the
# DENO_* and OTEL_DENO ones would add V8 flags, write coverage files, export telemetry, or
# change how modules resolve. pptkit's commands need none of them.
for name in AUDIT ASSUME_KERNEL BIND_NOT BIND_NOW DEBUG DEBUG_OUTPUT DUMP_REL_POST DUMP_REL_PRE \
	DYNAMIC_WEAK ELF_HINTS_PATH HWCAP_MASK LIBMAP LIBMAP_DISABLE LIBRARY_PATH LIBRARY_PATH_FDS \
	LIBRARY_PATH_RPATH LOADFLTR NO_DL_ITERATE_PHDR_AFTER_FORK ORIGIN_PATH POINTER_GUARD PRELOAD \
	PRELOAD_FDS PROFILE PROFILE_OUTPUT RUN_PATH SHOW_AUXV STATIC_TLS_EXTRA TRACE_LOADED_OBJECTS \
	TRACE_LOADED_OBJECTS_ALL TRACE_LOADED_OBJECTS_FMT1 TRACE_LOADED_OBJECTS_FMT2 \
	TRACE_LOADED_OBJECTS_PROGNAME TRACE_PRELINKING USE_LOAD_BIAS UTRACE VERBOSE WARN; do
	unset "LD_$name" "LD_32_$name"
done
unset DYLD_FALLBACK_FRAMEWORK_PATH DYLD_FALLBACK_LIBRARY_PATH DYLD_FRAMEWORK_PATH \
	DYLD_IMAGE_SUFFIX DYLD_INSERT_LIBRARIES DYLD_LIBRARY_PATH DYLD_PRINT_LIBRARIES \
	DENO_AUTH_TOKENS DENO_AUTO_SERVE DENO_CACHE_DB_MODE DENO_CERT DENO_COMPAT DENO_CONDITIONS \
	DENO_COVERAGE_DIR DENO_EMIT_CACHE_MODE DENO_KV_DB_MODE DENO_KV_DEFAULT_PATH \
	DENO_KV_PATH_PREFIX DENO_NO_PACKAGE_JSON DENO_SERVE_ADDRESS DENO_TLS_CA_STORE \
	DENO_TRACE_PERMISSIONS DENO_USE_CGROUPS DENO_V8_FLAGS NPM_CONFIG_REGISTRY OTEL_DENO \
	SSLKEYLOGFILE XDG_CACHE_HOME

exec "$deno" run --quiet --no-config --no-lock --no-prompt --cached-only --no-remote --no-npm \
	--v8-flags="$v8_flags" --unstable-worker-options \
	--allow-read="$read_paths$extra_read" \
	--allow-write="$write_paths$extra_write" \
	--deny-write="$cache_dir" \
	--allow-run="$run_commands" \
	--allow-env="$env_names" \
	--allow-sys="$sys_names" \
	"$bundle" "$@"
