#!/usr/bin/env bash
# scripts/images/mkiso.sh — builds the Bulkhead CD-ROM image: ISO 9660 (with Rock Ridge and
# Joliet names) whose El Torito boot catalog has one no-emulation entry for ISOLINUX
# (isolinux.bin loaded as 4 sectors of 512 bytes, boot-info-table patched in by xorriso, as
# ISOLINUX requires), and a hybrid MBR (isohdpfx.bin) so the same file also boots as a disk.
# ISOLINUX then loads the kernel and initramfs like the hard disk does.
#
# Usage: mkiso.sh ISOLINUX_BIN LDLINUX_C32 ISOHDPFX_BIN VMLINUZ INITRD CMDLINE OUT.iso
# Reproducible given SOURCE_DATE_EPOCH (xorriso takes all its time stamps and the volume
# UUID from it).
set -euo pipefail
export LC_ALL=C

isolinux=$1 ldlinux=$2 isohdpfx=$3 vmlinuz=$4 initrd=$5 cmdline=$6 out=$7
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$vmlinuz")}

work=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree/isolinux"
cp "$isolinux" "$tree/isolinux/isolinux.bin"
cp "$ldlinux" "$tree/isolinux/ldlinux.c32"
cp "$vmlinuz" "$tree/vmlinuz"
cp "$initrd" "$tree/initrd.img"
cat > "$tree/isolinux/isolinux.cfg" <<CFG
# ISOLINUX configuration of the Bulkhead CD-ROM (scripts/images/mkiso.sh).
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
chmod -R u=rwX,go=rX "$tree"
find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

xorriso -report_about SORRY -as mkisofs -quiet \
  -o "$work/out.iso" \
  -V BULKHEAD -r -J \
  -isohybrid-mbr "$isohdpfx" \
  -c isolinux/boot.cat \
  -b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
  "$tree" 2> "$work/xorriso.log" || { cat "$work/xorriso.log" >&2; exit 1; }
mv -f "$work/out.iso" "$out"
