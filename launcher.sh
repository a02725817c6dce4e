#!/bin/sh
# pptkit launcher: runs the pptkit bundle with deno and the least permissions it needs
# (pptkit(8), DESIGN §14): named read and write paths, only the commands pptkit runs, only
# the environment variables it reads, no network.
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
set -eu

self=$0
bundle=${PPTKIT_BUNDLE:-}
if [ -z "$bundle" ]; then
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
fi
if [ -z "$bundle" ] || [ ! -f "$bundle" ]; then
	echo "pptkit: cannot find pptkit.js next to $self" >&2
	echo "hint: set PPTKIT_BUNDLE to the bundle's path" >&2
	exit 69
fi

deno=${PPTKIT_DENO:-}
if [ -z "$deno" ]; then
	deno=$(command -v deno 2>/dev/null || true)
	[ -n "$deno" ] || deno=/usr/local/bin/deno
fi
if [ ! -x "$deno" ]; then
	echo "pptkit: deno not found (looked at PPTKIT_DENO, PATH and /usr/local/bin/deno)" >&2
	echo "hint: pkg install deno, or set PPTKIT_DENO to the deno binary" >&2
	exit 69
fi

# What pptkit reads: loader files, its own configuration and state, the VM configs of the
# wrappers in their default places, the running VMs.
read_paths="/boot,/usr/local/etc/pptkit,/usr/local/etc/hoster,/usr/local/etc/vm-bhyve"
read_paths="$read_paths,/etc/rc.conf,/etc/rc.conf.local,/var/db/pptkit,/var/run/pptkit"
read_paths="$read_paths,/dev/vmm,/vm,/zroot/vm,/usr/local/vm,/usr/jails"
# What it writes: loader.conf files (each with its .tmp, .bak and .lock), its state.
write_paths="/var/db/pptkit,/var/run/pptkit,/boot/loader.conf.d"
for f in /boot/loader.conf /boot/loader.conf.local; do
	write_paths="$write_paths,$f,$f.tmp,$f.bak,$f.lock"
done

add_read() { read_paths="$read_paths,$1"; }
add_write() { write_paths="$write_paths,$1"; }
add_file_write() { add_write "$1,$1.tmp,$1.bak,$1.lock"; }

# Paths named on the command line are granted too: a snapshot or root directory, a config
# file, a loader.conf drop-in, a log file, the directory `snapshot` writes.
command=""
want=""
for arg in "$@"; do
	case $want in
	snapshot | root)
		add_read "$arg"
		add_write "$arg/root"
		[ "$want" = root ] && add_write "$arg"
		want=""
		continue
		;;
	config)
		add_read "$arg"
		want=""
		continue
		;;
	loader-conf)
		add_read "$arg"
		add_file_write "$arg"
		want=""
		continue
		;;
	log)
		add_write "$arg"
		want=""
		continue
		;;
	dir)
		case $arg in
		-*) ;;
		*)
			add_read "$arg"
			add_write "$arg"
			want=""
			continue
			;;
		esac
		;;
	esac
	case $arg in
	--snapshot | --root | --config | --loader-conf | --log) want=${arg#--} ;;
	--snapshot=* | --root=*)
		value=${arg#*=}
		add_read "$value"
		add_write "$value/root"
		case $arg in --root=*) add_write "$value" ;; esac
		;;
	--config=*) add_read "${arg#*=}" ;;
	--loader-conf=*) add_read "${arg#*=}" && add_file_write "${arg#*=}" ;;
	--log=*) add_write "${arg#*=}" ;;
	-*) ;;
	*)
		if [ -z "$command" ]; then
			command=$arg
			[ "$command" = snapshot ] && want=dir
		fi
		;;
	esac
done
[ -n "${PPTKIT_ALLOW_READ:-}" ] && add_read "$PPTKIT_ALLOW_READ"
[ -n "${PPTKIT_ALLOW_WRITE:-}" ] && add_write "$PPTKIT_ALLOW_WRITE"

exec "$deno" run --quiet --no-config --no-lock --no-prompt --cached-only \
	--allow-read="$read_paths" \
	--allow-write="$write_paths" \
	--allow-run=pciconf,acpidump,kenv,sysctl,kldstat,ps,devctl,uname,cbsd \
	--allow-env='NO_COLOR,PPTKIT_*,HOME' \
	"$bundle" "$@"
