#!/usr/bin/python
# -*- coding: utf-8 -*-
"""pptkit_check: pptkit check (or check --vm VM); fails on an error-level finding."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pptkit_check
short_description: Check a host, or one VM's devices, for bhyve PCI passthrough with pptkit
version_added: "0.1.0"
description:
  - Runs C(pptkit check --json) (the host's IOMMU, vmm from loader.conf, AMD-Vi, pptdevs
    syntax and limits, and every passthrough device), or with I(vm) C(pptkit check --vm VM
    --json) (the checks of C(pptkit hook prestart) for that VM, without taking its devices).
  - Fails the task when pptkit reports an error-level finding (pptkit's exit status 1), or,
    with I(vm), when only another running VM holding a device stands in the way (75). The
    findings are returned either way.
  - Never changes anything.
options:
  vm:
    description:
      - Check this VM's devices, read from its config (native, Hoster, vm-bhyve or CBSD),
        as C(pptkit hook prestart) would before it starts.
    type: str
extends_documentation_fragment:
  - pptkit.pptkit.common
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: freebsd
author:
  - pptkit developers
"""

EXAMPLES = r"""
- name: Is this host ready for passthrough?
  pptkit.pptkit.pptkit_check:

- name: May Hoster start vm1 now?
  pptkit.pptkit.pptkit_check:
    vm: vm1

- name: Report, but do not stop the play
  pptkit.pptkit.pptkit_check:
  register: pptkit_checked
  ignore_errors: true
"""

RETURN = r"""
ok:
  description: True when pptkit found no error-level finding (with I(vm), when the VM may start).
  returned: when pptkit ran
  type: bool
  sample: true
findings:
  description:
    - Every finding, host first, then each device's (with I(vm), the VM's verdict).
    - Each has C(level) (C(error), C(warn) or C(info)), C(code), C(message) and, when there
      is one, C(fix), C(device), C(file), C(line).
  returned: when pptkit ran
  type: list
  elements: dict
  sample:
    - level: warn
      code: no-flr
      message: "1/0/0 has no function level reset: ppt(4) falls back to a power-state reset"
      fix: acceptable for one long-lived guest; avoid moving it between VMs
      device: pci0:1:0:0
errors:
  description: The error-level findings only.
  returned: when pptkit ran
  type: list
  elements: dict
  sample: []
host:
  description: The C(host) object of pptkit's C(pptkit.check/1) document (C(iommu), C(findings)).
  returned: when pptkit ran
  type: dict
devices:
  description: The devices checked, each with C(selector), C(bsf), C(name), C(eligible), C(findings).
  returned: when pptkit ran
  type: list
  elements: dict
vm:
  description: With I(vm), the C(vm) object of C(pptkit.check/1) (C(name), C(source), C(file),
    C(devices), C(canStart), C(busy), C(findings)).
  returned: when I(vm) is set
  type: dict
rc:
  description: pptkit's exit status (0, 1 for an error-level finding, 75 for a busy device).
  returned: always
  type: int
  sample: 0
hint:
  description: On failure, pptkit's hint (what to do), or null.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pptkit.pptkit.plugins.module_utils.pptkit import (
    MUTUALLY_EXCLUSIVE,
    Pptkit,
    argument_spec,
    findings_of,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(vm={"type": "str"}),
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    vm = module.params["vm"]
    args = ["check"] + (["--vm", vm] if vm is not None else [])
    rc, doc = Pptkit(module).run(args, ok=(0, 1, 75) if vm is not None else (0, 1))
    findings = findings_of(doc)
    errors = [f for f in findings if f.get("level") == "error"]
    result = {
        "changed": False,
        "rc": rc,
        "ok": bool(doc.get("ok")),
        "findings": findings,
        "errors": errors,
        "host": doc.get("host"),
        "devices": doc.get("devices", []),
    }
    if vm is not None:
        result["vm"] = doc.get("vm")
    if rc == 0:
        module.exit_json(**result)
    what = "VM %s cannot start" % vm if vm is not None else "pptkit check failed"
    if errors:
        first = errors[0]
        msg = "%s: %d error%s: %s" % (
            what, len(errors), "" if len(errors) == 1 else "s", first.get("message"))
        hint = first.get("fix")
    else:
        msg, hint = "%s (exit status %d)" % (what, rc), None
    module.fail_json(msg=msg, hint=hint, **result)


if __name__ == "__main__":
    main()
