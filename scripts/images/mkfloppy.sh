#!/usr/bin/env bash
# scripts/images/mkfloppy.sh — builds the Bulkhead floppy: a 1.44 MB (3.5" HD: 80 cylinders,
# 2 heads, 18 sectors) FAT12 image with SYSLINUX in its boot sector, which boots
# memtest86+'s 32-bit image (memtest86+ia32.bin speaks the Linux/x86 boot protocol, so
# SYSLINUX's LINUX directive loads it) with its screen mirrored on COM1 at 115200 baud.
#
# Usage: mkfloppy.sh MEMTEST_BIN OUT.img
# Reproducible given SOURCE_DATE_EPOCH (mtools and mkfs.fat take file times from it).
set -euo pipefail
export LC_ALL=C
PATH=$PATH:/sbin:/usr/sbin

memtest=$1 out=$2
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$memtest")}
export MTOOLS_SKIP_CHECK=1

work=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-floppy.XXXXXX")
trap 'rm -rf "$work"' EXIT
img=$work/floppy.img

# Standard 1.44 MB layout: media 0xF0, 1 sector per cluster, 224 root entries, 2 FATs.
mkfs.fat --invariant -C -F 12 -M 0xF0 -g 2/18 -s 1 -r 224 -f 2 -n MEMTEST -i 42554c4b \
  "$img" 1440 >/dev/null
syslinux --install "$img"

cat > "$work/syslinux.cfg" <<CFG
# SYSLINUX configuration of the Bulkhead floppy (scripts/images/mkfloppy.sh).
SERIAL 0 115200
DEFAULT memtest
PROMPT 0
TIMEOUT 0

LABEL memtest
  LINUX /memtest.bin
  APPEND console=ttyS0,115200
CFG
cp "$memtest" "$work/memtest.bin"
touch -d "@$SOURCE_DATE_EPOCH" "$work/syslinux.cfg" "$work/memtest.bin"
mcopy -m -i "$img" "$work/memtest.bin" "$work/syslinux.cfg" ::/

mv -f "$img" "$out"
