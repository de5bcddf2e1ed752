#!/usr/bin/env bash
# scripts/images/mkdisk.sh — builds the Bulkhead hard-disk image: a raw disk with an MBR
# partition table (one active FAT16 partition, type 0x04, from LBA 2048), SYSLINUX's mbr.bin
# as boot code (it chain-loads the active partition's boot sector, using INT 13h extensions
# when the BIOS has them), and SYSLINUX installed in the partition, which loads the kernel and
# initramfs (Linux/x86 boot protocol, Documentation/x86/boot.rst). Built without loop mounts:
# sfdisk writes the partition table, mkfs.fat --offset and syslinux --offset work inside the
# image, mtools copies files with the image@@offset syntax.
#
# Usage: mkdisk.sh MBR_BIN VMLINUZ INITRD CMDLINE OUT.img [SIZE_MIB]
# Reproducible given SOURCE_DATE_EPOCH (file times) and the fixed volume ID below.
set -euo pipefail
export LC_ALL=C
PATH=$PATH:/sbin:/usr/sbin

mbr=$1 vmlinuz=$2 initrd=$3 cmdline=$4 out=$5 size_mib=${6:-32}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$vmlinuz")}
epoch=$SOURCE_DATE_EPOCH  # mtools and mkfs.fat take file times from it
part_lba=2048
total_sectors=$((size_mib * 2048))
# CHS geometry written to the partition table and the FAT boot sector: the classic ATA
# translation of 16 heads x 63 sectors. The partition ends on a cylinder boundary, so a BIOS
# or emulator that infers the geometry from the table (as QEMU does) finds the same one.
heads=16 spt=63
cyl_sectors=$((heads * spt))
part_sectors=$(( total_sectors / cyl_sectors * cyl_sectors - part_lba ))
# Type 0x04 (FAT16, < 32 MiB) only fits partitions below 65536 sectors; above that 0x06.
if [ $part_sectors -lt 65536 ]; then ptype=04; else ptype=06; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-disk.XXXXXX")
trap 'rm -rf "$work"' EXIT
img=$work/disk.img

truncate -s $((total_sectors * 512)) "$img"
# Fixed disk identifier: sfdisk would otherwise pick a random one.
sfdisk --quiet --no-reread --no-tell-kernel "$img" <<PT
label: dos
label-id: 0x42554c4b
unit: sectors

start=$part_lba, size=$part_sectors, type=$ptype, bootable
PT
# sfdisk assumes 255 heads: rewrite the entry's CHS start/end (MBR bytes 447-449, 451-453).
chs() {  # LBA -> the three CHS bytes of a partition entry, as \ooo escapes for printf
  local lba=$1 c h s
  c=$((lba / cyl_sectors)) h=$((lba / spt % heads)) s=$((lba % spt + 1))
  [ $c -gt 1023 ] && { c=1023 h=$((heads - 1)) s=$spt; }
  printf '\\%03o\\%03o\\%03o' $h $(( s | (c >> 8 & 3) << 6 )) $((c & 255))
}
printf "$(chs $part_lba)" | dd of="$img" bs=1 seek=447 conv=notrunc status=none
printf "$(chs $((part_lba + part_sectors - 1)))" | dd of="$img" bs=1 seek=451 conv=notrunc status=none
# Boot code: the first 440 bytes of the MBR (the disk ID and partition table follow).
dd if="$mbr" of="$img" bs=440 count=1 conv=notrunc status=none

# FAT16 in the partition. -h: hidden sectors = partition start (the boot sector uses it).
mkfs.fat --invariant -F 16 -n BULKHEAD -i 42554c4b -g $heads/$spt -h $part_lba --offset=$part_lba \
  "$img" $((part_sectors / 2)) >/dev/null
syslinux --offset $((part_lba * 512)) --install "$img"

cat > "$work/syslinux.cfg" <<CFG
# SYSLINUX configuration of the Bulkhead hard disk (scripts/images/mkdisk.sh).
# SERIAL mirrors the boot loader's own messages on COM1.
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0

LABEL linux
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND $cmdline

# Same, without the kernel's informational messages on the consoles.
LABEL quiet
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND $cmdline loglevel=3
CFG
cp "$vmlinuz" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
touch -d "@$epoch" "$work/syslinux.cfg" "$work/vmlinuz" "$work/initrd.img"
export MTOOLS_SKIP_CHECK=1
mcopy -m -i "$img@@$((part_lba * 512))" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/

mv -f "$img" "$out"
