#!/usr/bin/env bash
# The GPU check in one call (tools/gpu_check.py says what it measures).
#
#   bash tools/gpu_check.sh --download-wheels   # here: fill .whl/ for the GPU machine
#   bash tools/gpu_check.sh [--device cpu] [gpu_check.py options]
#
# The GPU machine reaches no registry and has torch, numpy, OpenCV and ONNX
# Runtime: the rest (OneDL's mmengine/mmseg, the ops-free onedl-mmcv wheel
# that tools/install.sh builds, small pure-Python packages) travels as
# wheels in .whl/ and is installed into /tmp/site. mmcv's compiled ops are
# not needed. `--device cpu` runs the same check on a CPU (smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=${HFAN_WHEELS:-.whl}

if [ "${1:-}" = --download-wheels ]; then
  mkdir -p "$WHEELS"
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
  # All pure Python: wheels from the registry, or built here from sdists.
  "$PY" -m pip wheel -q --no-deps -w "$WHEELS" \
    onedl-mmengine==0.10.12 onedl-mmsegmentation==1.4.2 addict==2.4.0 \
    yapf==0.43.0 termcolor==3.3.0 prettytable==3.18.0 ftfy==6.3.1 \
    wcwidth==0.7.0 pysodmetrics==1.6.2 platformdirs==4.14.9
  mmcv=$(ls "${HFAN_WHEEL_CACHE:-$HOME/.cache/hfan/wheels}"/onedl_mmcv-2.3.6-py3-none-any.whl)
  cp "$mmcv" "$WHEELS/"
  du -sh "$WHEELS"
  exit 0
fi

if ! "$PY" -c 'import mmseg, mmengine, mmcv' 2>/dev/null; then
  [ -d "$WHEELS" ] || { echo "gpu_check.sh: mmseg is not installed and $WHEELS/ is missing (run --download-wheels where pip works)" >&2; exit 1; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site "$WHEELS"/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
export PYTHONUNBUFFERED=1
exec "$PY" tools/gpu_check.py "$@"
