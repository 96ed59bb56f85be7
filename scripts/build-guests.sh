#!/usr/bin/env bash
# Builds every guest into test/guests/bin/<name>.elf. A guest is test/guests/src/<name>.c (+ optional
# <name>.S) or a directory test/guests/src/<name>/ whose *.c and *.S files are all compiled together
# (multiboot ELF, committed), and the native i386 Linux variants listed in NATIVE_GUESTS into
# test/guests/build/<name>-native (not committed). Idempotent; installs gcc/binutils if missing.
# Usage: scripts/build-guests.sh [name...]   (default: all guests)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
G="$ROOT/test/guests"
NATIVE_GUESTS="insn bench"

need=()
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v ld >/dev/null 2>&1 || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
	echo "build-guests: installing ${need[*]} (apt-get)" >&2
	apt-get update -qq
	apt-get install -y -qq "${need[@]}"
fi

CFLAGS=(-m32 -march=i486 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -static -O2 -Wall
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -fno-builtin -I "$G/lib")
GUEST_LDFLAGS=(-no-pie -Wl,-T,"$G/link.ld" -Wl,--build-id=none -Wl,-n -Wl,--no-warn-rwx-segments)

mkdir -p "$G/bin" "$G/build"

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in "$G"/src/*.c "$G"/src/*/; do
		[ -e "$f" ] || continue
		names+=("$(basename "$f" .c)")
	done
fi

for name in "${names[@]}"; do
	if [ -d "$G/src/$name" ]; then
		srcs=()
		for f in "$G/src/$name"/*.c "$G/src/$name"/*.S; do
			[ -e "$f" ] && srcs+=("$f")
		done
		inc=(-I "$G/src/$name")
	else
		srcs=("$G/src/$name.c")
		[ -f "$G/src/$name.S" ] && srcs+=("$G/src/$name.S")
		inc=()
	fi
	gcc "${CFLAGS[@]}" "${inc[@]}" "${GUEST_LDFLAGS[@]}" -o "$G/bin/$name.elf" \
		"$G/lib/entry.S" "$G/lib/libg.c" "${srcs[@]}"
	echo "built test/guests/bin/$name.elf"
	case " $NATIVE_GUESTS " in
	*" $name "*)
		gcc "${CFLAGS[@]}" "${inc[@]}" -DNATIVE -no-pie -Wl,--build-id=none -o "$G/build/$name-native" \
			"$G/lib/native-start.S" "$G/lib/libg.c" "${srcs[@]}"
		echo "built test/guests/build/$name-native"
		;;
	esac
done
