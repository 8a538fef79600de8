"""Pixel tests of every page on luma's dummy device: bars are measured in pixels
against the value's position computed here, big digits are the small glyphs
doubled, inverted rows and lines are where the view says. The terminal's half
blocks read back to the same pixels."""
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ui import screens, terminal
from ui.display import DisplayError, open_display, show
from ui.views import (Badge, MenuView, MeterView, ModuleView, ParamView, Screen, SnapshotView,
                      TargetView)


def px(img):
    return (np.asarray(img.convert("L")) > 127).astype(np.uint8)


def on_dummy(screen):
    dev = open_display({"kind": "dummy"})
    img = screens.render(screen)
    show(dev, img)
    assert dev.image.size == (128, 64)
    return px(dev.image)


def params4(fracs, origins=(0, 0, 0, 0)):
    return [ParamView(f"m.p{i}", f"P{i}", f"{i}.0 dB", f, o)
            for i, (f, o) in enumerate(zip(fracs, origins))]


@pytest.mark.parametrize("fracs", [(0.0, 0.25, 0.5, 1.0), (0.1, 0.9, 0.33, 0.66)])
def test_module_page_bars_are_the_values(fracs):
    a = on_dummy(Screen("module", ModuleView("m", "Mod", 1, 2, True, params4(fracs))))
    for i, f in enumerate(fracs):
        y = 12 + i * 13 + 1 + 3                       # the bar's middle row
        x0 = 128 - 26
        row = a[y, x0:128]
        assert row[0] == 1 and row[-1] == 1           # the outline
        filled = int(row[1:-1].sum())
        assert filled == round(f * 24), (i, f, filled)
        # filled from the left: the first `filled` inner pixels
        assert row[1:1 + filled].all()


def test_bipolar_bar_fills_from_its_origin():
    p = [ParamView("eq.x", "Gain", "+6.0 dB", 0.75, 0.5)]
    a = on_dummy(Screen("module", ModuleView("eq", "EQ", 1, 1, True, p)))
    row = a[16, 128 - 26 + 1:127]
    lit = np.flatnonzero(row)
    assert lit[0] == round(0.5 * 24) and lit[-1] == round(0.75 * 24) - 1


def test_title_shows_page_and_off_state_inverted():
    on = on_dummy(Screen("module", ModuleView("m", "Mod", 2, 3, True, params4((0,) * 4))))
    off = on_dummy(Screen("module", ModuleView("m", "Mod", 2, 3, False, params4((0,) * 4))))
    # the title's right end: white text on black when on, black on a white box when off
    assert on[1:9, 124:128].mean() < 0.5
    assert off[1:9, 124:128].mean() > 0.5
    assert on[10].all() and off[10].all()              # the rule under the title


def test_big_digits_are_the_small_glyphs_doubled():
    img = Image.new("1", (128, 64))
    screens.big_text(img, (0, 10), "-18.0")
    small = Image.new("1", (30, 11))
    ImageDraw.Draw(small).text((0, 0), "-18.0", font=screens.font(), fill=1)
    want = np.kron(px(small), np.ones((2, 2), np.uint8))
    assert np.array_equal(px(img)[8:30, 0:60], want)


def test_focused_value_is_drawn_big_with_a_full_width_bar():
    p = params4((0.5, 0.2, 0.3, 0.4))
    a = on_dummy(Screen("module", ModuleView("m", "Mod", 1, 1, True, p, focus=2)))
    # big glyphs: strokes two pixels wide somewhere in the value row
    rows = a[22:46, :60]
    assert rows.sum() > 0 and any((r[:-1] & r[1:]).any() for r in rows)
    bar = a[56, :]
    assert bar[0] and bar[127] and int(bar[1:127].sum()) == round(0.3 * 126)


def test_menu_cursor_row_is_inverted():
    items = [f"Item {i}" for i in range(8)]
    for cursor in (0, 3, 7):
        a = on_dummy(Screen("menu", MenuView(items, cursor)))
        rows = [12 + r * 12 for r in range(4)]
        inverted = [r for r in rows if a[r:r + 10, 100:128].all()]
        assert len(inverted) == 1


def test_meters_page_gain_reduction_bars_and_correlation():
    gr = [("G", 0.0), ("L", 3.0), ("M", 6.0), ("H", 12.0), ("C", 24.0), ("X", 1.5)]
    a = on_dummy(Screen("meters", MeterView(-14.0, -14.2, -15.0, -1.2, 5.0, 0.0, gr)))
    for i, (_, db) in enumerate(gr):
        x = 2 + i * 12 + 3
        col = a[34:33 + 18, x]
        assert int(col.sum()) == round(min(db, 12.0) / 12.0 * 17), (i, db)
    # correlation 0: the marker sits on the centre line
    cx, cw = 76, 52
    marker = np.flatnonzero(a[46, cx + 1:cx + cw - 1]) + cx + 1
    assert abs(marker.mean() - (cx + cw // 2)) <= 1.5


@pytest.mark.parametrize("integrated, word", [(-14.2, "ok"), (-9.0, "loud"), (-20.0, "quiet")])
def test_target_page_pixels_differ_with_the_verdict(integrated, word):
    a = on_dummy(Screen("target", TargetView("streaming", -14.0, -1.0, integrated, -1.5)))
    b = on_dummy(Screen("target", TargetView("streaming", -14.0, -1.0, -math.inf, -math.inf)))
    assert not np.array_equal(a, b)
    ref = Image.new("1", (128, 64))
    screens.text(ImageDraw.Draw(ref), (84, 20), word)
    assert np.array_equal(a[19:29, 84:84 + 6 * len(word)], px(ref)[19:29, 84:84 + 6 * len(word)])


def test_status_line_and_compare_badge_on_any_page():
    base = Screen("snapshots", SnapshotView([("A", True, 3.0), ("B", False, None),
                                              ("C", False, None), ("D", False, None)], 0, False))
    plain = on_dummy(base)
    alert = on_dummy(Screen(base.page, base.body, "XRUN 2", True))
    assert alert[56:64, 60:128].all() and not plain[56:64, 60:128].all()
    badged = on_dummy(Screen(base.page, base.body, badge=Badge("bypass", -6.4)))
    assert badged[1:9, 127].all() and not np.array_equal(badged[0:10], plain[0:10])


def test_wrong_page_or_body_is_refused():
    with pytest.raises(screens.ScreenError, match="page 'nope'"):
        screens.render(Screen("nope", None))
    with pytest.raises(screens.ScreenError, match="draws a MeterView"):
        screens.render(Screen("meters", MenuView([], 0)))
    with pytest.raises(DisplayError, match="display kind 'crt'"):
        open_display({"kind": "crt"})


def test_wider_ssd1322_gets_the_page_centred():
    dev = open_display({"kind": "dummy", "width": 256, "height": 64, "mode": "RGB"})
    img = screens.render(Screen("menu", MenuView(["A", "B"], 0)))
    show(dev, img)
    a = px(dev.image)
    assert np.array_equal(a[:, 64:192], px(img)) and a[:, :64].sum() == 0


def test_terminal_half_blocks_round_trip():
    img = screens.render(Screen("meters", MeterView(-10.0, -11.0, -12.0, -0.5, 3.0, 0.5,
                                                    [("G", 2.0)])))
    lines = terminal.image_to_text(img)
    assert len(lines) == 32 and all(len(s) == 128 for s in lines)
    assert np.array_equal(terminal.text_to_bits(lines), px(img))
