# -*- coding: utf-8 -*-
"""Running pptkit from an Ansible module: the shared options, the command line, and reading
pptkit's JSON documents and errors (the ``pptkit.error/1`` document, else its stderr lines).

Python 3 standard library only.
"""

from __future__ import annotations

import json
import os

#: Options every pptkit module takes (documented in the pptkit.pptkit.common fragment).
COMMON_ARGUMENT_SPEC = {
    "binary": {"type": "str", "default": "pptkit"},
    "snapshot": {"type": "path"},
    "root": {"type": "path"},
    "config": {"type": "path"},
}

#: Option pairs pptkit itself refuses together.
MUTUALLY_EXCLUSIVE = [["snapshot", "root"]]


def argument_spec(**own):
    """The common options plus a module's own."""
    spec = dict(COMMON_ARGUMENT_SPEC)
    spec.update(own)
    return spec


def _error_lines(stderr):
    """pptkit's one-line error contract: ``pptkit: MESSAGE`` and maybe ``hint: HINT``."""
    message = None
    hint = None
    for line in stderr.splitlines():
        if message is None and line.startswith("pptkit: "):
            message = line[len("pptkit: "):]
        elif message is not None and hint is None and line.startswith("hint: "):
            hint = line[len("hint: "):]
    return message, hint


def _document(stdout):
    """The JSON document pptkit printed, or None."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("schema"), str) else None


class Pptkit:
    """pptkit on the managed host, as the module's options describe it."""

    def __init__(self, module):
        self.module = module
        self.binary = self._find_binary(module.params["binary"])

    def _find_binary(self, binary):
        if "/" in binary:
            if os.path.isfile(binary) and os.access(binary, os.X_OK):
                return binary
            self.module.fail_json(
                msg="cannot run pptkit: %s is not an executable file" % binary,
                hint="set the binary option to the path of the pptkit launcher",
                rc=None,
            )
        found = self.module.get_bin_path(binary, opt_dirs=["/usr/local/bin"])
        if found is None:
            self.module.fail_json(
                msg="cannot run pptkit: %s not found in PATH or /usr/local/bin" % binary,
                hint="install pptkit on the host, or set the binary option to its launcher",
                rc=None,
            )
        return found

    def command(self, args):
        """The whole command line: pptkit, the command and its arguments, the global options."""
        p = self.module.params
        cmd = [self.binary] + list(args) + ["--json", "--no-color"]
        for option in ("snapshot", "root", "config"):
            if p.get(option) is not None:
                cmd += ["--" + option, p[option]]
        return cmd

    def run(self, args, operands=(), ok=(0,)):
        """Runs pptkit with ``--json``; returns (rc, document) or fails the task.

        ``operands`` go after ``--`` so that nothing in them is read as an option. An exit code
        outside ``ok`` fails the task with pptkit's message, hint and exit code (from its
        pptkit.error/1 document, or from its stderr when there is none: the launcher itself
        reports a missing deno that way).
        """
        cmd = self.command(args)
        if operands:
            cmd += ["--"] + list(operands)
        rc, stdout, stderr = self.module.run_command(
            cmd, check_rc=False, environ_update={"NO_COLOR": "1"}
        )
        doc = _document(stdout)
        error = doc is not None and doc["schema"] == "pptkit.error/1"
        if rc in ok and doc is not None and not error:
            return rc, doc
        details = {"rc": rc, "cmd": cmd, "stderr": stderr}
        if error:
            message, hint = doc.get("message"), doc.get("hint")
        else:
            message, hint = _error_lines(stderr)
            details["stdout"] = stdout
        if message is None:
            message = (
                "pptkit printed no JSON document (exit status %d)" % rc
                if rc in ok
                else "pptkit failed with exit status %d" % rc
            )
            tail = stderr.strip().splitlines()
            if tail:
                message += ": " + tail[0]
        self.module.fail_json(msg=message, hint=hint, **details)
        return None  # not reached: fail_json exits


def findings_of(check):
    """Every finding of a pptkit.check/1 document: with ``--vm``, the VM's verdict (which holds
    the host's and its devices'), else the host's and then each device's."""
    vm = check.get("vm")
    if vm:
        return list(vm.get("findings", []))
    found = list(check.get("host", {}).get("findings", []))
    for device in check.get("devices", []):
        found += device.get("findings", [])
    return found
