#!/usr/bin/env bash
# Installs Debian's qemu-system-i386 (package qemu-system-x86) with apt-get when it is missing, for
# the tests that compare godwit with QEMU (scripts/qemu-guests.sh, test/machine/session/
# qmp-qemu.test.ts). Exits 0 when qemu-system-i386 is there afterwards.
set -uo pipefail
if command -v qemu-system-i386 >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "need-qemu: qemu-system-i386 is missing and there is no apt-get to install it" >&2
	exit 1
fi
echo "need-qemu: installing qemu-system-x86 (apt-get)" >&2
apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >&2
command -v qemu-system-i386 >/dev/null 2>&1
