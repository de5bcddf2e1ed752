# scripts/images/lib.sh — helpers for scripts/images/build.sh (sourced, not run).
#
# Logging, host-tool checks, Debian package resolution and download (`apt-get download` +
# `dpkg -x`, cached under .cache/images/), and per-output stamps that make a rerun a no-op.
# Package resolution follows apt's candidate version (apt-cache policy), so the images follow
# the Debian suite the machine's apt lists describe.

log() { printf 'images: %s\n' "$*" >&2; }
warn() { printf 'images: warning: %s\n' "$*" >&2; }
die() { printf 'images: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# sha256 of stdin, hex only.
sha256_stdin() { sha256sum | cut -d' ' -f1; }
sha256_file() { sha256sum "$1" | cut -d' ' -f1; }

# Host commands the build needs, with the Debian package that provides each.
declare -A IMG_TOOL_PKG=(
  [apt-get]=apt [apt-cache]=apt [dpkg]=dpkg [dpkg-query]=dpkg [sha256sum]=coreutils
  [mcopy]=mtools [mmd]=mtools [mformat]=mtools [mkfs.fat]=dosfstools [sfdisk]=fdisk
  [syslinux]=syslinux [cpio]=cpio [xorriso]=xorriso [depmod]=kmod [modprobe]=kmod
  [xz]=xz-utils [zstd]=zstd [node]=nodejs [flock]=util-linux
)

# Checks the host tools; missing ones are installed through scripts/setup-system.sh when we
# are root, otherwise the exact command to run is printed and the build stops.
check_tools() {
  local missing=() t
  for t in "${!IMG_TOOL_PKG[@]}"; do
    command -v "$t" >/dev/null 2>&1 || PATH="$PATH:/sbin:/usr/sbin" command -v "$t" >/dev/null 2>&1 \
      || missing+=("${IMG_TOOL_PKG[$t]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if is_root; then
    log "installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die "could not install ${missing[*]}; run: apt-get update && apt-get install -y ${missing[*]}"
  else
    die "missing Debian packages: ${missing[*]}
images: install them as root with:  apt-get update && apt-get install -y ${missing[*]}"
  fi
}

# apt must know the i386 architecture and have its package lists (the kernel and busybox are
# i386 packages). `apt-get update` may exit non-zero while one suite's i386 list is mid-sync;
# the lists we need still arrive, so that is a warning. FORCE_UPDATE=1 updates regardless.
ensure_apt_lists() {
  local have_i386=0 lists
  dpkg --print-foreign-architectures | grep -qx i386 && have_i386=1
  eval "$(apt-config shell lists Dir::State::lists/d)"
  lists=${lists:-/var/lib/apt/lists/}
  if [ $have_i386 = 1 ] && [ "${FORCE_UPDATE:-0}" = 0 ] \
     && compgen -G "${lists%/}/*_binary-i386_Packages*" >/dev/null; then
    return 0
  fi
  if ! is_root; then
    die "apt has no i386 package lists; run as root:
images:   dpkg --add-architecture i386 && apt-get update"
  fi
  [ $have_i386 = 1 ] || { log "adding the i386 architecture to dpkg"; dpkg --add-architecture i386; }
  log "apt-get update (fetching package lists)"
  apt-get update -qq >&2 || warn "apt-get update reported errors; going on with the lists we have"
}

# resolve_packages META NAME[:ARCH]... — one apt-cache call (it costs about a second) for the
# candidate versions of the packages and of the kernel package the linux-image meta package
# META depends on. Fills VER[name], ARCH[name] ("all" or the arch of the record) and KPKG.
declare -A VER ARCH
KPKG=
resolve_packages() {
  local meta=$1 records name="" arch="" version=""
  KPKG_DEP=""
  shift
  records=$(apt-cache show --no-all-versions "$meta" "$@" 2>/dev/null) || true
  while IFS= read -r line; do
    case "$line" in
      'Package: '*) name=${line#Package: } ;;
      'Architecture: '*) arch=${line#Architecture: } ;;
      'Version: '*) version=${line#Version: } ;;
      'Depends: '*) [ "$name" = "${meta%%:*}" ] && KPKG_DEP=${line#Depends: } ;;
      '') [ -n "$name" ] && { VER[$name]=$version; ARCH[$name]=$arch; }; name="" ;;
    esac
  done <<< "$records"$'\n'
  local want
  for want in "$meta" "$@"; do
    [ -n "${VER[${want%%:*}]:-}" ] || return 1
  done
  # "linux-image-6.1.0-50-686 (= 6.1.176-1)" -> name and its pinned version.
  local dep
  dep=$(printf '%s\n' "$KPKG_DEP" | tr ',|' '\n\n' | sed 's/^ *//' | grep -E '^linux-image-[0-9]' | head -1)
  KPKG=${dep%% *}
  [ -n "$KPKG" ] || return 1
  if [[ "$dep" =~ \(=\ ([^\)]+)\) ]]; then
    VER[$KPKG]=${BASH_REMATCH[1]}
    ARCH[$KPKG]=${ARCH[${meta%%:*}]}
  else
    records=$(apt-cache show --no-all-versions "$KPKG:${meta##*:}" 2>/dev/null) || return 1
    VER[$KPKG]=$(printf '%s\n' "$records" | awk -F': ' '$1 == "Version" { print $2; exit }')
    ARCH[$KPKG]=$(printf '%s\n' "$records" | awk -F': ' '$1 == "Architecture" { print $2; exit }')
  fi
  [ -n "${VER[$KPKG]}" ]
}

# Installed version of a host package (for stamps), or "none".
host_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || printf none; }

# fetch_deb NAME ARCH VERSION -> prints the path of the cached .deb, downloading it if needed.
# ARCH is the architecture asked for (i386 or the native one); the file may say "all".
fetch_deb() {
  local name=$1 arch=$2 version=$3 enc f tmp
  enc=${version//:/%3a}
  mkdir -p "$IMG_CACHE/debs"
  for f in "$IMG_CACHE/debs/${name}_${enc}_"*.deb; do
    [ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
  done
  tmp=$(mktemp -d "$IMG_CACHE/debs/.dl.XXXXXX")
  log "downloading $name:$arch $version"
  local apt_opts=()
  is_root && apt_opts+=(-o APT::Sandbox::User=root)
  (cd "$tmp" && apt-get download -q "${apt_opts[@]}" "$name:$arch=$version" >&2) \
    || { rm -rf "$tmp"; die "apt-get download $name:$arch=$version failed"; }
  for f in "$tmp/${name}_${enc}_"*.deb; do
    [ -f "$f" ] || continue
    mv "$f" "$IMG_CACHE/debs/"
    rm -rf "$tmp"
    printf '%s\n' "$IMG_CACHE/debs/$(basename "$f")"
    return 0
  done
  rm -rf "$tmp"
  die "apt-get download $name:$arch=$version produced no ${name}_${enc}_*.deb"
}

# extract_deb DEB -> prints the directory the package is unpacked in (cached).
extract_deb() {
  local deb=$1 dir tmp
  dir="$IMG_CACHE/pkgs/$(basename "$deb" .deb)"
  if [ ! -f "$dir/.extracted" ]; then
    mkdir -p "$IMG_CACHE/pkgs"
    rm -rf "$dir"
    tmp=$(mktemp -d "$IMG_CACHE/pkgs/.x.XXXXXX")
    dpkg -x "$deb" "$tmp" || { rm -rf "$tmp"; die "dpkg -x $deb failed"; }
    touch "$tmp/.extracted"
    mv "$tmp" "$dir"
  fi
  printf '%s\n' "$dir"
}

# Stamps: .cache/images/stamps/NAME holds "KEY SHA256". An output is fresh when its key (hash
# of package versions, tool versions and script hash) is unchanged and the file on disk still
# has the recorded hash.
stamp_fresh() {
  local name=$1 key=$2 file=$3 s s_key s_sha
  [ -f "$file" ] && [ -f "$IMG_CACHE/stamps/$name" ] || return 1
  read -r s_key s_sha < "$IMG_CACHE/stamps/$name" || return 1
  [ "$s_key" = "$key" ] || return 1
  s=$(sha256_file "$file")
  [ "$s" = "$s_sha" ]
}
stamp_write() {
  local name=$1 key=$2 file=$3
  mkdir -p "$IMG_CACHE/stamps"
  printf '%s %s\n' "$key" "$(sha256_file "$file")" > "$IMG_CACHE/stamps/$name"
}

# install_output SRC NAME: atomically moves a finished file into public/images/.
install_output() {
  local src=$1 name=$2
  mkdir -p "$IMG_OUT"
  cp -f "$src" "$IMG_OUT/.$name.tmp"
  mv -f "$IMG_OUT/.$name.tmp" "$IMG_OUT/$name"
}
