#!/bin/sh
# Sandbox proofs: each real daemon binary (zt-tapd, zt-vl1d's network
# half and key holder, zt-vl2d, zt-controllerd) starts as root under its real
# policy with selftest.so preloaded; once it reaches its event loop it
# attempts one forbidden operation.  Every attempt must end in a seccomp
# kill (SIGSYS) or a refusal with EPERM or EACCES; anything else, an
# allowed call or another error, fails.  A control operation inside the
# policy must be allowed, so the harness can tell the outcomes apart.
# Each start runs in its own network and mount namespace (unshare): no
# packet leaves it, and /dev/net/tun can be made usable for zt-tap there.
# Daemons are given as NAME=BINARY; a daemon joins the proofs with one
# argument in meson.build (its start command is in run_daemon below).
# usage: test-sandbox-proof.sh SELFTEST.so NAME=BINARY...
set -u
lib=$1
shift
checks=0 failed=0
tapd='' vl1d='' ctrld='' vl2d=''
for a in "$@"; do
	case $a in
	zt-tapd=*) tapd=${a#*=} ;;
	zt-vl1d=*) vl1d=${a#*=} ;;
	zt-controllerd=*) ctrld=${a#*=} ;;
	zt-vl2d=*) vl2d=${a#*=} ;;
	*) echo "unknown daemon argument $a"; exit 1 ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "sandbox proofs need root (daemons drop from root)"
	exit 77
fi
sh "$ZT_SOURCE_ROOT/tests/setup-users.sh" || exit 1
case $lib in /*) ;; *) lib=$(pwd)/$lib ;; esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# /dev/net/tun may be 0600 on this host: a 0666 node of the same device
# is bind-mounted over it inside zt-tapd's private mount namespace
mknod "$tmp/tun" c 10 200 && chmod 666 "$tmp/tun" || exit 1

# the forbidden operations every process is tried with
ops="execve ptrace ptrace-traceme mount raw-socket packet-socket
netlink-socket inet-socket socketpair-inet6 read-outside write-outside
write-etc setuid setresuid setgroups chmod chroot unshare clone keyctl bpf
perf_event_open init_module finit_module personality kill prctl
mprotect-exec mmap-wx ioctl-tiocsti setsockopt reboot int80 x32"
# and per process ($extra): zt-vl1d's halves may not open (to read or
# write), replace or remove identity.secret, nor make any file in home,
# although home and the file are their user's; only Landlock (no rule
# for home itself) can refuse that to the network half

# without 32-bit emulation (ia32_emulation=0) the kernel faults on
# int 0x80 before seccomp runs: then SIGSEGV is the outcome to expect
ia32=yes
ZT_SELFTEST_BASELINE=int80 LD_PRELOAD=$lib /bin/true 2>/dev/null
[ $? = $((128 + 11)) ] && ia32=no
echo "kernel offers 32-bit syscalls: $ia32"

identity() {	# identity INDEX: a secret identity from the vectors
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))["valid"][int(sys.argv[2])]
print(v["secret"])' "$ZT_VECTORS_DIR/identities.json" "$1"
}

# --- per-daemon set-up: state directories owned by each daemon's user
mkdir -p "$tmp/tapd" "$tmp/vl1d" "$tmp/ctrld" "$tmp/vl2d"
chown zt-tap:zt-tap "$tmp/tapd"
echo control >"$tmp/tapd/selftest-control"
identity 0 >"$tmp/vl1d/identity.secret" || exit 1
# a planet where ZeroTier One keeps it: the first start moves it into
# world/, the one place in home the network half may write
python3 -c 'import json, sys
w = [w for w in json.load(open(sys.argv[1]))["worlds"]
    if w["name"] == "planet_v1"][0]
sys.stdout.buffer.write(bytes.fromhex(w["serialized"]))' \
    "$ZT_VECTORS_DIR/world.json" >"$tmp/planet" || exit 1
cp "$tmp/planet" "$tmp/vl1d/planet"
# home itself is closed to the network half: the control file is in
# moons.d, which it reads (and which ignores names without .moon)
mkdir "$tmp/vl1d/moons.d"
echo control >"$tmp/vl1d/moons.d/selftest-control"
chown -R zt-vl1:zt-vl1 "$tmp/vl1d"
chmod 700 "$tmp/vl1d"
chmod 600 "$tmp/vl1d/identity.secret"
cut -d: -f1-3 "$tmp/vl1d/identity.secret" >"$tmp/ctrl-identity.public"
chown zt-ctrl:zt-ctrl "$tmp/ctrld"
echo control >"$tmp/ctrld/selftest-control"
chown zt-ctrl "$tmp/ctrld/selftest-control"
chown zt-vl2:zt-vl2 "$tmp/vl2d"
echo control >"$tmp/vl2d/selftest-control"
chown zt-vl2 "$tmp/vl2d/selftest-control"

# run_daemon NAME OP PROC: one start in the job's directory $w; its
# stderr in $w/log, the exit status of the process the shell started in
# $status
run_daemon() {
	rm -rf "$w/run"/* "$w/outside"/*
	case $1 in
	zt-tapd)
		set -- "$tmp/tapd/selftest-control" "$2" "$3" \
		    sh -c 'mount --bind "$0" /dev/net/tun || exit 1; exec "$@"' \
		    "$tmp/tun" env LD_PRELOAD="$lib" \
		    "$tapd" -H "$tmp/tapd" -R "$w/run" ;;
	zt-vl1d)
		set -- "$tmp/vl1d/moons.d/selftest-control" "$2" "$3" \
		    env LD_PRELOAD="$lib" \
		    "$vl1d" -H "$tmp/vl1d" -R "$w/run" -p 19993 ;;
	zt-controllerd)
		set -- "$tmp/ctrld/selftest-control" "$2" "$3" \
		    env LD_PRELOAD="$lib" \
		    "$ctrld" -d "$tmp/ctrld" -R "$w/run" \
		    -I "$tmp/ctrl-identity.public" -P 19994 ;;
	zt-vl2d)
		set -- "$tmp/vl2d/selftest-control" "$2" "$3" \
		    env LD_PRELOAD="$lib" \
		    "$vl2d" -d "$tmp/vl2d" -R "$w/run" ;;
	esac
	file=$1 op=$2 proc=$3
	shift 3
	ZT_SELFTEST_OP=$op ZT_SELFTEST_PROC=$proc \
	    ZT_SELFTEST_DIR=$w/outside ZT_SELFTEST_FILE=$file \
	    ZT_SELFTEST_SECRET=$tmp/vl1d/identity.secret \
	    timeout 30 unshare --net --mount sh -c \
	    'ip link set lo up && exec "$@"' sh "$@" >"$w/log" 2>&1
	status=$?
}

# outcome NAME OP PROC: prints killed, refused:ERRNO, allowed or
# other:DETAIL
outcome() {
	run_daemon "$@"
	# the network half may call the key holder (key agreement with a
	# root) just as it dies: it then exits on the broken call before it
	# can log the wait status.  Another start tells the outcome.
	tries=1
	while [ "$3" = child ] && [ "$tries" -lt 3 ] &&
	    grep -q 'key holder does not answer' "$w/log"; do
		tries=$((tries + 1))
		run_daemon "$@"
	done
	if ! grep -q "selftest: $2 attempt" "$w/log"; then
		echo "other:never-reached-the-loop($status)"
		return
	fi
	# the harness's own word first: it prints a result unless killed
	r=$(sed -n "s/^selftest: $2 refused errno=\([0-9]*\)$/\1/p" "$w/log")
	if [ -n "$r" ]; then
		echo "refused:$r"
		return
	elif grep -q "^selftest: $2 allowed$" "$w/log"; then
		echo allowed
		return
	fi
	sig=
	if [ "$3" = child ]; then
		# the key holder's wait status, as the network half logged it
		sig=$(sed -n 's/.*key holder exited (status \([0-9]*\)).*/\1/p' \
		    "$w/log")
	elif [ "$status" -gt 128 ]; then
		sig=$((status - 128))
	fi
	case $sig in
	31) echo killed ;;
	11) echo segv ;;
	*) echo "other:status-$status-signal-$sig" ;;
	esac
}

# prove NAME PROC CONTROL-OP: the control op is allowed, every forbidden
# op is killed or refused with EPERM/EACCES
prove() {
	name=$1 proc=$2 control=$3 label=$1
	[ "$proc" = child ] && label="$1 key holder"
	checks=$((checks + 1))
	o=$(outcome "$name" "$control" "$proc")
	if [ "$o" != allowed ]; then
		fail "$label: control op $control: $o"
		cat "$w/log"
		return
	fi
	# a large sort inside the sandbox (see sandbox_warmup)
	checks=$((checks + 1))
	o=$(outcome "$name" qsort "$proc")
	[ "$o" = allowed ] || fail "$label: qsort of 2 KiB: $o"
	# realloc of an mmap'd block (mremap), as IPC reassembly does
	checks=$((checks + 1))
	o=$(outcome "$name" realloc "$proc")
	[ "$o" = allowed ] || fail "$label: realloc of 40 MiB: $o"
	n=0
	for op in $ops $extra; do
		checks=$((checks + 1))
		o=$(outcome "$name" "$op" "$proc")
		[ "$op" = int80 ] && [ "$ia32" = no ] && [ "$o" = segv ] &&
		    o="killed (SIGSEGV: no 32-bit emulation in this kernel)"
		case $o in
		killed*|refused:1|refused:13)
			n=$((n + 1))
			printf '%-22s %-16s %s\n' "$label" "$op" "$o" ;;
		*)
			fail "$label: $op: $o"
			sed 's/^/    /' "$w/log" | tail -5 ;;
		esac
	done
	echo "$label: $n forbidden operations stopped"
}

proofs_tapd() {
	extra=
	prove zt-tapd main control
}
# the two processes share one home: one after the other
proofs_vl1d() {
	extra="read-secret write-secret write-home replace-secret
remove-secret"
	prove zt-vl1d main control
	prove zt-vl1d child getpid
	# the one place in home it writes: planet updates in world/
	checks=$((checks + 1))
	o=$(outcome zt-vl1d write-world main)
	if [ "$o" = allowed ]; then
		echo "zt-vl1d                write-world      allowed"
	else
		fail "zt-vl1d: write-world (planet updates): $o"
		sed 's/^/    /' "$w/log" | tail -5
	fi
	checks=$((checks + 1))
	if [ ! -f "$tmp/vl1d/identity.secret" ] ||
	    [ "$(stat -c %U "$tmp/vl1d/world")" != zt-vl1 ]; then
		fail "zt-vl1d: identity.secret gone or world/ not zt-vl1's"
	fi
	checks=$((checks + 1))
	if [ -e "$tmp/vl1d/planet" ] ||
	    ! cmp -s "$tmp/planet" "$tmp/vl1d/world/planet"; then
		fail "zt-vl1d: home/planet not moved to world/planet"
	else
		echo "zt-vl1d: home/planet moved to world/planet"
	fi
}
proofs_vl2d() {
	extra=
	prove zt-vl2d main control
}
proofs_ctrld() {
	extra=
	prove zt-controllerd main control
}

# job KEY: that daemon's proofs in the background, in a directory of
# their own (run dir, log, and the directory outside every Landlock
# rule, writable by anyone, so only the sandbox can refuse a write)
jobs=""
job() {
	w=$tmp/w-$1
	mkdir -p "$w/run" "$w/outside"
	chmod 1777 "$w/outside"
	(
		checks=0 failed=0
		"proofs_$1"
		echo "$checks $failed" >"$w/result"
	) >"$w/out" 2>&1 &
	jobs="$jobs $1"
}
[ -n "$tapd" ] && job tapd
[ -n "$vl1d" ] && job vl1d
[ -n "$vl2d" ] && job vl2d
[ -n "$ctrld" ] && job ctrld
wait
for j in $jobs; do
	cat "$tmp/w-$j/out"
	if read -r c f <"$tmp/w-$j/result"; then
		checks=$((checks + c))
		failed=$((failed + f))
	else
		fail "proofs of $j did not finish"
	fi
done

echo "$checks checks, $failed failed"
[ "$failed" = 0 ]
