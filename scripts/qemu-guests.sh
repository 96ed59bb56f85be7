#!/usr/bin/env bash
# Runs each guest test/guests/bin/<name>.elf under QEMU (TCG) and compares its serial output with
# test/guests/expected/<name>.txt and its exit status with 1 (exit(0)), or with the low 8 bits of the
# number in test/guests/expected/<name>.status if that file exists. test/guests/expected/<name>.cmdline, if
# present, is passed with -append. A line `// qemu-skip: <reason>` in the guest's sources skips it
# with that reason. Lines `// qemu: <options>` in the guest's sources (src/<name>.c or
# src/<name>/*.c) add QEMU options, e.g. `// qemu: -smp 4` (godwit's runner reads the same lines). Where QEMU is known to deviate from the SDM,
# expected/<name>.qemu.txt holds QEMU's output: a guest matching it is reported as match-qemu.
# Prints a table; exits non-zero if any guest differs or times out (a guest without an expected
# file is only run, and its output kept).
# Usage: scripts/qemu-guests.sh [name...]   (default: every built guest)
# -display none is used instead of -nographic: with -nographic SeaBIOS mirrors its console
# (banner, iPXE prompt) onto the serial port, which would mix with the guest's output.
# Env: TIMEOUT (seconds per guest, default 60), KEEP=1 keeps outputs in test/guests/build/qemu/.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
G="$ROOT/test/guests"
TIMEOUT="${TIMEOUT:-60}"

if ! command -v qemu-system-i386 >/dev/null 2>&1; then
	echo "qemu-guests: installing qemu-system-x86 (apt-get)" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86
fi

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$G"/bin/*.elf; do
		[ -e "$f" ] || continue
		names+=("$(basename "$f" .elf)")
	done
fi

out="$G/build/qemu"
mkdir -p "$out"
fail=0
printf '%-16s %-10s %-8s %s\n' guest result status note
for name in "${names[@]}"; do
	elf="$G/bin/$name.elf"
	exp="$G/expected/$name.txt"
	want_status=1
	# <name>.status is godwit's full (v << 1) | 1; a process exit status keeps its low 8 bits.
	[ -f "$G/expected/$name.status" ] && want_status="$(($(tr -d ' \n' <"$G/expected/$name.status") & 0xff))"
	args=()
	[ -f "$G/expected/$name.cmdline" ] && args=(-append "$(tr -d '\n' <"$G/expected/$name.cmdline")")
	# Extra options from `// qemu: ...` lines in the guest's C sources (split on blanks).
	for src in "$G/src/$name.c" "$G/src/$name"/*.c; do
		[ -f "$src" ] || continue
		while IFS= read -r line; do
			read -r -a words <<<"$line"
			args+=("${words[@]}")
		done < <(sed -n 's|^// qemu: *||p' "$src")
	done
	# `// qemu-skip: <reason>` in the guest's sources: QEMU cannot run it (the reason is printed).
	skip="$(sed -n 's|^// qemu-skip: *||p' "$G/src/$name.c" "$G/src/$name"/*.c 2>/dev/null | head -n 1)"
	if [ -n "$skip" ]; then
		printf '%-16s %-10s %-8s %s\n' "$name" skipped - "$skip"
		continue
	fi
	# The guest's options come last, so that one can override -no-reboot (-action reboot=reset).
	timeout "$TIMEOUT" qemu-system-i386 -M pc -m 128 -kernel "$elf" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -device pc-testdev \
		-display none -serial stdio -monitor none -no-reboot "${args[@]}" \
		</dev/null >"$out/$name.out" 2>"$out/$name.err"
	status=$?
	note=""
	if [ "$status" = 124 ]; then
		result=timeout
	elif [ ! -f "$exp" ]; then
		result=no-expected
	elif cmp -s "$out/$name.out" "$exp" && [ "$status" = "$want_status" ]; then
		result=match
	elif [ -f "$G/expected/$name.qemu.txt" ] && cmp -s "$out/$name.out" "$G/expected/$name.qemu.txt" &&
		[ "$status" = "$want_status" ]; then
		result=match-qemu
		note="equals expected/$name.qemu.txt (known QEMU deviations, $(diff "$exp" "$G/expected/$name.qemu.txt" | grep -c '^<') lines)"
	else
		result=differ
		if ! cmp -s "$out/$name.out" "$exp"; then
			note="$(diff "$exp" "$out/$name.out" | grep -c '^[<>]') differing lines (diff $exp $out/$name.out)"
		else
			note="status $status, want $want_status"
		fi
	fi
	case "$result" in match | match-qemu | no-expected) ;; *) fail=1 ;; esac
	[ "$result" = no-expected ] && note="output in $out/$name.out" && KEEP=1
	printf '%-16s %-10s %-8s %s\n' "$name" "$result" "$status" "$note"
done
[ "${KEEP:-0}" = 1 ] || { [ "$fail" = 0 ] && rm -rf "$out"; }
exit "$fail"
