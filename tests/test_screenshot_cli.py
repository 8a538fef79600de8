"""`masterbox screenshot` and `masterbox pinmap`: real PNG files through luma's
dummy device and matplotlib, checked pixel for pixel where the page is
deterministic, and bad arguments refused with a message and nothing written."""
import os

import numpy as np
import pytest
from PIL import Image

from firmware.cli import main
from ui import screens
from ui.views import MenuView, Screen

ITEMS = ["Meters", "Input", "EQ", "Dyn EQ", "De-esser", "Glue", "Multiband", "Saturation", "Stereo", "Clipper",
         "Limiter", "Output", "Target", "Loudness", "Reduction", "Phase", "Snapshots",
         "References", "Assistant", "Proposals", "Presets", "Remote"]


def test_menu_screenshot_is_the_page_scaled(tmp_path):
    out = tmp_path / "menu.png"
    assert main(["screenshot", "menu", str(out), "--scale", "3"]) == 0
    img = Image.open(out)
    assert img.size == (384, 192)
    got = np.asarray(img.convert("L"))[::3, ::3] > 127
    want = np.asarray(screens.render(Screen("menu", MenuView(ITEMS, 0))).convert("L")) > 127
    assert np.array_equal(got, want)


def test_module_screenshot_shows_the_preset(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["screenshot", "glue", str(a), "--scale", "1", "--preset", "neutral"]) == 0
    assert main(["screenshot", "glue", str(b), "--scale", "1", "--preset", "neutral",
                 "--set", "glue.threshold_db=-30"]) == 0
    pa = np.asarray(Image.open(a).convert("L")) > 127
    pb = np.asarray(Image.open(b).convert("L")) > 127
    # only the threshold's row (the first parameter) differs
    rows = np.flatnonzero((pa != pb).any(axis=1))
    assert rows.size and rows.min() >= 11 and rows.max() <= 24


@pytest.mark.parametrize("argv, message", [
    (["screenshot", "mixer", "x.png"], "page 'mixer'"),
    (["screenshot", "menu", "x.jpg"], "must be a .png"),
    (["screenshot", "menu", "x.png", "--scale", "99"], "out of range 1..16"),
    (["screenshot", "menu", "x.png", "--set", "glue.ratio=99"], "glue.ratio"),
    (["pinmap", "x.png", "--pins", "nope.toml"], "no such file"),
])
def test_bad_arguments(tmp_path, capsys, argv, message):
    os.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_pinmap_draws_the_table(tmp_path):
    out = tmp_path / "pins.png"
    assert main(["pinmap", str(out)]) == 0
    img = Image.open(out)
    assert img.format == "PNG" and img.width > 400 and img.height > 400
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
