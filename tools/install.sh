#!/usr/bin/env bash
# Install HFAN and its stack into the current Python environment.
#
#   bash tools/install.sh            # idempotent; fast when already installed
#
# onedl-mmcv has no wheel for this torch, so its ops are compiled from the
# PyPI source once per machine (10-30 minutes on 2 cores). The built wheel is
# cached in $HFAN_WHEEL_CACHE (default ~/.cache/hfan/wheels/torch-<version>),
# so every later install on the machine takes seconds.
# Environment: PYTHON (default python3), TORCH_VERSION (default 2.13.0; an
# already-installed torch is kept, e.g. a CUDA build), HFAN_WHEEL_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# 3. onedl-mmcv with compiled ops, built once per (machine, torch).
mmcv_ok() {
  "$PY" - <<PYEOF 2>/dev/null
import mmcv, mmcv.ops  # noqa: F401  (mmseg imports mmcv.ops)
assert mmcv.__version__ == '$MMCV_VERSION', mmcv.__version__
PYEOF
}
if ! mmcv_ok; then
  cache=${HFAN_WHEEL_CACHE:-$HOME/.cache/hfan/wheels}/torch-${torch_version}
  mkdir -p "$cache"
  wheel=$(ls "$cache"/onedl_mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ]; then
    say "building onedl-mmcv $MMCV_VERSION with ops (once per machine; 10-30 min)"
    "${PIP[@]}" ninja wheel setuptools
    build=$(mktemp -d)
    "$PY" -m pip download --disable-pip-version-check -q --no-deps \
      --no-binary :all: "onedl-mmcv==$MMCV_VERSION" -d "$build"
    # --no-build-isolation: compile against the torch installed above.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel \
      --disable-pip-version-check -q --no-build-isolation --no-deps \
      -w "$build/out" "$build"/onedl_mmcv-"$MMCV_VERSION".tar.gz
    # Publish the wheel atomically so an interrupted build leaves no cache.
    built=$(ls "$build"/out/onedl_mmcv-*.whl)
    cp "$built" "$cache/.partial.whl"
    mv "$cache/.partial.whl" "$cache/$(basename "$built")"
    rm -rf "$build"
    wheel=$cache/$(basename "$built")
  fi
  say "installing $(basename "$wheel")"
  "${PIP[@]}" --no-deps --force-reinstall "$wheel"
fi

# 4. MMSegmentation without its opencv-python requirement, then HFAN itself.
"$PY" -c "import mmseg; assert mmseg.__version__ == '$MMSEG_VERSION'" 2>/dev/null \
  || "${PIP[@]}" --no-deps "onedl-mmsegmentation==$MMSEG_VERSION"
"${PIP[@]}" --no-deps --no-build-isolation -e .
"$PY" -c 'import hfan; print("[install] hfan", hfan.__version__, "ready")'
