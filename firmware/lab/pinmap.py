"""Draw a pin table (hardware/pins*.toml) on the Pi's 40-pin header, as PNG.

    masterbox pinmap [--pins hardware/pins.toml] OUT.png

The picture is made from the table the firmware reads, so the wiring diagram
and the code cannot disagree.
"""
from __future__ import annotations

from ui import pins as P

from ..errors import UserError
from ..store.atomic import atomic_path

# physical pin -> BCM GPIO number, or a power/ground label (the 40-pin header)
HEADER = {1: "3V3", 2: "5V", 3: 2, 4: "5V", 5: 3, 6: "GND", 7: 4, 8: 14, 9: "GND", 10: 15,
          11: 17, 12: 18, 13: 27, 14: "GND", 15: 22, 16: 23, 17: "3V3", 18: 24, 19: 10,
          20: "GND", 21: 9, 22: 25, 23: 11, 24: 8, 25: "GND", 26: 7, 27: 0, 28: 1, 29: 5,
          30: "GND", 31: 6, 32: 12, 33: 13, 34: "GND", 35: 19, 36: 16, 37: 26, 38: 20,
          39: "GND", 40: 21}


def roles(table: P.PinTable) -> dict[int, tuple[str, str]]:
    """BCM -> (label, kind) for everything the table and the reference HAT use."""
    out: dict[int, tuple[str, str]] = {}
    for g, what in P.RESERVED.items():
        out[g] = (what, "reserved")
    spi0 = table.system.get("spi0", "on")
    if table.display.get("interface") == "spi":
        for g in (8, 10, 11):
            out[g] = (P.SPI0[g] + " (display)", "display")
        out[table.display["dc"]] = ("display DC", "display")
        if "rst" in table.display:
            out[table.display["rst"]] = ("display RST", "display")
    if spi0 != "off":
        # MISO stays with the SPI driver (a write-only display leaves it idle);
        # CE1 too unless dtoverlay=spi0-1cs releases it
        for g in ((7, 9) if spi0 == "on" else (9,)):
            out.setdefault(g, (P.SPI0[g] + " (unused)", "reserved"))
    for g, control, role in table.lines():
        out[g] = (f"{control} {role}" if role != "button" else f"{control} button", "input")
    return out


def draw(table: P.PinTable, out_path: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    used = roles(table)
    colours = {"input": "#2b8cbe", "display": "#e6550d", "reserved": "#999999",
               "power": "#d62728", "ground": "#222222", "free": "#ffffff"}
    fig, ax = plt.subplots(figsize=(10, 11))
    ax.set_xlim(-6, 6)
    ax.set_ylim(21, -1.5)
    ax.axis("off")
    ax.set_title(f"{table.name}: {table.description}", fontsize=10)
    for phys, what in HEADER.items():
        row = (phys - 1) // 2
        left = phys % 2 == 1
        x = -0.5 if left else 0.5
        if isinstance(what, int):
            label, kind = used.get(what, ("", "free"))
            name = f"GPIO{what}"
        else:
            label, kind, name = "", "power" if "V" in what else "ground", what
        ax.add_patch(plt.Circle((x, row), 0.32, facecolor=colours[kind], edgecolor="black"))
        ax.text(x, row, str(phys), ha="center", va="center", fontsize=6,
                color="white" if kind in ("input", "display", "ground", "power") else "black")
        tx = x - 0.6 if left else x + 0.6
        ha = "right" if left else "left"
        ax.text(tx, row, f"{name}  {label}" if left else f"{label}  {name}".strip(), ha=ha,
                va="center", fontsize=7.5, color=colours[kind] if kind != "free" else "#555555")
    for i, (k, c) in enumerate(colours.items()):
        ax.add_patch(plt.Rectangle((-5.8 + i * 1.95, 20.3), 0.3, 0.3, facecolor=c, edgecolor="black"))
        ax.text(-5.4 + i * 1.95, 20.45, k, va="center", fontsize=7)
    if not out_path.lower().endswith(".png"):
        raise UserError(f"pinmap: {out_path}: the output must be a .png file")
    with atomic_path(out_path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return out_path
