#!/bin/bash
# build-cache.sh: build the nested-Xen harness of internal/xenlab (adapted from the team's
# tools/xenlab/make-harness.sh). Run by xenlab.EnsureCache; not meant to be called by hand.
#
#   build-cache.sh download DEBDIR            apt-get download the Debian bookworm packages into DEBDIR
#   build-cache.sh assemble DEBDIR OUT FILES  unpack them and write OUT/xen.elf, OUT/vmlinuz,
#                                             OUT/dom0.cpio.gz; FILES holds dom0-init, block-simple,
#                                             vif-simple
set -euo pipefail
XV=4.17
say() { echo "xenlab: $*"; }

case "${1:-}" in
download)
  D=$2
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/{print $2; exit}')
  if [ -z "$KPKG" ]; then
    echo "xenlab: cannot resolve the dom0 kernel package (linux-image-amd64 -> linux-image-6.1.0-*):" \
      "the apt package lists are missing or stale; run 'apt-get update' (as root) first" >&2
    exit 1
  fi
  say "downloading Xen $XV, the dom0 kernel $KPKG and busybox with apt-get download (about 77 MB)"
  cd "$D"
  PKGS=(xen-hypervisor-$XV-amd64 xen-utils-$XV xen-utils-common xenstore-utils libxencall1 libxenevtchn1
    libxenforeignmemory1 libxengnttab1 libxenmisc$XV libxenstore4 libxentoollog1 libxendevicemodel1
    libxenhypfs1 libxentoolcore1 libyajl2 libnl-3-200 libnl-route-3-200 busybox-static "$KPKG")
  apt-get download -q "${PKGS[@]}" 2>&1 | grep -v 'unsandboxed as root' || true
  n=$(ls ./*.deb 2>/dev/null | wc -l)
  [ "$n" -ge ${#PKGS[@]} ] ||
    { echo "xenlab: apt-get download fetched only $n of ${#PKGS[@]} packages (see the messages above)" >&2; exit 1; }
  ls ./*.deb | sed 's|^\./||' | sort > .done.tmp
  ;;
assemble)
  D=$2; W=$3; F=$4
  mkdir -p "$W"; cd "$W"; rm -rf stage dom0-root; mkdir stage
  say "unpacking $(ls "$D"/*.deb | wc -l) packages (needs about 400 MB of transient disk space)"
  for d in "$D"/*.deb; do dpkg-deb -x "$d" stage; done
  zcat stage/boot/xen-$XV-amd64.gz > xen.elf          # ELF32 multiboot image for QEMU -kernel
  cp stage/boot/vmlinuz-* vmlinuz                      # dom0 kernel, first multiboot module

  say "assembling the dom0 initramfs (busybox, xl, xenstored, xenconsoled, libraries, modules)"
  R=$W/dom0-root; L=$R/lib/x86_64-linux-gnu
  mkdir -p "$R"/{bin,sbin,lib64,usr/bin,usr/lib,etc/xen,proc,sys,dev,tmp,run,modules} "$L" \
           "$R"/var/{run/xen,run/xenstored,lib/xen,log/xen,lock}
  cp stage/bin/busybox "$R/bin/"
  cp -a stage/usr/lib/xen-$XV "$R/usr/lib/"; rm -rf "$R/usr/lib/xen-$XV/boot"
  cp -a stage/usr/lib/x86_64-linux-gnu/lib* stage/lib/x86_64-linux-gnu/lib* "$L/"
  cp -a stage/usr/bin/xenstore* "$R/usr/bin/"
  cp -a stage/etc/xen/scripts "$R/etc/xen/"
  for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc xen-netback xen-blkback llc stp bridge loop; do
    f=$(find stage/lib/modules -name "$m.ko*" | head -n1)
    if [ -n "$f" ]; then cp "$f" "$R/modules/"; else say "module $m not found (built in?)" >&2; fi
  done
  # busybox's ip cannot enslave to a bridge; bash and flock serve Xen's stock hotplug scripts.
  for b in bash ip losetup flock; do cp "$(PATH=$PATH:/usr/sbin:/sbin command -v $b)" "$R/bin/"; done
  # Shared libraries the binaries need and the packages do not provide come from the host.
  export LD_LIBRARY_PATH=$L
  for b in "$R"/usr/lib/xen-$XV/bin/* "$R"/usr/bin/xenstore "$R"/bin/{bash,ip,losetup,flock}; do
    ldd "$b" 2>/dev/null || true
  done > ldd.txt
  unset LD_LIBRARY_PATH
  if grep -q "not found" ldd.txt; then say "libraries not found (the dom0 tools may fail):" >&2; grep "not found" ldd.txt | sort -u >&2; fi
  sed -n 's/.*=> \(\/.*\) (0x[0-9a-f]*)$/\1/p' ldd.txt | sort -u | { grep -vF "$R/" || true; } |
    while read -r l; do cp -L "$l" "$L/"; done
  cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
  cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$L/"     # dlopen'ed by pthread_cancel when xl exits
  install -m 755 "$F/dom0-init" "$R/init"
  install -m 755 "$F/block-simple" "$F/vif-simple" "$R/etc/xen/scripts/"
  (cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > dom0.cpio.gz
  rm -rf stage dom0-root ldd.txt
  say "harness ready: xen.elf vmlinuz dom0.cpio.gz ($(du -h dom0.cpio.gz | cut -f1))"
  ;;
*)
  echo "usage: build-cache.sh download DEBDIR | assemble DEBDIR OUT FILES" >&2; exit 2 ;;
esac
