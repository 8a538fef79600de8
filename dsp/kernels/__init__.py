"""numba kernels: functions over caller-owned arrays; they allocate nothing.

Every kernel keeps its state in a float64 array the caller owns (``S``) and reads
its published coefficient set from another (``T``), so the same code runs offline,
from a Python wrapper, and later from the engine's ``@cfunc`` callback.

numba's on-disk cache keys a function by its own file only; our kernels read
layout constants from sibling files, so a stale cache could keep old offsets.
The cache therefore lives in a folder named by a hash of every kernel source:
any edit gives a fresh folder. The base is ``$NUMBA_CACHE_DIR`` when set (the
service points it at a writable state directory), else ``~/.cache/masterbox``.
"""
import hashlib
import os
import pathlib

import numba


def _cache_dir() -> str:
    here = pathlib.Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(here.glob("*.py")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(numba.__version__.encode())
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "masterbox")
    return os.path.join(base, "numba-" + h.hexdigest()[:16])


# numba reads config.CACHE_DIR when a cached function is decorated, so this must
# run before the kernel modules below it are imported (they import this package).
numba.config.CACHE_DIR = _cache_dir()
