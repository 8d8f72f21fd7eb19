"""Realistic z/OS and Linux console message text for storms and demos."""

import itertools
import random
import time

_JOBS = ("PAYROLL", "BKUPDLY", "DB2MSTR", "CICSPRD", "IMSCTL", "SMFDUMP", "RMFGAT", "TCPIP", "NIGHTLY1", "HSMDAILY")


def _clock() -> str:
    return time.strftime("%H.%M.%S")


def zos_messages(seed: int = 0):
    """Endless realistic z/OS messages (job start/end, allocation, SMF, IPL progress)."""
    rng = random.Random(seed)
    for number in itertools.count(1):
        job = rng.choice(_JOBS)
        jes = f"JOB{number % 100000:05d}"
        yield rng.choice((
            f"IEF403I {job} - STARTED - TIME={_clock()}",
            f"IEF404I {job} - ENDED - TIME={_clock()}",
            f"$HASP373 {job} STARTED - INIT {rng.randint(1, 20)} - CLASS A - SYS SYS1",
            f"$HASP395 {job} ENDED - RC=0000",
            f"IEF196I IEF237I {rng.randint(0x100, 0xfff):X} ALLOCATED TO SYS{rng.randint(1, 9):05d}",
            f"IEA989I SLIP TRAP ID=X33E MATCHED.  JOBNAME={job}, ASID={rng.randint(16, 255):04X}.",
            f"IRR812I PROFILE ** (G) IN THE STARTED CLASS WAS USED TO START {job} WITH JOBNAME {jes}.",
            f"IEE252I MEMBER IEASYS{rng.randint(0, 9):02d} FOUND IN SYS1.PARMLIB",
            f"IEF196I IGD100I {rng.randint(0x100, 0xfff):X} ALLOCATED TO DDNAME SYSPRINT DATACLAS (        )",
        ))


def linux_messages(seed: int = 0):
    """Endless realistic Linux on Z console messages."""
    rng = random.Random(seed)
    for number in itertools.count(1):
        yield rng.choice((
            f"[{number * 0.013:12.6f}] systemd[1]: Started Session {number} of user root.",
            f"[{number * 0.013:12.6f}] qeth 0.0.{rng.randint(0x1000, 0x1fff):04x}: The qeth device driver "
            "failed to recover an error on the device",
            f"[{number * 0.013:12.6f}] dasd-eckd 0.0.{rng.randint(0x100, 0x2ff):04x}: New DASD 3390/0C",
        ))


def messages_for(os_type: str, seed: int = 0):
    return zos_messages(seed) if os_type.upper() in ("MVS", "Z/OS", "ZOS") else linux_messages(seed)
