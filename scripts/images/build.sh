#!/usr/bin/env bash
# scripts/images/build.sh — `npm run images`: builds Bulkhead's firmware and guest images in
# public/images/ from Debian packages (docs/images.md):
#   bios-256k.bin, vgabios-{stdvga,isavga,cirrus}.bin   copied from `seabios`
#   linux.img    hard disk: mbr.bin + FAT16 + SYSLINUX + Debian i386 686 kernel + initramfs
#   linux.iso    CD-ROM: ISO 9660, El Torito no-emulation ISOLINUX, hybrid MBR, same guest
#   floppy.img   1.44 MB FAT12 + SYSLINUX + memtest86+ (32-bit)
#   manifest.json  name, size, sha256, source packages and role of every file
# Packages come from `apt-get download` (apt's candidate versions) and are unpacked with
# `dpkg -x`; .debs and unpacked trees are cached in .cache/images/. Each output has a stamp
# (package versions + host tool versions + hash of scripts/images/), so a rerun with nothing
# changed does no work. Options: --force (rebuild everything), --help.
set -euo pipefail
export LC_ALL=C
umask 022

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/scripts/images
IMG_CACHE=${BULKHEAD_IMAGES_CACHE:-$ROOT/.cache/images}
IMG_OUT=${BULKHEAD_IMAGES_OUT:-$ROOT/public/images}
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# Kernel command line of the Linux guest. The last console= becomes /dev/console: ttyS0, so
# the kernel log, init's messages and a panic all reach the serial port (the channel the
# Node runner and the tests read); the kernel log is mirrored on the VGA console (tty0).
# cryptomgr.notests skips the kernel's crypto self-tests: about 3.1 G of the boot's 6.6 G
# guest instructions, mostly the RSA/MPI test (docs/notes/profile-boot.md), which an emulated
# demo guest has no use for (docs/images.md).
GUEST_CMDLINE="console=tty0 console=ttyS0,115200 cryptomgr.notests"
DISK_SIZE_MIB=32
KERNEL_META=linux-image-686:i386

force=0
for a in "$@"; do
  case "$a" in
    --force|-f) force=1 ;;
    --help|-h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $a (try --help)" ;;
  esac
done

t0=$(date +%s.%N)
check_tools
ensure_apt_lists
mkdir -p "$IMG_CACHE" "$IMG_OUT"
# One build at a time per cache (npm run images may race with a test that reruns it).
exec 9> "$IMG_CACHE/.lock"
flock 9

# --- resolve what the images are made of ---
PKGS=(seabios busybox-static:i386 memtest86+:i386 syslinux-common isolinux)
if ! resolve_packages "$KERNEL_META" "${PKGS[@]}"; then
  # The lists may be stale or lack a package: fetch them once and try again.
  FORCE_UPDATE=1 ensure_apt_lists
  resolve_packages "$KERNEL_META" "${PKGS[@]}" \
    || die "apt knows no candidate for one of: $KERNEL_META ${PKGS[*]}"
fi
kpkg=$KPKG
# Host tools whose version shapes the output bytes (the syslinux installer writes ldlinux.sys).
tools_sig="syslinux=$(host_version syslinux) mtools=$(host_version mtools) dosfstools=$(host_version dosfstools) fdisk=$(host_version fdisk) xorriso=$(host_version xorriso) cpio=$(host_version cpio) zstd=$(host_version zstd) kmod=$(host_version kmod)"
scripts_sig=$(cd "$HERE" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256_stdin)

pkgsig() { local s="" p; for p in "$@"; do s+="$p=${VER[$p]} "; done; printf '%s' "$s"; }
key_for() { printf '%s\n' "$@" "$tools_sig" "$scripts_sig" "$GUEST_CMDLINE" "$DISK_SIZE_MIB" | sha256_stdin; }

# The unpacked tree of package P (downloaded and unpacked on first use, cached on disk).
tree() {
  local p=$1 arch=${ARCH[$1]} deb
  [ "$arch" = all ] && arch=$(dpkg --print-architecture)
  deb=$(fetch_deb "$p" "$arch" "${VER[$p]}")
  extract_deb "$deb"
}

WORK=$IMG_CACHE/work
mkdir -p "$WORK"
built=()

# output NAME KEY BUILDER — runs BUILDER (which writes $WORK/NAME) when NAME is stale.
output() {
  local name=$1 key=$2 builder=$3
  if [ $force = 0 ] && stamp_fresh "$name" "$key" "$IMG_OUT/$name"; then return 0; fi
  log "building $name"
  rm -f "$WORK/$name"
  "$builder" "$name"
  [ -s "$WORK/$name" ] || die "building $name produced nothing"
  install_output "$WORK/$name" "$name"
  rm -f "$WORK/$name"
  stamp_write "$name" "$key" "$IMG_OUT/$name"
  built+=("$name")
}

# --- firmware ---
copy_seabios() { local t; t=$(tree seabios); cp "$t/usr/share/seabios/$1" "$WORK/$1"; }
for fw in bios-256k.bin vgabios-stdvga.bin vgabios-isavga.bin vgabios-cirrus.bin; do
  output "$fw" "$(key_for "$(pkgsig seabios)" "$fw")" copy_seabios
done

# --- Linux guest: kernel + initramfs (shared by the disk and the CD) ---
guest_sig=$(pkgsig "$kpkg" busybox-static)
initrd=$IMG_CACHE/initrd-$(key_for "$guest_sig" initramfs).img
[ $force = 1 ] && rm -f "$initrd"
kernel_file() { local t; t=$(tree "$kpkg"); ls "$t"/boot/vmlinuz-* | head -1; }
need_initrd() {
  [ -f "$initrd" ] && return 0
  log "building the initramfs"
  local k b; k=$(tree "$kpkg"); b=$(tree busybox-static)
  rm -f "$IMG_CACHE"/initrd-*.img
  bash "$HERE/mkinitramfs.sh" "$k" "$b" "$initrd"
}
build_disk() {
  need_initrd
  local s k; s=$(tree syslinux-common); k=$(kernel_file)
  bash "$HERE/mkdisk.sh" "$s/usr/lib/syslinux/mbr/mbr.bin" "$k" "$initrd" "$GUEST_CMDLINE" \
    "$WORK/$1" "$DISK_SIZE_MIB"
}
build_iso() {
  need_initrd
  local i s k; i=$(tree isolinux); s=$(tree syslinux-common); k=$(kernel_file)
  bash "$HERE/mkiso.sh" "$i/usr/lib/ISOLINUX/isolinux.bin" \
    "$s/usr/lib/syslinux/modules/bios/ldlinux.c32" "$i/usr/lib/ISOLINUX/isohdpfx.bin" \
    "$k" "$initrd" "$GUEST_CMDLINE" "$WORK/$1"
}
build_floppy() {
  local m; m=$(tree memtest86+)
  bash "$HERE/mkfloppy.sh" "$m/boot/memtest86+ia32.bin" "$WORK/$1"
}
output linux.img "$(key_for "$guest_sig" "$(pkgsig syslinux-common)" disk)" build_disk
output linux.iso "$(key_for "$guest_sig" "$(pkgsig syslinux-common isolinux)" iso)" build_iso
output floppy.img "$(key_for "$(pkgsig memtest86+)" floppy)" build_floppy

# --- manifest: rebuilt when any output or its sources changed ---
kver=${kpkg#linux-image-}
manifest_input() {
  printf '%s\n' "kernel_release=$kver" "cmdline=$GUEST_CMDLINE" "host_syslinux=$(host_version syslinux)"
  local p; for p in "${!VER[@]}"; do printf 'pkg=%s %s %s\n' "$p" "${VER[$p]}" "${ARCH[$p]}"; done | sort
  local f; for f in bios-256k.bin vgabios-stdvga.bin vgabios-isavga.bin vgabios-cirrus.bin linux.img linux.iso floppy.img; do
    printf 'stamp=%s %s\n' "$f" "$(cat "$IMG_CACHE/stamps/$f")"
  done
}
build_manifest() { manifest_input | node "$HERE/manifest.mjs" "$IMG_OUT" > "$WORK/$1"; }
output manifest.json "$(key_for "$(manifest_input)" manifest)" build_manifest

# Drop cached packages of versions no longer wanted (after a Debian update, say).
if [ ${#built[@]} -gt 0 ]; then
  for d in "$IMG_CACHE"/debs/*.deb "$IMG_CACHE"/pkgs/*/; do
    [ -e "$d" ] || continue
    b=$(basename "$d" .deb) keep=0
    for p in "${!VER[@]}"; do
      case "$b" in "${p}_${VER[$p]//:/%3a}_"*) keep=1; break ;; esac
    done
    [ $keep = 1 ] || { log "removing stale cache entry $b"; rm -rf "$d"; }
  done
fi

t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
if [ ${#built[@]} -eq 0 ]; then
  log "all images are up to date in ${IMG_OUT#"$ROOT"/} (${secs}s; --force rebuilds)"
else
  log "built ${built[*]} in ${secs}s"
  (cd "$IMG_OUT" && ls -l "${built[@]}" | awk '{ printf "images:   %-20s %10d bytes\n", $9, $5 }') >&2
fi
