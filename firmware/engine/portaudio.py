"""Every PortAudio call the engine makes, through sounddevice's cffi handle.

``sounddevice._lib`` / ``_ffi`` give Pa_OpenStream, which takes our compiled C
callback (a numba @cfunc) and a userdata pointer. That handle is a private API,
so pyproject pins sounddevice to the 0.5 series; nothing else in the firmware
reaches into sounddevice's internals.
"""
from __future__ import annotations

from ..errors import DeviceError, UserError


def _sd():
    import sounddevice as sd

    return sd


def _text(err: int) -> str:
    sd = _sd()
    return sd._ffi.string(sd._lib.Pa_GetErrorText(err)).decode()


def find_device(device) -> int:
    """The index of a full-duplex device by index or (part of its) name; None
    means the first one with 2 inputs and 2 outputs."""
    devs = _sd().query_devices()
    if device is None:
        for i, d in enumerate(devs):
            if d["max_input_channels"] >= 2 and d["max_output_channels"] >= 2:
                return i
        raise DeviceError("no audio device with 2 inputs and 2 outputs (see masterbox devices)")
    if not devs:
        raise UserError(f"audio device {device!r}: this machine has no audio devices")
    if isinstance(device, int) or str(device).isdigit():
        i = int(device)
        if not 0 <= i < len(devs):
            raise UserError(f"audio device {i}: no such device (0..{len(devs) - 1})")
        return i
    for i, d in enumerate(devs):
        if str(device).lower() in d["name"].lower():
            return i
    raise UserError(f"audio device '{device}': not found "
                    f"(have: {', '.join(d['name'] for d in devs)})")


def devices() -> list[dict]:
    """Every device PortAudio sees, with its host API's name."""
    sd = _sd()
    apis = sd.query_hostapis()
    return [dict(d, index=i, hostapi_name=apis[d["hostapi"]]["name"])
            for i, d in enumerate(sd.query_devices())]


class Stream:
    """A full-duplex stereo float32 stream whose callback is a C function."""

    def __init__(self, device_index: int, fs: int, block: int, callback_address: int,
                 userdata_address: int):
        sd = _sd()
        ffi, lib = sd._ffi, sd._lib
        info = sd.query_devices(device_index)
        p_in = ffi.new("PaStreamParameters*", dict(
            device=device_index, channelCount=2, sampleFormat=lib.paFloat32,
            suggestedLatency=info["default_low_input_latency"], hostApiSpecificStreamInfo=ffi.NULL))
        p_out = ffi.new("PaStreamParameters*", dict(
            device=device_index, channelCount=2, sampleFormat=lib.paFloat32,
            suggestedLatency=info["default_low_output_latency"], hostApiSpecificStreamInfo=ffi.NULL))
        handle = ffi.new("PaStream**")
        # kept: PortAudio holds these pointers for the stream's life
        self._cb = ffi.cast("PaStreamCallback*", callback_address)
        self._user = ffi.cast("void*", userdata_address)
        err = lib.Pa_OpenStream(handle, p_in, p_out, float(fs), block, lib.paNoFlag,
                                self._cb, self._user)
        if err != 0:
            raise DeviceError(f"audio device '{info['name']}': cannot open a stereo stream at "
                              f"{fs} Hz ({_text(err)})")
        self._stream = handle[0]

    def start(self) -> None:
        err = _sd()._lib.Pa_StartStream(self._stream)
        if err != 0:
            raise DeviceError(f"cannot start the audio stream ({_text(err)})")

    def close(self) -> None:
        """Stop and close (idempotent)."""
        if self._stream is not None:
            lib = _sd()._lib
            lib.Pa_StopStream(self._stream)
            lib.Pa_CloseStream(self._stream)
            self._stream = None

    def cpu_load(self) -> float:
        """PortAudio's estimate of the callback's share of the period, 0..1."""
        return float(_sd()._lib.Pa_GetStreamCpuLoad(self._stream))

    def latency(self) -> tuple[float, float]:
        """PortAudio's reported (input, output) latency, seconds."""
        info = _sd()._lib.Pa_GetStreamInfo(self._stream)
        return float(info.inputLatency), float(info.outputLatency)


def reinitialise() -> None:
    """Terminate and re-initialise PortAudio, so it enumerates devices afresh
    (a lost ALSA device, a restarted sound server)."""
    sd = _sd()
    sd._terminate()
    sd._initialize()
