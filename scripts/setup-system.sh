#!/usr/bin/env bash
# Installs the Debian packages Bulkhead needs for building images and running tests.
# Idempotent: installs only what is missing. Needs root (or sudo); otherwise prints
# the exact apt-get command to run and exits non-zero.
set -euo pipefail

# package -> command that proves it is installed
declare -A NEED=(
  [chromium]=/usr/bin/chromium
  [qemu-system-x86]=/usr/bin/qemu-system-i386
  [nasm]=/usr/bin/nasm
  [mtools]=/usr/bin/mcopy
  [dosfstools]=/sbin/mkfs.fat
  [fdisk]=/sbin/sfdisk
  [syslinux]=/usr/bin/syslinux
  [syslinux-common]=/usr/lib/syslinux/mbr/mbr.bin
  [isolinux]=/usr/lib/ISOLINUX/isolinux.bin
  [cpio]=/usr/bin/cpio
  [xorriso]=/usr/bin/xorriso
  [kmod]=/sbin/depmod
  [xz-utils]=/usr/bin/xz
  [zstd]=/usr/bin/zstd
)
only=("$@")
missing=()
for pkg in "${!NEED[@]}"; do
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $pkg " ]]; then continue; fi
  [ -e "${NEED[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "bulkhead: missing Debian packages: ${missing[*]}" >&2
    echo "bulkhead: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "bulkhead: installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# i386 packages are downloaded (not installed) by the image script; the architecture must be known to apt.
$SUDO dpkg --add-architecture i386 || true
# apt-get update may exit non-zero when one suite's i386 list is mid-sync; the lists we need still arrive.
$SUDO apt-get update -qq || echo "bulkhead: apt-get update reported errors; continuing with the lists we have" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
