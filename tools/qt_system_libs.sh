#!/usr/bin/env bash
# The system libraries Qt needs on Linux, installed where they are missing (Debian/Ubuntu, as root) or named.
#   tools/qt_system_libs.sh offscreen   what the tests need (Qt's offscreen platform)
#   tools/qt_system_libs.sh window      what the window needs on X11 as well (Qt's xcb platform); a stock
#                                       Debian 12 lacks libxcb-icccm4 and libxcb-keysyms1, and Qt's own
#                                       message then blames another library
set -euo pipefail
[ "$(uname -s)" = "Linux" ] || exit 0
# soname -> Debian package
offscreen=(
    "libEGL.so.1 libegl1" "libGL.so.1 libgl1" "libfontconfig.so.1 libfontconfig1" "libxkbcommon.so.0 libxkbcommon0"
    "libdbus-1.so.3 libdbus-1-3" "libglib-2.0.so.0 libglib2.0-0"
)
window=(
    "libxcb-icccm.so.4 libxcb-icccm4" "libxcb-keysyms.so.1 libxcb-keysyms1" "libxcb-image.so.0 libxcb-image0"
    "libxcb-render-util.so.0 libxcb-render-util0" "libxcb-randr.so.0 libxcb-randr0" "libxcb-shape.so.0 libxcb-shape0"
    "libxcb-xkb.so.1 libxcb-xkb1" "libxkbcommon-x11.so.0 libxkbcommon-x11-0" "libxcb-cursor.so.0 libxcb-cursor0"
    "libX11-xcb.so.1 libx11-xcb1"
)
wanted=("${offscreen[@]}")
[ "${1:-offscreen}" = "window" ] && wanted+=("${window[@]}")
missing=()
for entry in "${wanted[@]}"; do
    set -- $entry
    ldconfig -p | grep -q "$1" || missing+=("$2")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system libraries for Qt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" fonts-dejavu-core >/dev/null
else
    echo "Qt needs these system libraries, which are missing: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
