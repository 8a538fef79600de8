"""What several command groups share: the chain options (--preset, --set) and
the session they fill."""
from __future__ import annotations

import json
import math

import numpy as np

from dsp import params

from ..errors import UserError
from ..session import Session


def chain_opts(p, preset_default: str | None) -> None:
    p.add_argument("--preset", default=preset_default,
                   help="preset name (built-in or yours) or a .toml file"
                   + (" (default: %(default)s)" if preset_default else
                      " (default: the saved state, else the config's preset, else neutral)"))
    p.add_argument("--set", action="append", metavar="module.param=VALUE",
                   help="override one parameter; repeatable")


def parse_sets(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise UserError(f"--set {item}: expected module.param=VALUE")
        pid, text = item.split("=", 1)
        try:
            out[pid.strip()] = params.parse_value(pid.strip(), text)
        except params.ParamError as e:
            raise UserError(f"--set {item}: {e}") from None
    return out


def session_from(preset: str | None, sets: list[str] | None, sink=None,
                 user_dir: str | None = None) -> Session:
    """A session holding the preset (loaded as presets are; a name may be one
    of the user's presets in ``user_dir``) with the --set values applied on
    top, from the command line: the same path every other hand takes."""
    from ..store import presets

    s = Session(sink)
    if preset is not None:
        s.load_preset(presets.display_name(preset), presets.load(preset, user_dir))
    changes = parse_sets(sets)
    if changes:
        s.apply(changes, "cli")
    return s


def values_from(args) -> dict[str, float]:
    return session_from(args.preset, args.set).values


def _plain(v):
    """JSON has no -inf or NaN: a figure that does not exist is null."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (np.floating, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def json_text(doc) -> str:
    return json.dumps(_plain(doc), indent=1, allow_nan=False)


def print_json(doc) -> None:
    print(json_text(doc))
