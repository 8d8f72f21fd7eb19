"""os_command as a user runs it against hmcsim: what it sends is exactly one line, and once the command is out
the result says so, whatever fails after it (a retry must not send it twice)."""

import module_play

LP01 = {"cpc_name": "CPC2", "name": "LP01"}


def os_command(**args):
    return {"zhmc.notifications.os_command": {"hmc_host": "{{ hmc_host }}", "hmc_auth": "{{ hmc_auth }}",
                                              **LP01, **args}}


def test_text_that_is_not_one_line_is_refused_before_anything_is_sent(hmcsim, tmp_path):
    hmcsim.control.os_message("LP01", "*05 IEF238D PAYROLL - REPLY DEVICE NAME OR 'CANCEL'.", held=True,
                              reply_id="05")
    results, _output = module_play.run(hmcsim, tmp_path, {
        "newline_reply_id": os_command(reply_id="05\n", reply="U"),
        "blank_reply_id": os_command(reply_id=" 05", reply="U"),
        "two_commands": os_command(command="D T\nV 0A0,OFFLINE"),
        "reply_with_cr": os_command(reply_id="05", reply="U\rV 0A0,OFFLINE"),
        "tab_command": os_command(command="D\tT"),
    })
    for name, result in results.items():
        assert result["failed"] is True and result["changed"] is False and result["sent"] is False, (name, result)
    assert "reply_id: must be the one to four digit reply id of a held message, got '05\\n'" in \
        results["newline_reply_id"]["msg"]
    assert "got ' 05'" in results["blank_reply_id"]["msg"]
    assert results["two_commands"]["msg"].startswith("command: contains the control character U+000A at position 3")
    assert results["reply_with_cr"]["msg"].startswith("reply: contains the control character U+000D at position 1")
    assert results["tab_command"]["msg"].startswith("command: contains the control character U+0009")
    assert hmcsim.control.os_commands() == [], "nothing reached the console"
    assert next(r["held"] for r in hmcsim.control.resources() if r["name"] == "LP01") == [5]


def test_a_failure_after_the_command_was_sent_reports_it_sent(hmcsim, tmp_path):
    """The OS stops after the command: reading the messages that follow fails with 409.332. The task fails, but
    with changed and sent true and the messages read until then."""
    process, out = module_play.start(hmcsim, tmp_path, {
        "sent": os_command(command="V XCF,SYS1,OFFLINE", wait_for="NEVER-SEEN", wait_timeout=240,
                           wait_interval=0.2)})
    try:
        hmcsim.control.wait_for(lambda state: state["os-commands"], timeout=180, what="the command")
        hmcsim.control.set_status("LP01", "not-operating")
        results, _output = module_play.finish(process, out)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    result = results["sent"]
    assert result["failed"] is True
    assert (result["changed"], result["sent"], result["command"]) == (True, True, "V XCF,SYS1,OFFLINE")
    assert "The command was sent to LPAR 'LP01', but reading the OS messages that followed it failed" in result["msg"]
    assert "HTTP 409 reason 332" in result["msg"]
    assert isinstance(result["messages"], list) and result["matched"] is None
    assert [c["text"] for c in hmcsim.control.os_commands()] == ["V XCF,SYS1,OFFLINE"], "sent once"
    assert hmcsim.control.sessions() == []
