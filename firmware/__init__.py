"""masterbox firmware: wires dsp and ui to files, audio devices and the panel.

The only layer that touches files, devices, threads and PortAudio.

    session.py   the box's state and the one path that changes it
    control.py   the panel's hands on the session, and the view objects for the screen
    uiloop.py    one UI loop: inputs (GPIO, keys, a script) in, screen (OLED, terminal) out
    laptop.py    the laptop mode's audio (a file through the chain) and screenshots
    engine/      the real-time engine (PortAudio @cfunc callback, Linux real-time calls)
    offline/     file work: render, delivery targets, measure, response, the demo
    store/       state on disk: atomic writes, TOML, presets
    service/     the box as a service: run loop, systemd notify, machine config
    lab/         bench checks: loop cable, panel walk-through, pin map, JACK loop
    cli/         the masterbox command, one module per group of commands
    errors.py    user errors, device faults, and how each is reported
"""
from .errors import DeviceError, UserError  # noqa: F401
