"""Realistic OS message notifications: z/OS texts of 80-130 characters in the console's frame and body shape.

The texts follow real z/OS console traffic of a busy system (job start/end with step statistics, allocation,
SMF, dump, I/O error and WTOR messages). Length matters for the figures: JSON parsing and TLS cost grow with
it, and the short texts of a toy generator would flatter every receiver alike.
"""

import json
import random

_JOBS = ("PAYROLL", "BKUPDLY", "DB2PMSTR", "CICSPRD1", "IMSCTL", "SMFDUMP", "RMFGAT", "TCPIP", "NIGHTLY1",
         "HSMDAILY", "MQPRDCHN", "GLACCT01")
_STEPS = ("STEP010", "STEP020", "EXTRACT", "SORT", "LOAD", "BACKUP", "REPORT")
_DSN = ("SYS1.PROD.PAYROLL.LOADLIB", "PROD.GL.MONTHLY.EXTRACT.G0042V00", "DB2P.DSNDBC.PAYDB.EMPTS.I0001.A001",
        "HSM.BACKUP.DAILY.D261121.T134000", "CICS.PROD.DFHRPL.APPLOAD", "SYS2.SMF.WEEKLY.DUMP")
_TEMPLATES = (
    "IEF404I {job} - ENDED - TIME={t} - ASID={asid} - SYS1 STEP={step} RC=0000 CPU=00:00:0{d} SRB=00:00:00",
    "$HASP373 {job} STARTED - INIT {init:<3d} - CLASS A - SYS SYS1 - JOB{jes} SUBMITTED BY OPSUSER1 ON SYS1",
    "IEF196I IGD104I {dsn:<44} RETAINED,  DDNAME=STEPLIB",
    "IEA995I SYMPTOM DUMP OUTPUT  SYSTEM COMPLETION CODE=0C4  REASON CODE=00000011 TIME={t} SEQ={seq:05d} ASID={asid}",
    "IOS000I {dev},{chp},IOE,40,0E00,,**,PRDV{vol},{job} DATA CHECK ON CHPID {chp} DEVICE {dev} CCW=02 SENSE=0040",
    "IRR812I PROFILE ** (G) IN THE STARTED CLASS WAS USED TO START {job} WITH JOBNAME {job}, USER STCUSER.",
    "IEF142I {job} {step} - STEP WAS EXECUTED - COND CODE 0000 ELAPSED TIME 00:00:{d}{d} SERVICE UNITS 0004{jes}",
    "ICH70001I OPSUSER1 LAST ACCESS AT {t} ON THURSDAY, NOVEMBER 21, 2026 FROM TERMINAL TCP{jes} VIA TSO",
    "IGD01008I ALLOCATION OF {dsn} SUCCESSFUL FOR {job} USING STORCLAS SCPROD AND MGMTCLAS MCSTD",
    "DSNL004I  -DB2P DDF START COMPLETE  LOCATION DB2PLOC  LU USIBMSY.DB2PLU  GENERICLU -NONE DOMAIN sys1.example.com",
    "IEC161I 056-084,{job},{step},SYSUT2,{dev},PRDV{vol},{dsn}",
    "*IEE362A SMF ENTER DUMP FOR SYS1.MAN{d} ON SYS1 - DATA SET FULL, RECORDING CONTINUES ON SYS1.MAN{init}",
)


def texts(count: int, seed: int = 7) -> list[str]:
    """count message texts of 80-130 characters, deterministic for a seed."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        text = rng.choice(_TEMPLATES).format(
            job=rng.choice(_JOBS), step=rng.choice(_STEPS), dsn=rng.choice(_DSN), asid=f"{rng.randint(16, 999):04X}",
            t=f"{rng.randint(0, 23):02d}.{rng.randint(0, 59):02d}.{rng.randint(0, 59):02d}", d=rng.randint(1, 9),
            init=rng.randint(1, 40), jes=f"{rng.randint(0, 99999):05d}", seq=rng.randint(0, 99999),
            dev=f"{rng.randint(0x100, 0xFFFF):04X}", chp=f"{rng.randint(0x10, 0xFF):02X}",
            vol=f"{rng.randint(1, 99):02d}")
        if 80 <= len(text) <= 130:
            out.append(text)
    return out


def os_message_body(text: str, sequence: int, os_name: str = "ZOS1", timestamp: int = -1, held: bool = False) -> str:
    """The body of an os-message notification exactly as a console sends it (one message per notification)."""
    return json.dumps({"os-messages": [{
        "message-text": text, "message-id": str(sequence), "sequence-number": sequence, "os-name": os_name,
        "sound-alarm": False, "is-priority": False, "is-refresh": False, "prompt-text": "", "is-held": held,
        "timestamp": timestamp}]}, separators=(",", ":"))
