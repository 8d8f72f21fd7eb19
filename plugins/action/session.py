# Copyright: (c) 2026, zhmc.notifications contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of zhmc.notifications.session: its result never reaches the output.

The module returns a live session (session id and session credential), which later tasks need in the
registered variable but nobody should see on screen or in a job log. A task that forgets ``no_log: true``
would print them at every verbosity; this plugin runs the module and marks a result that holds a session as
no_log, which Ansible honours for display and callbacks while the registered variable keeps the real values.
A failed logon stays visible: its message names the console and the reason, never a secret.
"""

from __future__ import absolute_import, division, print_function  # noqa: UP010 (ansible-test)

__metaclass__ = type  # noqa: UP001 (ansible-test)

from ansible.plugins.action import ActionBase

MODULE = "zhmc.notifications.session"


def holds_session(result):
    """Whether a module result carries a session id or session credential."""
    auth = result.get("hmc_auth")
    return isinstance(auth, dict) and any(auth.get(key) for key in ("session_id", "session_credential"))


class ActionModule(ActionBase):
    """Runs the session module; hides a result that holds a session."""

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
        if holds_session(result):
            result["_ansible_no_log"] = True
        return result
