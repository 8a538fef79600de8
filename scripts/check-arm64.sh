#!/usr/bin/env bash
# make check-arm64: the Pi path, proved without a Pi.
#
# A Debian bookworm arm64 root file system (the base of Raspberry Pi OS 64-bit)
# runs under qemu-user emulation. Into it go this checkout and the real
# scripts/install.sh, run as on a Pi 4 (the model is faked for its detection).
# Then, as the service user: the demo rendered and measured, compared with the
# same render on this machine; `systemd-analyze verify` of the installed unit;
# and the fast, pure tests. Run as root. Not part of make test (13 minutes
# from scratch, about 10 with the cached root file system).
#
#   MASTERBOX_ARM64_CACHE   where the root file system tarball is kept
#                           (default /var/cache/masterbox-check; about 2 GB)
#   MASTERBOX_MODEL         the Pi model the installer sees
#                           (default "Raspberry Pi 4 Model B Rev 1.5")
#   KEEP=1                  leave the work folder for a look afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
CACHE=${MASTERBOX_ARM64_CACHE:-/var/cache/masterbox-check}
BASE=$CACHE/bookworm-arm64-base.tar
MODEL=${MASTERBOX_MODEL:-"Raspberry Pi 4 Model B Rev 1.5"}
T0=$(date +%s)

say() { echo "check-arm64 [$(( $(date +%s) - T0 )) s] $*"; }
fail() { echo "check-arm64: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "check-arm64: run as root (it mounts, chroots and installs)" >&2; exit 2; }
[ -x .venv/bin/masterbox ] || { echo "check-arm64: run make setup first (the host render is the reference)" >&2; exit 2; }

WORK=$(mktemp -d /var/tmp/masterbox-arm64.XXXXXX)
ROOT=$WORK/root
cleanup() {
    for m in dev/pts dev sys proc; do
        mountpoint -q "$ROOT/$m" 2>/dev/null && umount -l "$ROOT/$m" || true
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "check-arm64: work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. tools
need=()
for p in qemu-user-static binfmt-support debootstrap; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# ---------------------------------------------------------------- 2. the emulator
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
        || fail "cannot mount binfmt_misc (no kernel support here?)"
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null \
    || fail "the qemu-aarch64 interpreter is not registered (update-binfmts --enable qemu-aarch64)"
say "emulator registered: $(head -2 /proc/sys/fs/binfmt_misc/qemu-aarch64 | tail -1)"

# ---------------------------------------------------------------- 3. root file system
mirror() {   # the machine's configured Debian mirror
    local m
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$m" ] || m=$(awk '/^deb .*debian/ && !/security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    echo "${m:-http://deb.debian.org/debian}"
}
mkdir -p "$ROOT" "$CACHE"
if [ -f "$BASE" ]; then
    say "root file system from the cache ($BASE)"
    tar -xf "$BASE" -C "$ROOT"
else
    say "building a bookworm arm64 root file system from $(mirror) (once; cached in $BASE)"
    debootstrap --arch=arm64 --variant=minbase \
        --include=ca-certificates,systemd,python3,python3-venv,sudo,util-linux,passwd,procps \
        bookworm "$ROOT" "$(mirror)" > "$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
    echo "deb $(mirror) bookworm main" > "$ROOT/etc/apt/sources.list"
    tar -cf "$BASE.part" -C "$ROOT" . && mv "$BASE.part" "$BASE"
    say "root file system cached: $(du -h "$BASE" | cut -f1)"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# the emulated Pi uses this machine's network as it is: its extra CA
# certificates (an intercepting proxy's, say) and pip's use of the system bundle
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
    chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 || true
fi
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$ROOT/etc/pip.conf"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --rbind /dev "$ROOT/dev"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
[ "$(in_root uname -m)" = aarch64 ] || fail "the root file system does not run as aarch64"

# ---------------------------------------------------------------- 4. the real installer
say "copying the checkout in and running scripts/install.sh as on a '$MODEL'"
mkdir -p "$ROOT/home/pi/masterbox"
git -C "$REPO" ls-files -z | tar --null -T - -cf - | tar -xf - -C "$ROOT/home/pi/masterbox"
# the reference render on this machine, from the same tree, before anything can change it
say "rendering the demo on this machine (the reference)"
.venv/bin/masterbox demo --out-dir "$WORK/host" > "$WORK/host_demo.log"
.venv/bin/masterbox measure "$WORK/host/demo_master.wav" --json > "$WORK/host_measure.json"
T_INSTALL=$(date +%s)
in_root env MASTERBOX_MODEL="$MODEL" bash /home/pi/masterbox/scripts/install.sh > "$WORK/install.log" 2>&1 \
    || { tail -30 "$WORK/install.log"; fail "scripts/install.sh inside the arm64 system"; }
WARMUP=$(grep -o "warm-up: the chain is compiled and cached ([0-9.]* s)" "$WORK/install.log" || true)
say "installed in $(( $(date +%s) - T_INSTALL )) s; $WARMUP"
grep -q "systemd is not running here" "$WORK/install.log" || fail "the installer did not notice systemd is not running"
[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/masterbox.service" ] || fail "the unit was not enabled"
in_root /opt/masterbox/venv/bin/python -c "import sys, platform; assert platform.machine() == 'aarch64'" \
    || fail "the service's Python is not aarch64"

# ---------------------------------------------------------------- 5. the demo, as the service user
say "rendering the demo as the service user (numba compiles for the emulated core)"
T_DEMO=$(date +%s)
in_root runuser -u masterbox -- env HOME=/var/lib/masterbox NUMBA_CACHE_DIR=/var/cache/masterbox/numba \
    /opt/masterbox/venv/bin/masterbox demo --out-dir /var/lib/masterbox/demo > "$WORK/demo.log" 2>&1 \
    || { cat "$WORK/demo.log"; fail "masterbox demo inside"; }
say "demo rendered in $(( $(date +%s) - T_DEMO )) s"
in_root /opt/masterbox/venv/bin/masterbox measure /var/lib/masterbox/demo/demo_master.wav --json \
    > "$WORK/arm64_measure.json" || fail "masterbox measure inside"
.venv/bin/python - "$ROOT/var/lib/masterbox/demo/demo_master.wav" "$WORK/host/demo_master.wav" \
    "$WORK/arm64_measure.json" "$WORK/host_measure.json" <<'PY'
import json, sys
import numpy as np
import soundfile as sf
a, fa = sf.read(sys.argv[1], dtype="int32")
b, fb = sf.read(sys.argv[2], dtype="int32")
assert fa == fb and a.shape == b.shape, (fa, fb, a.shape, b.shape)
lsb = np.abs((a >> 8).astype(np.int64) - (b >> 8)).max()           # 24-bit steps
n = int(np.count_nonzero(a != b))
ma, mb = json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
dl = abs(ma["integrated_lufs"] - mb["integrated_lufs"])
dt = abs(ma["true_peak_dbtp"] - mb["true_peak_dbtp"])
print(f"check-arm64: arm64 vs host: {n} of {a.size} samples differ, at most {lsb} LSB at 24 bit; "
      f"integrated {ma['integrated_lufs']:.4f} vs {mb['integrated_lufs']:.4f} LUFS ({dl:.4f} LU); "
      f"true peak {ma['true_peak_dbtp']:.3f} vs {mb['true_peak_dbtp']:.3f} dBTP ({dt:.4f} dB)")
bad = []
if lsb > 4:
    bad.append(f"samples differ by {lsb} LSB (limit 4)")
if dl > 0.001:
    bad.append(f"integrated loudness differs by {dl:.4f} LU (limit 0.001)")
if dt > 0.01:
    bad.append(f"true peak differs by {dt:.4f} dB (limit 0.01)")
if bad:
    sys.exit("check-arm64: FAILED: " + "; ".join(bad))
PY

# ---------------------------------------------------------------- 6. the unit
say "systemd-analyze verify on the installed unit"
OUT=$(in_root systemd-analyze verify /etc/systemd/system/masterbox.service 2>&1 || true)
[ -z "$OUT" ] || { echo "$OUT"; fail "systemd-analyze verify said something"; }

# ---------------------------------------------------------------- 7. the fast, pure tests
say "the fast tests under emulation (params, presets, session, meters' compliance)"
in_root /opt/masterbox/venv/bin/pip install -q pytest pyloudnorm hypothesis > "$WORK/pip-tests.log" 2>&1 \
    || { tail -5 "$WORK/pip-tests.log"; fail "pip install of the test tools"; }
in_root bash -c "cd /home/pi/masterbox && NUMBA_CACHE_DIR=/var/cache/masterbox/numba timeout 1200 \
    /opt/masterbox/venv/bin/python -m pytest -q -p no:cacheprovider tests/test_params.py \
    tests/test_presets.py tests/test_session.py tests/test_meters_compliance.py::test_3341_integrated \
    tests/test_meters_compliance.py::test_calibration_and_single_channel 2>&1" \
    | tee "$WORK/tests.log" | tail -3
grep -qE "^[0-9]+ passed" "$WORK/tests.log" && ! grep -qE "[0-9]+ failed" "$WORK/tests.log" \
    || fail "tests under emulation"
say "PASSED: install, demo render (matches the host), unit, tests on arm64"
