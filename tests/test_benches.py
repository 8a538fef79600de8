"""Every bench script runs in its quick mode (a tiny workload, seconds), so a
bench that breaks fails the suite; the figures in the docs come from full
runs. Nothing here judges a time."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "bench")


def run_bench(name, *args, timeout=600):
    r = subprocess.run([sys.executable, os.path.join(BENCH, name), *args], capture_output=True,
                       text=True, timeout=timeout, cwd=os.path.join(HERE, ".."))
    assert r.returncode == 0, f"bench/{name} {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.mark.skipif(not __import__("shutil").which("ffmpeg"), reason="ffmpeg is the delivery bench's peer")
def test_delivery_bench_quick():
    out = run_bench("delivery.py", "--quick", "--profile")
    assert out.count("masterbox is") == 2 and "passes" in out
    assert "written and judged" in out          # the profile's stages are printed
