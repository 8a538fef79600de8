import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory, monkeypatch):
    """Every test (and every box it starts) saves and restores its session in
    a folder of its own, never in the user's ~/.local/state/masterbox."""
    d = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("MASTERBOX_STATE_DIR", str(d))
    return d
