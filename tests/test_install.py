"""The installer (dry run: it prints every step and changes nothing) and the
machine config it writes."""
import os
import subprocess

import pytest

from firmware.service import config
from helpers import refusal

ROOT = os.path.join(os.path.dirname(__file__), "..")


# a config file's mistakes and the words its refusal must have
CONFIG_REFUSALS = [
    ("rat = 48000\n", "unknown key 'rat'"),
    ("rate = 22050\n", "rate = 22050 is not one of 44100, 48000, 88200, 96000"),
    ("block = '128'\n", "block = '128' should be a int"),
    ("rt_priority = 120\n", "rt_priority = 120 is out of range 0..99"),
    ("rt_cpu = -2\n", "rt_cpu = -2 is out of range -1..1023"),
    ("rate = [\n", "not valid TOML"),
]


def dry(*args, arch="arm64", model="Raspberry Pi 4 Model B Rev 1.5", **env_extra):
    env = dict(os.environ, MASTERBOX_ARCH=arch, MASTERBOX_MODEL=model, **env_extra)
    if model is None:
        env.pop("MASTERBOX_MODEL")
    return subprocess.run(["bash", os.path.join(ROOT, "scripts", "install.sh"), "--dry-run", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_dry_run_lists_every_step_in_order():
    r = dry(SYSTEMD_OFFLINE="0")
    assert r.returncode == 0, r.stderr
    steps = [l[2:] for l in r.stdout.splitlines() if l.startswith("+ ")]
    want = ["apt-get install", "useradd --system", "python3 -m venv /opt/masterbox/venv",
            "pip install -q /opt/masterbox RPi.GPIO", "/etc/masterbox/config.toml",
            "/etc/systemd/system/masterbox.service", "masterbox warmup",
            "systemctl enable masterbox.service"]
    pos = [next(i for i, s in enumerate(steps) if w in s) for w in want]
    assert pos == sorted(pos), steps
    for g in ("audio", "gpio", "i2c", "spi"):
        assert f"usermod -aG {g} masterbox" in r.stdout


def test_the_build_tools_for_gpio_packages_are_installed():
    """RPi.GPIO, lgpio and spidev have no aarch64 wheels: pip builds them."""
    apt = next(l for l in dry().stdout.splitlines() if "apt-get install" in l)
    for pkg in ("gcc", "libc6-dev", "python3-dev"):
        assert f" {pkg}" in apt


def test_no_model_file_is_a_warning_not_a_shell_error():
    r = dry(model=None)                         # this machine has no /proc/device-tree/model
    assert r.returncode == 0
    assert "No such file" not in r.stderr and "/proc/device-tree/model" in r.stderr
    assert "warning: no Raspberry Pi model found" in r.stderr
    r = dry(model="Some Other Board")
    assert "warning: Some Other Board is not a Raspberry Pi 4 or 5" in r.stderr


def test_offline_systemd_is_enabled_without_a_reload():
    """In a chroot or an image build, systemctl daemon-reload would abort the install."""
    r = dry(SYSTEMD_OFFLINE="1")
    assert r.returncode == 0
    assert "systemctl daemon-reload" not in r.stdout and "systemctl enable masterbox.service" in r.stdout
    assert "takes effect at the next boot" in r.stdout
    u = dry("--uninstall", SYSTEMD_OFFLINE="1")
    assert "disable --now" not in u.stdout and "systemctl disable masterbox.service" in u.stdout


def test_pi5_gets_rpi_lgpio_and_an_explanation():
    r = dry(model="Raspberry Pi 5 Model B Rev 1.0")
    assert r.returncode == 0
    assert "rpi-lgpio" in r.stdout and "drop-in replacement" in r.stdout


@pytest.mark.parametrize("arch", ["armhf", "armv7l"])
def test_32_bit_is_refused_with_the_reason(arch):
    r = dry(arch=arch)
    assert r.returncode == 2
    assert "32-bit" in r.stderr and "64-bit" in r.stderr and "numba" in r.stderr
    assert "+ " not in r.stdout                     # nothing was about to happen


def test_uninstall_dry_run_reverses_it():
    r = dry("--uninstall", SYSTEMD_OFFLINE="0")
    assert r.returncode == 0
    for s in ("systemctl disable --now masterbox.service", "rm -f /etc/systemd/system/masterbox.service",
              "rm -rf /opt/masterbox /etc/masterbox", "userdel masterbox"):
        assert s in r.stdout


def test_config_defaults_roundtrip(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text(config.text())
    assert config.load(str(p)) == config.DEFAULTS


@pytest.mark.parametrize("doc,needle", CONFIG_REFUSALS)
def test_config_rejects_with_names(tmp_path, doc, needle):
    said = refusal(config.load, tmp_path / "config.toml", doc)
    assert needle in said and "config.toml" in said


def test_warmup_compiles_the_callback():
    import sys
    exe = os.path.join(os.path.dirname(sys.executable), "masterbox")
    r = subprocess.run([exe, "warmup"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and "compiled and cached" in r.stdout
