"""Pixel tests of every page on luma's dummy device: bars are measured in pixels
against the value's position computed here, big digits are the small glyphs
doubled, inverted rows and lines are where the view says. The terminal's half
blocks read back to the same pixels."""
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ui import screens, terminal
from ui.display import DisplayError, open_display, show
from ui.views import (Badge, LoudnessView, MenuView, MeterView, ModuleView, ParamView, PhaseView,
                      ReductionView, Screen, SnapshotView, TargetView)


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


def glyphs(s, fill=1, size=None):
    """``s`` in PIL's bitmap font drawn here, independently of ui/screens.py."""
    font = ImageFont.load_default_imagefont() if hasattr(ImageFont, "load_default_imagefont") \
        else ImageFont.load_default()
    img = Image.new("1", size or (6 * len(s), 9), 0 if fill else 1)
    ImageDraw.Draw(img).text((0, -1), s, font=font, fill=fill)
    return px(img)


def test_meters_page_shows_gain_reduction_numbers_even_at_rest():
    gr = [("G", 0.0), ("L", 3.04), ("M", 0.0), ("H", 12.3), ("C", 0.0), ("X", 0.0)]
    a = on_dummy(Screen("meters", MeterView(-14.0, -14.2, -15.0, -1.2, 5.0, 0.0, gr)))
    for i, (label, db) in enumerate(gr):
        x, y = (i % 2) * 32 + 1, 33 + (i // 2) * 10
        want = f"{label}{'0.0' if db == 0 else ('3.0' if db < 10 else '12'):>4}"
        active = db >= 0.05
        got = a[y:y + 8, x:x + 6 * len(want)]
        assert np.array_equal(got, glyphs(want, 0 if active else 1)[:8]), (label, want)
    # correlation 0: the marker sits on the centre line
    cx, cw = 68, 60
    marker = np.flatnonzero(a[46, cx + 1:cx + cw - 1]) + cx + 1
    assert abs(marker.mean() - (cx + cw // 2)) <= 1.5


def test_loudness_page_draws_the_minute_against_target_and_integrated():
    target = -14.0
    hist = [math.nan] * 300 + [target - 6.0] * 300            # the last 30 s at -20 LUFS
    a = on_dummy(Screen("loudness", LoudnessView(hist, -20.0, -23.0, target)))
    # 24 LU over rows 12..62, the target 6 LU under the top
    def row(lufs):
        return 12 + int(round((target + 6.0 - lufs) / 24.0 * 50))
    line = a[row(target - 6.0), :]
    assert line[:60].sum() == 0 and line[66:].sum() >= 60   # only where there is history
    assert 0.55 < a[row(target), :].mean() < 0.8             # dashed target (4 on, 2 off)
    assert 0.25 < a[row(-23.0), :60].mean() < 0.45           # dotted integrated (1 on, 2 off)


def test_reduction_page_strips_are_the_history():
    hist = [0.0] * 50 + [3.0] * 50                             # 3 dB over the last 5 s
    stages = [("G", 3.0, hist)] + [(k, 0.0, [0.0] * 100) for k in "LMHCX"]
    a = on_dummy(Screen("reduction", ReductionView(stages)))
    x0, y = 30, 12
    heights = a[y:y + 8, x0:].sum(axis=0)
    assert list(heights[:48]) == [0] * 48                      # oldest shown: none
    assert set(heights[50:98]) == {math.ceil(3.0 / 6.0 * 7)}   # 3 of 6 dB full scale in 7 px
    assert a[20:64, x0:].sum() == 0                            # the other stages at rest
    assert np.array_equal(a[y:y + 8, 0:30], glyphs("G 3.0", 1, (30, 9))[:8])


def test_phase_page_correlation_history_and_balance():
    a = on_dummy(Screen("phase", PhaseView(0.5, [0.5] * 100, 3.0)))
    top, bottom = 14, 50
    y = top + round((1 - 0.5) / 2 * (bottom - top))
    assert a[y, 4:110].mean() > 0.95                            # the +0.5 line, full width
    bx, bw = 8, 128 - 62
    want = bx + 1 + round((3.0 + 6.0) / 12.0 * (bw - 3))       # +3 dB of +-6 dB
    marker = [x for x in np.flatnonzero(a[57, bx + 1:bx + bw - 1]) + bx + 1 if x != bx + bw // 2]
    assert abs(np.mean(marker) - want) <= 1.0


def test_every_label_and_value_fits_its_place():
    from dsp import modules
    from dsp.schema import SHORT_MAX, VALUE_MAX
    for m in modules.ALL:
        shorts = [p.short for p in m.PARAMS]
        assert len(set(shorts)) == len(shorts), m.NAME          # a page never shows two alike
        for p in m.PARAMS:
            assert 1 <= len(p.short) <= SHORT_MAX, (p.id, p.short)
            for v in {p.min, p.max, p.default, *map(float, range(len(p.choices)))}:
                t = p.format(v)
                assert len(t) <= VALUE_MAX and "e+" not in t, (p.id, t)


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
