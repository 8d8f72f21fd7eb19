"""z/OS message id and reply id parsing, and the severity a message id's type letter suggests."""

import pytest

from ansible_collections.zhmc.notifications.plugins.module_utils.zos_message import code_severity, parse_zos_message


@pytest.mark.parametrize(
    ("text", "code", "reply_id", "indicator"),
    [
        ("*05 IEF238D JOB1 - REPLY DEVICE NAME OR 'CANCEL'.", "IEF238D", "05", "*"),
        ("@17 IXC102A XCF IS WAITING FOR SYSTEM SYS2 DEACTIVATION", "IXC102A", "17", "@"),
        ("* 123 IEE094D SPECIFY OPERAND(S) FOR DUMP COMMAND", "IEE094D", "123", "*"),
        ("*1234 IEF238D JOB1", "IEF238D", "1234", "*"),
        ("IEF403I MYJOB - STARTED - TIME=13.40.00", "IEF403I", None, None),
        ("$HASP373 JOB1     STARTED - INIT 1", "$HASP373", None, None),
        ("   IEA989I SLIP TRAP ID=X33E MATCHED", "IEA989I", None, None),
        ("13.40.00 JOB00123  IEF403I MYJOB - STARTED", "IEF403I", None, None),
        ("13:40:00.12 STC00042 $HASP100 INIT ON STCINRDR", "$HASP100", None, None),
        ("2026-11-21T13:40:00.123Z IXC101I SYSPLEX PARTITIONING IN PROGRESS", "IXC101I", None, None),
        ("*IEA404A SEVERE WTO BUFFER SHORTAGE - 100% FULL", "IEA404A", None, "*"),
        ("+CSQX500I CSQ1 CSQXRCTL Channel started", "CSQX500I", None, "+"),
        ("CSQ9022I CSQ1 CSQXCRPS ' START CHINIT' NORMAL COMPLETION", "CSQ9022I", None, None),
        ("DFHSI1517 CICSA Control is being given to CICS.", "DFHSI1517", None, None),
        ("DSNL004I  -DB2A DDF START COMPLETE", "DSNL004I", None, None),
        ("IST1234I  VTAM", "IST1234I", None, None),
        ("IGD17272I VOLUME SELECTION", "IGD17272I", None, None),
        ("BPXI004I OMVS INITIALIZATION COMPLETE", "BPXI004I", None, None),
        ("IEF196I\n", "IEF196I", None, None),
        ("IEF450I MYJOB STEP1 - ABEND=S0C4 U0000 REASON=00000004", "IEF450I", None, None),
        ("*05 REPLY Y TO CONTINUE OR N TO END", None, "05", "*"),
        ("MYJOB - STARTED", None, None, None),
        ("IEF403IX NOT A MESSAGE ID", None, None, None),
        ("ief403i lower case is not a message id", None, None, None),
        ("[  123.456] Linux kernel message", None, None, None),
        (" \n", None, None, None),
        ("", None, None, None),
    ],
)
def test_parse(text, code, reply_id, indicator):
    parsed = parse_zos_message(text)
    assert (parsed["code"], parsed["reply_id"], parsed["indicator"]) == (code, reply_id, indicator)
    assert parsed["action"] is (indicator in ("*", "@"))


def test_bare_reply_id_only_for_held_messages():
    assert parse_zos_message("05 IEF238D JOB1 - REPLY DEVICE NAME")["reply_id"] is None
    held = parse_zos_message("05 IEF238D JOB1 - REPLY DEVICE NAME", held=True)
    assert (held["code"], held["reply_id"]) == ("IEF238D", "05")
    # A leading number without a message id after it is text, even when held.
    assert parse_zos_message("10 DATA SETS MIGRATED", held=True)["reply_id"] is None


@pytest.mark.parametrize("text", [None, 5, b"IEF403I", ["IEF403I"], " " * 100_000, "*" + "9" * 100_000])
def test_never_fails(text):
    assert set(parse_zos_message(text)) == {"code", "reply_id", "indicator", "action"}


@pytest.mark.parametrize(
    ("code", "severity"),
    [("IEF403I", "info"), ("$HASP373", "info"), ("DFHSI1517", "info"), (None, "info"), ("IEF238D", "warning"),
     ("IXC102A", "warning"), ("CSQX202E", "warning"), ("IEA502W", "warning"), ("CEE3501S", "error"),
     ("ABC123T", "error"), ("ABC123C", "error"), ("ABC123X", "info")],
)
def test_code_severity(code, severity):
    assert code_severity(code) == severity
