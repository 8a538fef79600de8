"""The Linux real-time calls the engine makes, through libc: lock memory,
raise one thread to SCHED_FIFO, pin it to a core, and read a thread's policy
and CPUs back (for status and tests). Each degrades to a warning when the
process is not permitted."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger("masterbox.engine")

SCHED_FIFO = 1
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class _SchedParam(ctypes.Structure):
    _fields_ = [("sched_priority", ctypes.c_int)]


def lock_memory() -> str:
    """mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT): no page the process has
    touched is ever swapped out under the callback. ONFAULT (Linux 4.4) locks a
    page when it is first used instead of filling every mapping up front: without
    it each thread's 8 MB stack and every reserved heap arena become resident,
    and the box measured 595 MB instead of its ~200 MB. Falls back to the plain
    call on an older kernel. Returns "locked" or why not (a warning, not an error)."""
    libc = _libc()
    if libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0:
        return "locked"
    if ctypes.get_errno() == 22 and libc.mlockall(MCL_CURRENT | MCL_FUTURE) == 0:   # EINVAL: no ONFAULT
        return "locked"
    why = os.strerror(ctypes.get_errno())
    log.warning("memory not locked (%s): audio may glitch under memory pressure", why)
    return f"not locked: {why}"


def set_thread_fifo(thread_id: int, priority: int) -> str:
    """Raise one thread (a pthread_t) to SCHED_FIFO at ``priority``."""
    err = _libc().pthread_setschedparam(ctypes.c_ulong(thread_id), SCHED_FIFO,
                                        ctypes.byref(_SchedParam(priority)))
    if err == 0:
        return f"SCHED_FIFO {priority}"
    why = os.strerror(err)
    log.warning("audio thread stays at normal priority (SCHED_FIFO %d: %s); "
                "the service grants it with LimitRTPRIO", priority, why)
    return f"normal priority: {why}"


def _cpu_set():
    return (ctypes.c_ulong * 16)()           # a cpu_set_t: 1024 bits


def set_thread_cpu(thread_id: int, cpu: int) -> str:
    """Pin one thread (a pthread_t) to one CPU (an isolated core)."""
    mask = _cpu_set()
    mask[cpu // 64] = 1 << (cpu % 64)
    err = _libc().pthread_setaffinity_np(ctypes.c_ulong(thread_id), ctypes.sizeof(mask), mask)
    if err == 0:
        return f"on CPU {cpu}"
    log.warning("audio thread not pinned to CPU %d (%s)", cpu, os.strerror(err))
    return f"not pinned: {os.strerror(err)}"


def thread_cpus(thread_id: int) -> list[int]:
    mask = _cpu_set()
    _libc().pthread_getaffinity_np(ctypes.c_ulong(thread_id), ctypes.sizeof(mask), mask)
    return [c for c in range(1024) if mask[c // 64] >> (c % 64) & 1]


def thread_policy(thread_id: int) -> tuple[int, int]:
    """(policy, priority) of a thread, for tests and status."""
    pol = ctypes.c_int()
    sp = _SchedParam()
    _libc().pthread_getschedparam(ctypes.c_ulong(thread_id), ctypes.byref(pol), ctypes.byref(sp))
    return pol.value, sp.sched_priority
