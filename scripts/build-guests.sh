#!/usr/bin/env bash
# Builds every guest into test/guests/bin/<name>.elf. A guest is test/guests/src/<name>.c (+ optional
# <name>.S) or a directory test/guests/src/<name>/ whose *.c and *.S files are all compiled together
# (multiboot ELF, committed), and the native i386 Linux variants listed in NATIVE_GUESTS into
# test/guests/build/<name>-native (not committed). Every guest links lib/entry.S and lib/libg.c, plus
# lib/<mod>.c and lib/<mod>-asm.S for each lib header "<mod>.h" its sources include (e.g. sys.h).
# Idempotent; installs gcc/binutils if missing.
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
	# Library modules: lib/<mod>.c (and lib/<mod>-asm.S) for each "<mod>.h" the guest includes.
	libs=()
	for h in $(grep -ho '#include "[a-z0-9_-]*\.h"' "${srcs[@]}" | sed 's/.*"\(.*\)\.h"/\1/' | sort -u); do
		[ "$h" = libg ] && continue
		[ -f "$G/lib/$h.c" ] && libs+=("$G/lib/$h.c")
		[ -f "$G/lib/$h-asm.S" ] && libs+=("$G/lib/$h-asm.S")
	done
	# Compile each file to a named object first: a one-step compile-and-link names assembler
	# objects after random temporary files in the symbol table, and the image would differ per build.
	objdir="$G/build/obj/$name"
	rm -rf "$objdir"
	mkdir -p "$objdir/guest" "$objdir/native"
	guest_objs=()
	for f in "$G/lib/entry.S" "$G/lib/libg.c" "${libs[@]}" "${srcs[@]}"; do
		o="$objdir/guest/$(basename "$f").o"
		gcc "${CFLAGS[@]}" "${inc[@]}" -c "$f" -o "$o"
		guest_objs+=("$o")
	done
	gcc "${CFLAGS[@]}" "${GUEST_LDFLAGS[@]}" -o "$G/bin/$name.elf" "${guest_objs[@]}"
	echo "built test/guests/bin/$name.elf"
	case " $NATIVE_GUESTS " in
	*" $name "*)
		native_objs=()
		for f in "$G/lib/native-start.S" "$G/lib/libg.c" "${srcs[@]}"; do
			o="$objdir/native/$(basename "$f").o"
			gcc "${CFLAGS[@]}" "${inc[@]}" -DNATIVE -c "$f" -o "$o"
			native_objs+=("$o")
		done
		gcc "${CFLAGS[@]}" -no-pie -Wl,--build-id=none -o "$G/build/$name-native" "${native_objs[@]}"
		echo "built test/guests/build/$name-native"
		;;
	esac
done
