"""The hands-on side of the box: input decoding (encoders, buttons, keys),
navigation, and screens drawn with PIL for luma.oled devices or a terminal.

ui/ never imports dsp/, firmware/ or sounddevice: firmware fills the plain view
objects in ``ui.views`` and turns the commands that ``ui.navigation`` returns
into parameter changes. RPi.GPIO is imported only in ``ui.gpio_backend``,
luma.oled's devices only in ``ui.display``.
"""
