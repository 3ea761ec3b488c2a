#!/bin/bash
# build-image.sh - build the cached part of the end-to-end Xen host.
#
# Usage: build-image.sh OUTDIR
#
# xen-host runs this once per cache key (the versions of the Debian
# packages below, and this file's own text), as root.  It writes into
# OUTDIR:
#
#   xen.elf       the Xen 4.17 hypervisor, gunzipped: Debian ships it as a
#                 multiboot ELF that QEMU's -kernel loads without a boot
#                 loader
#   vmlinuz       the Debian kernel that boots as the PV dom0
#   dom0.cpio     the dom0 root file system (Debian 12 with xen-utils and
#                 xld's run-time libraries), uncompressed newc cpio; it
#                 holds /boot/e2e/vmlinux, the guests' kernel
#   dom0.files    the list of the files in dom0.cpio, which xen-host reads
#                 to find the libraries xld needs that dom0 lacks
#   guest/        what every guest's initramfs is made of: a static busybox
#                 and the kernel modules the guest loads
#   versions.txt  the package versions the image was built from
#
# What changes from run to run (xld, xlctl, the scenario, dom0's init, the
# guest's init) is not here: xen-host appends it as a second cpio archive
# at each boot, so that editing it never costs a rebuild.
#
# Environment (set by xen-host): E2E_SUITE (bookworm), E2E_KPKG (the
# kernel package, e.g. linux-image-6.1.0-44-amd64), E2E_DOM0_PKGS (comma
# separated), E2E_MIRROR (a URL or a deb822 sources file for mmdebstrap).
set -euo pipefail

OUT=${1:?usage: build-image.sh OUTDIR}
: "${E2E_SUITE:?}" "${E2E_KPKG:?}" "${E2E_DOM0_PKGS:?}" "${E2E_MIRROR:?}"
XENPKG=xen-hypervisor-4.17-amd64

say() { echo "build-image: $*"; }

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/tmp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PKG=$WORK/pkg        # the unpacked hypervisor, kernel and busybox packages
ROOT=$WORK/dom0      # the dom0 root file system

# 1. The hypervisor, the kernel (the same one for dom0 and the guests) and
# a static busybox for the guests, straight from their .deb files: none of
# them is installed on the build machine.
say "downloading $XENPKG $E2E_KPKG busybox-static"
mkdir -p "$WORK/debs" "$PKG"
(cd "$WORK/debs" && apt-get download -q "$XENPKG" "$E2E_KPKG" busybox-static) \
    >"$WORK/download.log" 2>&1 || { cat "$WORK/download.log"; exit 1; }
for deb in "$WORK"/debs/*.deb; do
    dpkg-deb -x "$deb" "$PKG"
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$WORK/versions.txt"
done
zcat "$PKG"/boot/xen-4.17-amd64.gz >"$OUT/xen.elf"
cp "$PKG"/boot/vmlinuz-* "$OUT/vmlinuz"
KVER=$(basename "$(ls -d "$PKG"/lib/modules/*)")
depmod -b "$PKG" "$KVER"

# modules ROOT MODULE...: copy MODULE and the modules it depends on, as
# modprobe resolves them, into ROOT's module tree.
modules() {
    local dest=$1 m path
    shift
    for m in "$@"; do
        modprobe -d "$PKG" -S "$KVER" --show-depends "$m" |
        while read -r kind path _; do
            [ "$kind" = insmod ] || continue
            mkdir -p "$dest$(dirname "${path#"$PKG"}")"
            cp "$path" "$dest${path#"$PKG"}"
        done
    done
}

# 2. The dom0 root: Debian's own Xen tools, as a Debian host has them.
# mmdebstrap uses the build machine's apt sources, so that dom0 runs the
# same Xen libraries (same security updates) that xld was linked with.
say "mmdebstrap $E2E_SUITE with $E2E_DOM0_PKGS"
mmdebstrap --variant=essential --quiet \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --include="$E2E_DOM0_PKGS" "$E2E_SUITE" "$ROOT" "$E2E_MIRROR" \
    >"$WORK/mmdebstrap.log" 2>&1 || { tail -40 "$WORK/mmdebstrap.log"; exit 1; }
chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' \
    xen-utils-4.17 libxenmisc4.17 xenstore-utils libyajl2 libsystemd0 \
    >>"$WORK/versions.txt" 2>/dev/null || true
rm -rf "$ROOT"/var/cache/apt/* "$ROOT"/var/lib/apt/lists/*

# The modules dom0 needs: the Xen device files and backends, the bridge
# for the guests' vifs, loop for disk images.
mkdir -p "$ROOT/lib/modules/$KVER"
cp "$PKG/lib/modules/$KVER"/modules.order "$PKG/lib/modules/$KVER"/modules.builtin* \
    "$ROOT/lib/modules/$KVER/"
modules "$ROOT" xen-evtchn xenfs xen-privcmd xen-gntdev xen-gntalloc \
    xen-blkback xen-netback bridge loop tun
depmod -b "$ROOT" "$KVER"

# 3. The guests' kernel, decompressed.  Debian's bzImage carries an XZ
# payload that libxenguest would decompress in dom0's user space on every
# create and restart, which costs seconds under TCG; the plain ELF inside
# is loaded at once.  --single-stream stops at the end of the payload and
# ignores what follows it in the bzImage
mkdir -p "$ROOT/boot/e2e"
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$OUT/vmlinuz" | head -1 | cut -d: -f1)
[ -n "$off" ] || { echo "build-image: no XZ payload in the kernel" >&2; exit 1; }
# (tail dies of SIGPIPE when xz stops reading, which is expected.)
{ tail -c +$((off + 1)) "$OUT/vmlinuz" || :; } | xz -dc --single-stream >"$ROOT/boot/e2e/vmlinux"
[ "$(head -c 4 "$ROOT/boot/e2e/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
    { echo "build-image: the decompressed kernel is not an ELF file" >&2; exit 1; }

# 4. The guests' parts: busybox and the network and block front ends (the
# vifs and disks of the guests that have them connect, as on a real host).
mkdir -p "$OUT/guest"
cp "$PKG/bin/busybox" "$OUT/guest/busybox"
modules "$WORK/guestmods" xen-netfront xen-blkfront
find "$WORK/guestmods" -name '*.ko*' -exec cp {} "$OUT/guest/" \;

# 5. Pack dom0's root.  The kernel unpacks it into its rootfs; xen-host
# appends the per-run archive, whose files win.
say "packing dom0.cpio"
(cd "$ROOT" && find . | LC_ALL=C sort >"$OUT/dom0.files" &&
    cpio -o -H newc --quiet <"$OUT/dom0.files") >"$OUT/dom0.cpio"
sort -u "$WORK/versions.txt" >"$OUT/versions.txt"
echo "$KVER" >"$OUT/kernel-version"
say "done: $(du -sm "$OUT/dom0.cpio" | cut -f1) MiB dom0 archive, kernel $KVER"
