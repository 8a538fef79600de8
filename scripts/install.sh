#!/usr/bin/env bash
# Install masterbox as a boot-to-audio service on Raspberry Pi OS (Bookworm, 64-bit).
#   sudo make install              (this script)
#   sudo make uninstall            (this script with --uninstall)
#   scripts/install.sh --dry-run   print every step, change nothing
#   scripts/install.sh --with-ffmpeg   also ffmpeg: the live codec preview and
#                                      check's lossy peaks (apt says the disk space first)
# Installing twice is harmless: every step checks before it acts. Where systemd
# is not running (a chroot, an SD-card image being built; or SYSTEMD_OFFLINE=1)
# the unit is enabled offline and nothing asks the service manager to reload
# (SYSTEMD_OFFLINE=0 says systemd runs, whatever /run/systemd shows).
# MASTERBOX_MODEL and MASTERBOX_ARCH stand in for the Pi's own (make check-arm64).
set -euo pipefail
cd "$(dirname "$0")/.."

DRY=0
MODE=install
FFMPEG=0
for a in "$@"; do
    case "$a" in
        --dry-run) DRY=1 ;;
        --uninstall) MODE=uninstall ;;
        --with-ffmpeg) FFMPEG=1 ;;
        *) echo "install: unknown option $a (use --dry-run, --uninstall, --with-ffmpeg)" >&2; exit 2 ;;
    esac
done

PREFIX=/opt/masterbox
ETC=/etc/masterbox
UNIT=/etc/systemd/system/masterbox.service
USER_NAME=masterbox
ARCH=${MASTERBOX_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}
if [ -n "${MASTERBOX_MODEL:-}" ]; then
    MODEL=$MASTERBOX_MODEL
elif [ -r /proc/device-tree/model ]; then
    MODEL=$(tr -d '\0' < /proc/device-tree/model)
else
    MODEL=unknown
fi
if [ "${SYSTEMD_OFFLINE:-}" = 0 ]; then
    unset SYSTEMD_OFFLINE        # told so: a running systemd is asked
elif [ "${SYSTEMD_OFFLINE:-}" = 1 ] || [ ! -d /run/systemd/system ]; then
    export SYSTEMD_OFFLINE=1     # systemctl works on the files, no manager is asked
fi

run() {  # print, and do unless --dry-run
    echo "+ $*"
    [ "$DRY" = 1 ] || "$@"
}

if [ "$DRY" = 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install: run as root (sudo make install), or try --dry-run" >&2
    exit 2
fi

reload_systemd() {
    if [ "${SYSTEMD_OFFLINE:-}" = 1 ]; then
        echo "install: systemd is not running here: the unit takes effect at the next boot"
    else
        run systemctl daemon-reload
    fi
}

if [ "$MODE" = uninstall ]; then
    if [ "${SYSTEMD_OFFLINE:-}" = 1 ]; then
        run systemctl disable masterbox.service || true
    else
        run systemctl disable --now masterbox.service || true
    fi
    run rm -f "$UNIT"
    reload_systemd
    run rm -rf "$PREFIX" "$ETC" /var/cache/masterbox /var/lib/masterbox
    if id "$USER_NAME" >/dev/null 2>&1 || [ "$DRY" = 1 ]; then run userdel "$USER_NAME" || true; fi
    echo "uninstalled"
    exit 0
fi

case "$ARCH" in
    arm64|aarch64|amd64|x86_64) ;;
    armhf|armel|armv7l|armv6l|i386)
        echo "install: this is a 32-bit system ($ARCH). numba, which compiles the audio path," \
             "has no 32-bit ARM builds: install Raspberry Pi OS (64-bit) and run this again." >&2
        exit 2 ;;
    *) echo "install: unsupported architecture $ARCH" >&2; exit 2 ;;
esac

GPIO_PKG=RPi.GPIO
case "$MODEL" in
    *"Raspberry Pi 5"*)
        GPIO_PKG=rpi-lgpio
        echo "install: $MODEL: RPi.GPIO does not work on a Pi 5; installing rpi-lgpio," \
             "its drop-in replacement (the same 'import RPi.GPIO')." ;;
    *"Raspberry Pi 4"*) ;;
    unknown)
        echo "install: warning: no Raspberry Pi model found (/proc/device-tree/model):" \
             "installing for a Pi 4 (RPi.GPIO); on a Pi 5 set MASTERBOX_MODEL or install rpi-lgpio" >&2 ;;
    *)
        echo "install: warning: $MODEL is not a Raspberry Pi 4 or 5, the boards this is built" \
             "and tested for; installing for a Pi 4 (RPi.GPIO)" >&2 ;;
esac

if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
    run apt-get update -q          # a fresh system (or image) has no package lists yet
fi
# gcc, libc6-dev and python3-dev build RPi.GPIO, rpi-lgpio's lgpio and spidev,
# which have no aarch64 wheels on PyPI
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    python3 python3-venv python3-dev gcc libc6-dev libsndfile1 libportaudio2
if [ "$FFMPEG" = 1 ]; then
    # what it costs, from apt itself (it answers "no" to its own question)
    space=$(LC_ALL=C apt-get install --assume-no --no-install-recommends ffmpeg 2>/dev/null \
            | sed -n 's/^After this operation, \(.*\) of additional disk space.*/\1/p' || true)
    if [ -n "$space" ]; then
        echo "install: ffmpeg (the codec preview, check's lossy peaks) takes $space of disk space"
    else
        echo "install: ffmpeg is installed already"
    fi
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ffmpeg
elif ! command -v ffmpeg >/dev/null 2>&1; then
    echo "install: no ffmpeg: the codec preview and check's lossy peaks need it" \
         "(scripts/install.sh --with-ffmpeg; apt says the disk space first)"
fi
if ! id "$USER_NAME" >/dev/null 2>&1; then
    run useradd --system --home-dir /var/lib/masterbox --shell /usr/sbin/nologin "$USER_NAME"
fi
for g in audio gpio i2c spi; do
    if getent group "$g" >/dev/null 2>&1 || [ "$DRY" = 1 ]; then run usermod -aG "$g" "$USER_NAME" || true; fi
done
run install -d -m 755 "$PREFIX"
run cp -a pyproject.toml README.md dsp firmware ui hardware "$PREFIX/"
[ -x "$PREFIX/venv/bin/python" ] || run python3 -m venv "$PREFIX/venv"
run "$PREFIX/venv/bin/pip" install -q "$PREFIX" "$GPIO_PKG" spidev smbus2
run install -d -m 755 "$ETC"
if [ ! -f "$ETC/config.toml" ]; then
    if [ "$DRY" = 1 ]; then echo "+ write $ETC/config.toml (every key with its default)";
    else "$PREFIX/venv/bin/python" -c "from firmware.service import config; print(config.text(), end='')" > "$ETC/config.toml"; fi
fi
run install -m 644 systemd/masterbox.service "$UNIT"
run install -d -o "$USER_NAME" /var/cache/masterbox /var/lib/masterbox
# first-boot warm-up: compile the chain into the service's cache now
run runuser -u "$USER_NAME" -- env NUMBA_CACHE_DIR=/var/cache/masterbox/numba "$PREFIX/venv/bin/masterbox" warmup
reload_systemd
run systemctl enable masterbox.service
echo "installed: sudo systemctl start masterbox (it starts by itself at boot)"
