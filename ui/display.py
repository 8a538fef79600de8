"""Display devices through luma.oled: the only module that imports its devices.

    dev = open_display({"kind": "ssd1309", "interface": "spi", "dc": 24})  # a Pi
    dev = open_display({"kind": "dummy"})         # tests, PNG capture, the laptop
    show(dev, image)                              # a PIL image from ui.screens

SSD1309, SSD1306 and SH1106 are 128x64 1-bit; the SSD1322 is 256x64 with 16
greys (luma takes RGB and converts). luma's ``dummy`` device keeps the last
image in ``device.image``: the pixel tests read it back.
"""
from __future__ import annotations

KINDS = ("ssd1309", "ssd1306", "sh1106", "ssd1322", "dummy")


class DisplayError(RuntimeError):
    pass


def open_display(spec: dict):
    kind = spec.get("kind", "dummy")
    if kind not in KINDS:
        raise DisplayError(f"display kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "dummy":
        from luma.core.device import dummy

        return dummy(width=spec.get("width", 128), height=spec.get("height", 64),
                     mode=spec.get("mode", "1"))
    from luma.core.interface.serial import i2c, spi
    from luma.oled import device as oled

    try:
        if spec.get("interface") == "i2c":
            serial = i2c(port=spec.get("port", 1), address=spec.get("address", 0x3C))
        else:
            serial = spi(port=spec.get("port", 0), device=spec.get("device", 0),
                         gpio_DC=spec.get("dc", 24), gpio_RST=spec.get("rst"),
                         bus_speed_hz=spec.get("speed_hz", 8_000_000))
        cls = getattr(oled, kind)
        if kind == "ssd1322":
            return cls(serial, width=256, height=64)
        return cls(serial, width=128, height=64)
    except Exception as e:          # luma raises DeviceNotFoundError, OSError, ImportError...
        raise DisplayError(f"display {kind} on {spec.get('interface', 'spi')}: cannot open it "
                           f"({type(e).__name__}: {e})") from None


def show(device, image) -> None:
    """Send a 1-bit page image to the device, converted to its colour mode and
    centred if the device is wider (a 128-wide page on a 256-wide SSD1322)."""
    if image.size != device.size:
        from PIL import Image

        canvas = Image.new(image.mode, device.size, 0)
        canvas.paste(image, ((device.width - image.width) // 2, (device.height - image.height) // 2))
        image = canvas
    if image.mode != device.mode:
        image = image.convert(device.mode)
    device.display(image)
