#!/usr/bin/env bash
# Runs the virtioblk guest under QEMU in every configuration and compares its serial output with
# test/guests/expected/virtioblk-<config>.txt (exit status 1: the guest's exit(0)). A fresh disk image
# from make-disk.mjs is used for each run. Prints a table; exits non-zero if anything differs.
# Usage: test/guests/disk/qemu-virtioblk.sh [config...]   (default: all; see CONFIGS below)
# Env: KEEP=1 keeps outputs in test/guests/build/qemu/, UPDATE=1 writes the expected files instead,
# EMULATOR=godwit runs the same command lines under godwit (bin/godwit.js) instead of QEMU.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
G="$ROOT/test/guests"
ELF="$G/bin/virtioblk.elf"
OUT="$G/build/qemu"
TIMEOUT="${TIMEOUT:-60}"
SERIAL=GODWITDISK0123456789

# name | -append | disable-legacy | readonly
CONFIGS=(
	"modern-msix|mode=modern irq=msix indirect=1 event_idx=1|on|off"
	"modern-intx|mode=modern irq=intx indirect=0 event_idx=0|off|off"
	"legacy-msix|mode=legacy irq=msix indirect=0 event_idx=1|off|off"
	"legacy-intx|mode=legacy irq=intx indirect=1 event_idx=0|off|off"
	"modern-msix-ro|mode=modern irq=msix indirect=1 event_idx=1|on|on"
)

if [ "${EMULATOR:-qemu}" = godwit ]; then
	EMU=(node "$ROOT/bin/godwit.js")
	[ "${UPDATE:-0}" = 1 ] && { echo "UPDATE=1 is for QEMU's outputs" >&2; exit 2; }
else
	EMU=(qemu-system-i386)
fi

mkdir -p "$OUT"
fail=0
printf '%-16s %-10s %-8s %s\n' config result status note
for entry in "${CONFIGS[@]}"; do
	IFS='|' read -r name append legacy ro <<<"$entry"
	if [ $# -gt 0 ] && [[ ! " $* " =~ " $name " ]]; then continue; fi
	disk="$OUT/virtioblk-$name.img"
	node "$G/disk/make-disk.mjs" "$disk" >/dev/null
	# The exact command line, also recorded in README-virtio.md.
	timeout "$TIMEOUT" "${EMU[@]}" -M pc -m 128 -kernel "$ELF" -append "$append" \
		-drive "file=$disk,format=raw,if=none,id=d0,readonly=$ro" \
		-device "virtio-blk-pci,drive=d0,disable-legacy=$legacy,serial=$SERIAL" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -display none -serial stdio -monitor none -no-reboot \
		</dev/null >"$OUT/virtioblk-$name.out" 2>"$OUT/virtioblk-$name.err"
	status=$?
	exp="$G/expected/virtioblk-$name.txt"
	note=""
	if [ "${UPDATE:-0}" = 1 ] && [ "$status" = 1 ]; then
		cp "$OUT/virtioblk-$name.out" "$exp"
		result=updated
	elif [ "$status" = 124 ]; then
		result=timeout
	elif [ ! -f "$exp" ]; then
		result=no-expected
		note="output in $OUT/virtioblk-$name.out"
		KEEP=1
	elif cmp -s "$OUT/virtioblk-$name.out" "$exp" && [ "$status" = 1 ]; then
		result=match
		# The guest undoes its writes: the image must be as make-disk.mjs wrote it.
		node "$G/disk/make-disk.mjs" "$OUT/virtioblk-fresh.img" >/dev/null
		if ! cmp -s "$disk" "$OUT/virtioblk-fresh.img"; then
			result=disk-changed
			note="$disk differs from a fresh image"
		fi
	else
		result=differ
		note="diff $exp $OUT/virtioblk-$name.out (status $status)"
	fi
	case "$result" in match | updated | no-expected) ;; *) fail=1 ;; esac
	printf '%-16s %-10s %-8s %s\n' "$name" "$result" "$status" "$note"
done
[ "${KEEP:-0}" = 1 ] || { [ "$fail" = 0 ] && rm -f "$OUT"/virtioblk-*; }
exit "$fail"
