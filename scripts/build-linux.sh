#!/usr/bin/env bash
# Builds godwit's Linux guest (npm run guest:linux):
#   test/guests/linux/bzImage         i386 kernel from Debian's linux-source-6.1, tinyconfig plus
#                                     test/guests/linux/config-fragment
#   test/guests/linux/initramfs.cpio  uncompressed cpio: /init (test/guests/linux/init/*.c, freestanding),
#                                     /dev/console, empty /dev /proc /sys /tmp, and Debian's i386
#                                     busybox-static as /bin/busybox and /bin/sh (godwit.mode=shell)
#   test/guests/linux/System.map      the kernel's symbols, to name an EIP when scouting
#   test/guests/linux/images.txt      the recipe hash (this script, the fragment, the init sources,
#                                     the kernel and compiler versions) and the images' SHA-256;
#                                     test/guests/linux/images.test.ts checks both against the repository
# The source is unpacked once into $GODWIT_CACHE (default ~/.cache/godwit)/linux-6.1 and built out of
# tree in linux-6.1-i386, so a rebuild after a change is incremental (the first build takes a few
# minutes on two cores). The images are reproducible: the same recipe gives the same bytes.
# Installs missing build tools with apt-get. Options: --jobs N (default: number of CPUs).
set -euo pipefail
# Globs, sort and tool messages in one fixed order and language, whatever the caller's locale.
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
L="$ROOT/test/guests/linux"
CACHE="${GODWIT_CACHE:-$HOME/.cache/godwit}"
SRC="$CACHE/linux-6.1"
OUT="$CACHE/linux-6.1-i386"
INITOUT="$CACHE/linux-init"
TARBALL=/usr/src/linux-source-6.1.tar.xz
JOBS="$(nproc)"

while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) JOBS="$2"; shift 2 ;;
	*) echo "build-linux: unknown argument '$1' (usage: scripts/build-linux.sh [--jobs N])" >&2; exit 2 ;;
	esac
done

log() { echo "build-linux: $*" >&2; }

# --- tools -------------------------------------------------------------------------------------
need=()
[ -f "$TARBALL" ] || need+=(linux-source-6.1)
for t in gcc:gcc make:make flex:flex bison:bison bc:bc cpio:cpio lz4:lz4 perl:perl; do
	command -v "${t%%:*}" >/dev/null 2>&1 || need+=("${t#*:}")
done
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]} (apt-get)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
KVER="linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1)"
GCCVER="$(gcc -dumpfullversion) $(ld --version | head -n 1)"

# --- source: unpack once per package version -----------------------------------------------------
if [ "$(cat "$SRC/.godwit-unpacked" 2>/dev/null || true)" != "$KVER" ]; then
	log "unpacking $TARBALL into $SRC"
	rm -rf "$SRC" "$CACHE/linux-source-6.1" "$OUT"
	mkdir -p "$CACHE"
	tar -xJf "$TARBALL" -C "$CACHE"
	mv "$CACHE/linux-source-6.1" "$SRC"
	echo "$KVER" >"$SRC/.godwit-unpacked"
fi

# --- kernel ------------------------------------------------------------------------------------
# Fixed build identity, so the banner (uname) and the image depend only on the recipe.
export KBUILD_BUILD_TIMESTAMP="2026-01-01 00:00:00 UTC" KBUILD_BUILD_USER=godwit \
	KBUILD_BUILD_HOST=godwit KBUILD_BUILD_VERSION=1
KMAKE=(make -C "$SRC" O="$OUT" ARCH=i386 -j"$JOBS")
mkdir -p "$OUT"
# Re-deriving .config each time is cheap and stays incremental: kbuild rebuilds only what a changed
# option touches.
"${KMAKE[@]}" -s tinyconfig >/dev/null
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$L/config-fragment" >/dev/null
"${KMAKE[@]}" -s olddefconfig
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$OUT/.config" || { log "config: '$line' did not stick: $(grep "^${line%%=*}=\|# ${line%%=*} is not set" "$OUT/.config" || echo missing)"; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt="${line#\# }"; opt="${opt%% *}"
		if grep -q "^$opt=" "$OUT/.config"; then log "config: '$line' did not stick"; bad=1; fi ;;
	esac
done <"$L/config-fragment"
[ "$bad" = 0 ] || { log "the config fragment asks for values Kconfig refused (see above)"; exit 1; }
log "building the kernel ($JOBS jobs)"
"${KMAKE[@]}" -s bzImage
[ -x "$OUT/usr/gen_init_cpio" ] || "${KMAKE[@]}" -s usr/gen_init_cpio

# --- init ----------------------------------------------------------------------------------------
log "building /init"
mkdir -p "$INITOUT"
ICFLAGS=(-m32 -march=i486 -ffreestanding -mgeneral-regs-only -fno-pic -fno-pie -fno-stack-protector
	-fno-asynchronous-unwind-tables -fno-builtin -nostdlib -static -O2 -Wall -Wextra -Werror
	-I "$L/init")
objs=()
for f in "$L"/init/*.c "$L"/init/*.S; do
	[ -e "$f" ] || continue
	o="$INITOUT/$(basename "$f").o"
	gcc "${ICFLAGS[@]}" -c "$f" -o "$o"
	objs+=("$o")
done
gcc "${ICFLAGS[@]}" -no-pie -Wl,--build-id=none -Wl,-e,_start -o "$INITOUT/init" "${objs[@]}"
# The CPU has no FPU and no SSE: refuse x87 mnemonics (all start with f) and MMX/SSE registers.
fpu="$(objdump -d --no-show-raw-insn "$INITOUT/init" | awk -F'\t' 'NF >= 2 { print $2 }' | grep -E '^f|%x?mm|emms' || true)"
[ -z "$fpu" ] || { echo "$fpu" | head >&2; log "/init contains x87/MMX/SSE instructions"; exit 1; }

# --- busybox (the shell of godwit.mode=shell) ---------------------------------------------------
# Debian's i386 busybox-static, fetched once per version into $CACHE/busybox (the i386 architecture
# is added to dpkg for `apt-get download`; nothing is installed).
BBDIR="$CACHE/busybox"
mkdir -p "$BBDIR"
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	log "adding the i386 architecture to dpkg (for apt-get download busybox-static:i386)"
	dpkg --add-architecture i386
	apt-get update -qq
fi
# Pinned (this script is part of the recipe hash): a new version is a new recipe.
BBVER="1:1.35.0-4+deb12u1+b1"
BBDEB="$BBDIR/busybox-static_${BBVER//:/%3a}_i386.deb"
if [ ! -f "$BBDEB" ]; then
	log "fetching busybox-static:i386 $BBVER"
	(cd "$BBDIR" && apt-get download "busybox-static:i386=$BBVER") ||
		{ log "cannot fetch busybox-static:i386 $BBVER (no longer in the archive? pin the current one in BBVER)"; exit 1; }
fi
rm -rf "$INITOUT/busybox"
dpkg-deb -x "$BBDEB" "$INITOUT/busybox"
BUSYBOX="$INITOUT/busybox/bin/busybox"
[ -x "$BUSYBOX" ] || { log "no bin/busybox in $BBDEB"; exit 1; }

# --- initramfs -----------------------------------------------------------------------------------
cat >"$INITOUT/cpio-list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /bin 0755 0 0
dir /tmp 01777 0 0
file /bin/busybox $BUSYBOX 0755 0 0
slink /bin/sh busybox 0777 0 0
file /init $INITOUT/init 0755 0 0
EOF
# -t sets the time of directories and nodes; regular files carry their own mtime.
touch -d @0 "$INITOUT/init" "$BUSYBOX"
"$OUT/usr/gen_init_cpio" -t 0 "$INITOUT/cpio-list" >"$INITOUT/initramfs.cpio"

# --- install and record --------------------------------------------------------------------------
cp "$OUT/arch/x86/boot/bzImage" "$L/bzImage"
cp "$OUT/System.map" "$L/System.map"
cp "$INITOUT/initramfs.cpio" "$L/initramfs.cpio"
# The recipe hash: `sha256sum` lines of the recipe files in C-locale order, then the kernel and
# toolchain lines, hashed again. images.test.ts recomputes it the same way.
recipe_files() {
	cd "$ROOT"
	{ echo scripts/build-linux.sh; echo test/guests/linux/config-fragment; find test/guests/linux/init -type f; } | LC_ALL=C sort
}
recipe="$(cd "$ROOT" && { sha256sum $(recipe_files); echo "kernel $KVER"; echo "toolchain $GCCVER"; } | sha256sum | cut -d' ' -f1)"
{
	echo "# Written by scripts/build-linux.sh; test/guests/linux/images.test.ts checks it."
	echo "kernel $KVER"
	echo "toolchain $GCCVER"
	echo "recipe $recipe"
	(cd "$L" && sha256sum bzImage initramfs.cpio System.map)
} >"$L/images.txt"
log "done: $(stat -c %s "$L/bzImage") bytes bzImage, $(stat -c %s "$L/initramfs.cpio") bytes initramfs"
cat "$L/images.txt" >&2
