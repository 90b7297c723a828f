#!/usr/bin/env bash
# Browser tests drive Debian's headless Chromium and write screenshots of Chinese pages. Install what is
# missing when we may (root + apt-get): the chromium package, and a CJK font, without which every Chinese
# character in a screenshot is an empty box. Never fails `make test` by itself: the browser tests say
# what is missing (and fail under CI).
set -u

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Any installed font that covers Chinese will do; fontconfig comes with chromium.
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null | head -n1)" ]; then
  cjk_font=1
else
  cjk_font=0
fi
[ ${#missing[@]} -eq 0 ] && [ "$cjk_font" = 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]:-} $([ "$cjk_font" = 1 ] && echo 'a CJK font (fonts-noto-cjk)');" \
       "install them as root with apt-get (browser tests need chromium; screenshots need the font)" >&2
  exit 0
fi

apt_install() {
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; }
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian chromium for the browser tests" >&2
  apt_install chromium || echo "could not install chromium; browser tests will fail under CI" >&2
fi
if [ "$cjk_font" = 1 ]; then
  echo "installing a CJK font so screenshots of Chinese pages are readable" >&2
  apt_install fonts-noto-cjk || apt_install fonts-wqy-microhei \
    || echo "could not install a CJK font; screenshots will show boxes instead of Chinese" >&2
fi
exit 0
