#!/bin/sh
# install-qemu.sh: install QEMU 10 (qemu-system-x86) from Debian bookworm-backports, plus cpio for the
# Xen harness. Adds a bookworm-backports source with the same mirror as the machine's bookworm entry.
# Bookworm's own QEMU 7.2 is too old for the nested-Xen harness. Needs root (or sudo).
set -eu
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if command -v qemu-system-x86_64 >/dev/null 2>&1 && [ -e /usr/share/qemu/qboot.rom ] &&
   qemu-system-x86_64 --version | grep -q 'version 1[0-9]'; then
  exit 0
fi
mirror=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  m=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p; s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' "$f" |
      grep -v security | head -n1)
  [ -n "$m" ] && { mirror=$m; break; }
done
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports qemu-system-x86 >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cpio >/dev/null
qemu-system-x86_64 --version | head -n1
