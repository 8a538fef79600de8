"""masterbox params: the parameter schema and the chain's latency."""
from __future__ import annotations

import json

from dsp import params
from dsp.design import latency_frames

RATES = (44100, 48000, 88200, 96000)


def add_parsers(sub) -> None:
    p = sub.add_parser("params", help="list every parameter (the schema) and the latency")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_params)


def cmd_params(args) -> int:
    doc = {
        "latency_frames": {str(fs): latency_frames(fs) for fs in RATES},
        "latency_ms": {str(fs): round(1000 * latency_frames(fs) / fs, 4) for fs in RATES},
        "params": params.schema_json(),
    }
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    for p in params.SCHEMA:
        rng = ", ".join(p.choices) if p.choices else p.with_unit(f"{p.min:g}..{p.max:g}")
        print(f"{p.id:34s} {p.format(p.default):>12s}   [{rng}]")
    print("latency: " + ", ".join(f"{fs} Hz: {n} frames ({doc['latency_ms'][fs]} ms)"
                                  for fs, n in doc["latency_frames"].items()))
    return 0
