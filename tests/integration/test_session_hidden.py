"""The session module's result is hidden even when the task forgets no_log (its action plugin marks it)."""

import json

from test_modules import PASSWORD, run_playbook

CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


def task_output(output, name):
    """The part of ansible-playbook's output that belongs to the task called name."""
    start = output.index(f"TASK [{name}]")
    end = output.find("TASK [", start + 1)
    return output[start:end if end > 0 else len(output)]


def test_session_without_no_log_shows_no_secret_at_vvv(hmcsim, tmp_path):
    secrets_file = tmp_path / "session.json"
    output = run_playbook("session_no_log_forgotten.yml", hmcsim, tmp_path, "-vvv", secrets_file=str(secrets_file))
    session = json.loads(secrets_file.read_text())
    assert session["session_id"] and session["session_credential"]
    leaked = [secret for secret in (PASSWORD, session["session_id"], session["session_credential"])
              if secret in output]
    assert not leaked, output
    assert CENSORED in task_output(output, "Log on (no no_log on purpose)")
    # logging off returns no session, so it shows; a failed logon shows why it failed
    assert CENSORED not in task_output(output, "Log off (its result holds no session and shows)")
    failed = task_output(output, "A failed logon stays visible")
    assert CENSORED not in failed and "wrong-password" not in failed and "logon" in failed.lower(), failed
    assert hmcsim.control.sessions() == []
