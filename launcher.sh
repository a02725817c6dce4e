#!/bin/sh
# pptkit launcher: runs the pptkit bundle with deno and the least permissions it needs
# (pptkit(8), DESIGN §14): named read and write paths, only the commands pptkit runs, only
# the environment variables it reads, no network, no remote or npm modules.
#
# Installed as PREFIX/bin/pptkit next to PREFIX/libexec/pptkit/pptkit.js; in a build tree
# it is dist/pptkit next to dist/pptkit.js.
#
# Environment:
#   PPTKIT_DENO         deno binary (default: deno on PATH, then /usr/local/bin/deno)
#   PPTKIT_BUNDLE       the bundle to run (default: see above)
#   PPTKIT_ALLOW_READ   extra paths pptkit may read, comma-separated (VM directories
#                       outside the defaults)
#   PPTKIT_ALLOW_WRITE  extra paths pptkit may write, comma-separated
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

self=$0
bundle=${PPTKIT_BUNDLE:-}
if [ -n "$bundle" ]; then
	[ -f "$bundle" ] || die 69 "PPTKIT_BUNDLE=$bundle: no such file" \
		"set PPTKIT_BUNDLE to the path of pptkit.js, or unset it"
else
	case $self in
	*/*) dir=${self%/*} ;;
	*) dir=. ;;
	esac
	for candidate in "$dir/pptkit.js" "$dir/../libexec/pptkit/pptkit.js"; do
		if [ -f "$candidate" ]; then
			bundle=$candidate
			break
		fi
	done
	[ -n "$bundle" ] || die 69 "cannot find pptkit.js next to $self" \
		"set PPTKIT_BUNDLE to the bundle's path"
fi

deno=${PPTKIT_DENO:-}
if [ -n "$deno" ]; then
	case $deno in
	*/*) ;;
	*) deno=$(command -v "$deno" 2>/dev/null || echo "$deno") ;;
	esac
	if [ ! -f "$deno" ] || [ ! -x "$deno" ]; then
		die 69 "PPTKIT_DENO=$PPTKIT_DENO is not an executable file" \
			"set PPTKIT_DENO to the deno binary, or unset it to use deno from PATH"
	fi
else
	deno=$(command -v deno 2>/dev/null || true)
	[ -n "$deno" ] || deno=/usr/local/bin/deno
	if [ ! -f "$deno" ] || [ ! -x "$deno" ]; then
		die 69 "deno not found (looked at PPTKIT_DENO, PATH and /usr/local/bin/deno)" \
			"pkg install deno, or set PPTKIT_DENO to the deno binary"
	fi
fi

# Default permissions. `deno task compile` bakes these same lines into the single binary
# (compile.ts reads them): keep each one `name="..."` or `name="$name,..."`.
# Reads: loader files, /usr/local/etc (pptkit's configuration, VM configs, plugins, rc.conf.d),
# rc.conf (vm-bhyve's vm_dir), pptkit's state and device locks, Hoster's host_config.json in
# Hoster's own search order, and the VM directories of the wrappers' defaults. Not /dev/vmm:
# deno lets nothing under /dev be read without --allow-all; running VMs come from ps.
read_paths="/boot,/usr/local/etc,/etc/rc.conf,/etc/rc.conf.local,/etc/rc.conf.d"
read_paths="$read_paths,/var/db/pptkit,/var/run/pptkit"
read_paths="$read_paths,/opt/hoster-core/config_files,/opt/hoster/config_files"
read_paths="$read_paths,/usr/local/hoster,/etc/hoster,/root/hoster/config_files"
read_paths="$read_paths,/vm,/zroot/vm,/usr/local/vm,/zroot/vm-encrypted,/zroot/vm-unencrypted"
# Writes: the loader.conf files, each with its .tmp, .bak and .lock; the drop-in directory;
# pptkit's state (slot maps) and run directory (device locks).
write_paths="/boot/loader.conf,/boot/loader.conf.tmp,/boot/loader.conf.bak"
write_paths="$write_paths,/boot/loader.conf.lock,/boot/loader.conf.local"
write_paths="$write_paths,/boot/loader.conf.local.tmp,/boot/loader.conf.local.bak"
write_paths="$write_paths,/boot/loader.conf.local.lock,/boot/loader.conf.d"
write_paths="$write_paths,/var/db/pptkit,/var/run/pptkit"
run_commands="pciconf,acpidump,kenv,sysctl,kldstat,ps,devctl,uname,cbsd,sqlite3"
env_names="NO_COLOR,PPTKIT_*,HOME"
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
# a config file, a loader.conf file, a log file, the directory `snapshot DIR` writes.
extra_read=""
extra_write=""
snapshot_dir=""
root_dir=""
nl='
'
loader_confs=""
command=""
snapshot_out=""
# The command is the first argument that is not an option; `snapshot DIR` writes DIR.
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
			log) grant_write "$arg" ;;
			esac
			want=""
			continue
			;;
		esac
	fi
	case $arg in
	--) after_dashes=yes ;;
	--snapshot | --root | --config | --loader-conf | --log) want=${arg#--} ;;
	--snapshot=*) grant_read "${arg#*=}" && snapshot_dir=${arg#*=} ;;
	--root=*) grant_read "${arg#*=}" && root_dir=${arg#*=} ;;
	--config=*) grant_read "${arg#*=}" ;;
	--loader-conf=*)
		grant_read "${arg#*=}" && grant_file_write "${arg#*=}" &&
			loader_confs="$loader_confs$nl${arg#*=}"
		;;
	--log=*) grant_write "${arg#*=}" ;;
	# Other options that take a value: the value is neither the command nor a path.
	--vm | --format | --first-slot | --used-slots | --wrapper | --devices | --stale-after)
		want=skip
		;;
	-*) ;;
	*) positional "$arg" ;;
	esac
done

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

# deno refuses to start any command while an LD_* or DYLD_* variable is set (it could load
# code into it): every pciconf run would fail. pptkit's commands never need one.
while IFS= read -r line; do
	case $line in
	"export LD_"*=* | "export DYLD_"*=*)
		name=${line#export }
		unset "${name%%=*}" 2>/dev/null || true
		;;
	esac
done <<EOF
$(export -p)
EOF
# No update check either: pptkit never touches the network.
export DENO_NO_UPDATE_CHECK=1

# V8 tiers for a short-lived program (measured with deno task bench): the optimising compiler
# never pays back in a run of tens of milliseconds, so it is off; a hook, which runs before
# every VM boot and does little, is fastest with no JIT at all.
case $command in
hook) v8_flags=--jitless ;;
*) v8_flags=--no-opt ;;
esac

exec "$deno" run --quiet --no-config --no-lock --no-prompt --cached-only --no-remote --no-npm \
	--v8-flags="$v8_flags" \
	--allow-read="$read_paths$extra_read" \
	--allow-write="$write_paths$extra_write" \
	--allow-run="$run_commands" \
	--allow-env="$env_names" \
	--allow-sys="$sys_names" \
	"$bundle" "$@"
