"""Remote surfaces: hands on the same session from outside the panel, each
off by default, none able to change the box before it has paired.

    osc.py    OSC over UDP: set and read parameters, snapshots, compare,
              listening, undo; subscriptions that push changes and meters
"""
