#!/usr/bin/env bash
# Install HFAN and its stack into the current Python environment.
#
#   bash tools/install.sh              # idempotent; a few minutes on a new machine
#   bash tools/install.sh --with-ops   # also compile mmcv's C++/CUDA ops (10-30 min)
#
# Nothing HFAN runs needs mmcv's compiled ops: MMSegmentation imports each
# `mmcv.ops` symbol inside a try/except and HFAN's modules are plain PyTorch.
# So by default onedl-mmcv is built from its PyPI source WITHOUT its ops (pip's
# build isolation hides torch from the build, which then skips the extension):
# a pure-Python wheel in about 20 s, cached in $HFAN_WHEEL_CACHE (default
# ~/.cache/hfan/wheels). --with-ops (or HFAN_MMCV_OPS=1) compiles the ops
# against the installed torch instead, for an MMSeg head or loss that needs
# them; that wheel is cached per torch version.
# Environment: PYTHON (default python3), TORCH_VERSION (default 2.13.0; an
# already-installed torch is kept, e.g. a CUDA build), HFAN_WHEEL_CACHE,
# HFAN_MMCV_OPS (1 = --with-ops), MAX_JOBS (compile jobs with ops).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_OPS=${HFAN_MMCV_OPS:-0}
for arg in "$@"; do
  case "$arg" in
    --with-ops) WITH_OPS=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (accepted: --with-ops, --help)" >&2; exit 2 ;;
  esac
done
case "$WITH_OPS" in
  0|1) ;;
  *) echo "install.sh: HFAN_MMCV_OPS='$WITH_OPS' (accepted: 0 or 1)" >&2; exit 2 ;;
esac

PY=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
MMCV_VERSION=2.3.6
MMSEG_VERSION=1.4.2
PIP=("$PY" -m pip install --disable-pip-version-check -q)
say() { echo "[install] $*"; }

# 1. torch: keep an installed build (CPU or CUDA), else the pinned one.
if ! "$PY" -c 'import torch' 2>/dev/null; then
  say "installing torch==$TORCH_VERSION"
  "${PIP[@]}" "torch==$TORCH_VERSION"
fi
torch_version=$("$PY" -c 'import torch; print(torch.__version__)')
say "torch $torch_version"

# 2. pinned pure-Python / binary dependencies.
"${PIP[@]}" -r requirements.txt -r requirements/tests.txt
# The web app (tools/app.py). --no-deps: every Gradio release declares
# pillow<13 and would downgrade our Pillow pin (see requirements/app.txt).
"${PIP[@]}" --no-deps -r requirements/app.txt

# 3. onedl-mmcv. What is installed now, in one word:
#    none | other:<dist> <version> | broken-ops | ops | lite
mmcv_state() {
  "$PY" - <<PYEOF 2>/dev/null || echo none
import importlib.metadata as md
import importlib.util
dists = []
for name in ('onedl-mmcv', 'mmcv', 'mmcv-full', 'mmcv-lite'):
    try:
        dists.append((name, md.version(name)))
    except md.PackageNotFoundError:
        pass
if not dists:
    print('none')
elif dists != [('onedl-mmcv', '$MMCV_VERSION')]:
    print('other:' + ' '.join(f'{n}=={v}' for n, v in dists))
elif importlib.util.find_spec('mmcv._ext') is None:
    print('lite')
else:
    try:
        import mmcv._ext  # noqa: F401  (built against another torch?)
        print('ops')
    except ImportError:
        print('broken-ops')
PYEOF
}
build_mmcv() {  # $1: ops | lite -> prints the cached wheel's path
  local kind=$1 cache build built
  cache=${HFAN_WHEEL_CACHE:-$HOME/.cache/hfan/wheels}
  if [ "$kind" = ops ]; then cache=$cache/torch-${torch_version}; fi
  mkdir -p "$cache"
  if [ "$kind" = ops ]; then
    built=$(ls "$cache"/onedl_mmcv-"$MMCV_VERSION"-cp*.whl 2>/dev/null | head -n 1 || true)
  else
    built=$(ls "$cache"/onedl_mmcv-"$MMCV_VERSION"-py3-none-any.whl 2>/dev/null || true)
  fi
  if [ -n "$built" ]; then echo "$built"; return; fi
  build=$(mktemp -d)
  "$PY" -m pip download --disable-pip-version-check -q --no-deps \
    --no-binary :all: "onedl-mmcv==$MMCV_VERSION" -d "$build" >&2
  if [ "$kind" = ops ]; then
    say "compiling onedl-mmcv $MMCV_VERSION with its ops (once per machine and torch; 10-30 min)" >&2
    "${PIP[@]}" ninja wheel setuptools >&2
    # --no-build-isolation: compile against the torch installed above.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel \
      --disable-pip-version-check -q --no-build-isolation --no-deps \
      -w "$build/out" "$build"/onedl_mmcv-"$MMCV_VERSION".tar.gz >&2
  else
    say "building onedl-mmcv $MMCV_VERSION without ops (pure Python, ~20 s)" >&2
    # Build isolation on purpose: without torch in the build environment the
    # sdist skips its C++ extension.
    "$PY" -m pip wheel --disable-pip-version-check -q --no-deps \
      -w "$build/out" "$build"/onedl_mmcv-"$MMCV_VERSION".tar.gz >&2
  fi
  built=$(ls "$build"/out/onedl_mmcv-*.whl)
  # Publish the wheel atomically so an interrupted build leaves no cache.
  cp "$built" "$cache/.partial.whl"
  mv "$cache/.partial.whl" "$cache/$(basename "$built")"
  rm -rf "$build"
  echo "$cache/$(basename "$built")"
}
state=$(mmcv_state)
want=lite; [ "$WITH_OPS" = 1 ] && want=ops
case "$state:$want" in
  ops:*) say "keeping onedl-mmcv $MMCV_VERSION with its compiled ops" ;;
  lite:lite) say "keeping onedl-mmcv $MMCV_VERSION (pure Python, no compiled ops)" ;;
  *)
    case "$state" in
      none) ;;
      lite) say "replacing onedl-mmcv $MMCV_VERSION (pure Python) by a build with ops (--with-ops)" ;;
      broken-ops) say "replacing onedl-mmcv $MMCV_VERSION: its compiled ops do not load with torch $torch_version" ;;
      other:*) say "replacing ${state#other:}: HFAN needs onedl-mmcv==$MMCV_VERSION"
        for dist in mmcv mmcv-full mmcv-lite; do
          "$PY" -m pip uninstall -y -q "$dist" 2>/dev/null || true
        done ;;
    esac
    wheel=$(build_mmcv "$want")
    say "installing $(basename "$wheel")"
    "${PIP[@]}" --no-deps --force-reinstall "$wheel" ;;
esac

# 4. MMSegmentation without its opencv-python requirement, then HFAN itself.
"$PY" -c "import mmseg; assert mmseg.__version__ == '$MMSEG_VERSION'" 2>/dev/null \
  || "${PIP[@]}" --no-deps "onedl-mmsegmentation==$MMSEG_VERSION"
"${PIP[@]}" --no-deps --no-build-isolation -e .
"$PY" -c 'import hfan; print("[install] hfan", hfan.__version__, "ready")'
