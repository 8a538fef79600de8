"""Derive the assistant's built-in profiles (firmware/assistant/profile_data.py)
from a copy of phaselimiter's analysis data and write them as JSON.

    git clone --depth 1 https://github.com/ai-mastering/phaselimiter /tmp/phaselimiter
    .venv/bin/python scripts/derive_profiles.py /tmp/phaselimiter/resource/analysis_data

The 568 data files are not committed; the profiles derived from them are, with
the data's licence notice (firmware/assistant/builtin_profiles/NOTICE).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from firmware.assistant.profile_data import (DataError, derive, file_name, read_folder,  # noqa: E402
                                             readings_compared)
from firmware.store.atomic import write_text  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "firmware",
                                   "assistant", "builtin_profiles"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", help="the folder of phaselimiter analysis JSON files")
    ap.add_argument("--out", default=OUT, help="where the profiles go (default: the built-ins)")
    ap.add_argument("--compare", action="store_true", help="print how far each reading of source "
                    "1's level is from the loud, dense masters' shape, and write nothing")
    a = ap.parse_args(argv)
    if a.compare:
        for name, db in readings_compared(read_folder(a.data)).items():
            print(f"source 1 read as {name}: at most {db} dB from source 2's balanced-modern shape")
        return 0
    try:
        profiles = derive(a.data)
    except (DataError, OSError, ValueError) as e:
        print(f"derive_profiles: {e}", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    for name, p in profiles.items():
        path = os.path.join(a.out, file_name(name))
        write_text(path, json.dumps(p, indent=1) + "\n")
        print(f"{path}: {p['tracks']} tracks ({p['selection']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
