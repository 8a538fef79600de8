"""The pin tables in hardware/ obey the wiring rules of the reference hardware,
and every broken rule is refused with a message naming the pin and the rule."""
import glob
import os
import tomllib

import pytest

from ui import pins

HW = os.path.join(os.path.dirname(__file__), "..", "hardware")


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(HW, "pins*.toml"))))
def test_every_table_is_valid_and_complete(path):
    t = pins.load(path)
    lines = t.lines()
    assert len(lines) == 15                               # 4 x (A, B, push) + 3 buttons
    gp = [g for g, _, _ in lines]
    assert len(set(gp)) == 15
    # independent restatement of the rules: nothing on I2S, I2C or the EEPROM
    assert not set(gp) & {0, 1, 2, 3, 18, 19, 20, 21}
    if t.system.get("spi0", "on") != "off":
        assert not set(gp) & {8, 9, 10, 11}
    if t.system.get("serial_console", True):
        assert not set(gp) & {14, 15}


def _doc():
    with open(pins.DEFAULT_TABLE, "rb") as f:
        return tomllib.load(f)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["buttons"].update(back=19), "GPIO 19, which is I2S LRCLK"),
    (lambda d: d["buttons"].update(back=2), "I2C SDA"),
    (lambda d: d["buttons"].update(back=0), "HAT EEPROM"),
    (lambda d: d["buttons"].update(back=10), "SPI0 MOSI"),
    (lambda d: d["buttons"].update(back=24), "GPIO 24 is used twice"),
    (lambda d: d["buttons"].update(back=17), "GPIO 17 is used twice"),
    (lambda d: d["buttons"].update(back=40), "out of range 0-27"),
    (lambda d: d["system"].update(serial_console=True), "serial console"),
    (lambda d: d["system"].update(spi0="on"), "SPI0 CE1"),
    (lambda d: d["encoders"].pop("enc3"), "encoder 'enc3' is missing"),
    (lambda d: d["buttons"].update(shift=9), "unknown button 'shift'"),
    (lambda d: d["display"].update(kind="st7735"), "display.kind 'st7735'"),
    (lambda d: d.update(schema_version=7), "schema_version 7"),
    (lambda d: d.update(colour="red"), "unknown key 'colour'"),
])
def test_broken_rules_are_named(change, message):
    d = _doc()
    change(d)
    with pytest.raises(pins.PinError, match=message):
        pins.parse(d)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(pins.PinError, match="file not found"):
        pins.load(str(tmp_path / "nope.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[buttons\nback = 4\n")
    with pytest.raises(pins.PinError, match="not valid TOML"):
        pins.load(str(bad))
