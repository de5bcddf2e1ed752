#!/usr/bin/env bash
# scripts/images/mkinitramfs.sh — builds the Bulkhead guest initramfs: a zstd-compressed
# newc cpio archive (the format of Documentation/driver-api/early-userspace/buffer-format.rst)
# holding busybox-static with one symlink per applet, the files in scripts/images/guest/, and
# the kernel modules listed in guest/modules with all their dependencies, decompressed to .ko
# and indexed by depmod so busybox modprobe can load them.
#
# Usage: mkinitramfs.sh KERNEL_TREE BUSYBOX_TREE OUT.img
#   KERNEL_TREE  a linux-image package unpacked with dpkg -x (boot/ and lib/modules/VER/)
#   BUSYBOX_TREE a busybox-static package unpacked with dpkg -x (bin/busybox)
# Reproducible: every file gets the mtime SOURCE_DATE_EPOCH (default: the kernel image's
# mtime from the package), owner 0:0, fixed modes, and the archive lists files in C-locale
# order (cpio --reproducible).
set -euo pipefail
export LC_ALL=C
umask 022

kernel_tree=$(realpath "$1") busybox_tree=$(realpath "$2") out=$3
here=$(cd "$(dirname "$0")" && pwd)
guest=$here/guest
PATH=$PATH:/sbin:/usr/sbin

vmlinuz=$(ls "$kernel_tree"/boot/vmlinuz-* | head -1)
kver=${vmlinuz##*/vmlinuz-}
kmods=$kernel_tree/lib/modules/$kver
[ -d "$kmods/kernel" ] || { echo "mkinitramfs: no modules for $kver in $kernel_tree" >&2; exit 1; }
epoch=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$vmlinuz")}

stage=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# --- directories and busybox ---
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,run,mnt,root,var/log}
chmod 1777 "$stage/tmp"
install -m 0755 "$busybox_tree/bin/busybox" "$stage/bin/busybox"
if applets=$("$busybox_tree/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
  while read -r a; do
    case "$a" in bin/busybox|linuxrc|'') continue ;; esac
    mkdir -p "$stage/$(dirname "$a")"
    ln -sfn /bin/busybox "$stage/$a"
  done <<< "$applets"
else
  # The host cannot run i386 binaries: /init installs the applet links at boot instead.
  echo "mkinitramfs: warning: cannot run busybox on this host; applets are linked at boot" >&2
  ln -s busybox "$stage/bin/sh"
fi

# --- configuration and scripts ---
install -m 0755 "$guest/init" "$stage/init"
install -m 0755 "$guest/loadmods" "$stage/bin/loadmods"
install -m 0644 "$guest/inittab" "$stage/etc/inittab"
install -m 0644 "$guest/profile" "$stage/etc/profile"
install -m 0644 "$guest/modules" "$stage/etc/modules"
printf 'bulkhead\n' > "$stage/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' > "$stage/etc/group"
printf 'proc /proc proc defaults 0 0\nsysfs /sys sysfs defaults 0 0\n' > "$stage/etc/fstab"

# --- kernel modules with their dependencies ---
# The unpacked package has no modules.dep (the package's postinst makes it): index it once.
if [ ! -f "$kmods/modules.dep" ] || [ "$kmods/modules.order" -nt "$kmods/modules.dep" ]; then
  depmod -b "$kernel_tree" "$kver"
fi
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$guest/modules")
declare -A seen=()
for m in "${wanted[@]}"; do
  # modprobe --show-depends lists the module after everything it needs, soft deps included.
  deps=$(modprobe --show-depends --dirname="$kernel_tree" --set-version="$kver" "$m") \
    || { echo "mkinitramfs: module $m not found in $kver" >&2; exit 1; }
  while read -r verb path _; do
    [ "$verb" = insmod ] || continue
    rel=${path#*/lib/modules/"$kver"/}
    [ -n "${seen[$rel]:-}" ] && continue
    seen[$rel]=1
    dest=$stage/lib/modules/$kver/${rel%.xz}
    dest=${dest%.zst}
    mkdir -p "$(dirname "$dest")"
    case "$path" in
      *.ko.xz) xz -dc "$path" > "$dest" ;;
      *.ko.zst) zstd -qdc "$path" > "$dest" ;;
      *.ko) cp "$path" "$dest" ;;
      *) echo "mkinitramfs: unexpected module file $path" >&2; exit 1 ;;
    esac
    chmod 0644 "$dest"
  done <<< "$deps"
done
cp "$kmods/modules.builtin" "$kmods/modules.builtin.modinfo" "$stage/lib/modules/$kver/"
# modules.order, cut down to the modules we carry, keeps depmod's ordering and silences it.
printf '%s\n' "${!seen[@]}" | sed 's/\.\(xz\|zst\)$//' | grep -Fxf - "$kmods/modules.order" \
  > "$stage/lib/modules/$kver/modules.order" || true
depmod -b "$stage" "$kver"
# Keep the text indexes busybox modprobe reads; drop kmod's binary twins to save space.
rm -f "$stage/lib/modules/$kver/"*.bin

# --- archive ---
find "$stage" -exec touch -h -d "@$epoch" {} +
(cd "$stage" && find . -mindepth 1 -print0 | sort -z \
  | cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) \
  | zstd -q -19 -T1 -c > "$out.tmp"
mv -f "$out.tmp" "$out"
echo "mkinitramfs: $out: kernel $kver, ${#seen[@]} modules, $(stat -c %s "$out") bytes" >&2
