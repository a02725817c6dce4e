#!/usr/bin/python
# -*- coding: utf-8 -*-
"""pptkit_reservation: pptkit reserve / release, with check mode, diff mode and exact changed."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pptkit_reservation
short_description: Reserve PCI devices for bhyve passthrough in loader.conf with pptkit
version_added: "0.1.0"
description:
  - With I(state=present), runs C(pptkit reserve --json DEVICES...), which adds the devices to
    C(pptdevs) (spilling into C(pptdevs2) and C(pptdevs3)) in C(/boot/loader.conf), adds
    C(vmm_load="YES") when it is missing and, on AMD hosts, C(hw.vmm.amdvi.enable=1). The
    previous file is kept as C(loader.conf.bak); the write is atomic and under a lock.
  - With I(state=absent), runs C(pptkit release --json DEVICES...), which takes them out.
  - C(changed) is pptkit's own, exact - a second identical run reports no change.
  - In check mode pptkit runs with C(--dry-run) and writes nothing; in diff mode the task shows
    the change of each loader file (before and after).
  - pptkit refuses bridges, devices outside PCI domain 0, devices that cannot be passed
    through, and releasing a device that a running VM holds; the task then fails with
    pptkit's message in C(msg), its hint in C(hint) and its exit status in C(rc), and no file
    is changed.
options:
  devices:
    description:
      - The devices, in any spelling pptkit takes - C(1/0/0), C(pci0:1:0:0), C(ppt0@pci0:1:0:0:)
        or a device name such as C(ppt0).
      - An empty list changes nothing.
    type: list
    elements: str
    required: true
  state:
    description:
      - C(present) reserves the devices for ppt(4) at boot (C(pptkit reserve)), C(absent)
        gives them back to their host drivers at boot (C(pptkit release)).
    type: str
    choices: [present, absent]
    default: present
  now:
    description:
      - Also (un)bind the devices at once with C(devctl) (C(--now)), so that no reboot is
        needed; needs vmm.ko loaded. Not done in check mode.
    type: bool
    default: false
  loader_conf:
    description:
      - Edit this file instead of C(/boot/loader.conf) (C(--loader-conf FILE)), for example a
        C(/boot/loader.conf.d/*.conf) drop-in.
    type: path
extends_documentation_fragment:
  - pptkit.pptkit.common
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: freebsd
author:
  - pptkit developers
"""

EXAMPLES = r"""
- name: The guide's GPU and its audio function, at the next boot
  pptkit.pptkit.pptkit_reservation:
    devices: [1/0/0, 1/0/1]
  register: gpu

- name: Reboot when the reservation waits for one
  ansible.builtin.reboot:
  when: gpu.reboot_needed

- name: Give the NIC back to the host now and at boot
  pptkit.pptkit.pptkit_reservation:
    devices: [3/0/0]
    state: absent
    now: true

- name: Keep pptkit's lines in a drop-in
  pptkit.pptkit.pptkit_reservation:
    devices: [3/0/0]
    loader_conf: /boot/loader.conf.d/ppt.conf
"""

RETURN = r"""
changed:
  description: pptkit's C(changed) - a loader file is (in check mode, would be) written, or
    I(now) changed a driver.
  returned: always
  type: bool
reboot_needed:
  description: The change is (would be) written and was not applied at runtime by I(now) -
    it takes effect at the next boot.
  returned: always
  type: bool
  sample: true
files:
  description: One entry per loader file written (in check mode, that would be); empty when
    nothing changes.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file, as a host path.
      type: str
      sample: /boot/loader.conf
    diff:
      description: The unified diff, as C(pptkit reserve) prints it.
      type: str
    backup:
      description: Where the previous file is kept; null when it did not exist.
      type: str
      sample: /boot/loader.conf.bak
added:
  description: Devices (B/S/F) newly put into pptdevs.
  returned: when pptkit ran
  type: list
  elements: str
  sample: [1/0/0, 1/0/1]
removed:
  description: Devices (B/S/F) taken out of pptdevs.
  returned: when pptkit ran
  type: list
  elements: str
  sample: []
reserved:
  description: Every device the kernel will reserve at the next boot, with this change.
  returned: when pptkit ran
  type: list
  elements: str
  sample: [1/0/0, 1/0/1]
bound:
  description: Devices (un)bound at runtime by I(now).
  returned: when pptkit ran
  type: list
  elements: str
  sample: []
findings:
  description: pptkit's warnings about the change (a file the loader does not read, a broken
    pptdevs line elsewhere, ...), each with C(level), C(code), C(message) and maybe C(fix).
  returned: when pptkit ran
  type: list
  elements: dict
loader_conf:
  description: The loader file pptkit edited.
  returned: when pptkit ran
  type: str
  sample: /boot/loader.conf
rc:
  description: pptkit's exit status (pptkit(8), EXIT STATUS) - 65 bad input, 75 a running VM
    holds the device or the file is locked, 73 the file cannot be written.
  returned: failure
  type: int
  sample: 65
hint:
  description: On failure, pptkit's hint (what to do), or null.
  returned: failure
  type: str
  sample: "separate devices with single spaces: \"1/0/0 1/0/1\", then run pptkit again"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pptkit.pptkit.plugins.module_utils.pptkit import (
    MUTUALLY_EXCLUSIVE,
    Pptkit,
    argument_spec,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            devices={"type": "list", "elements": "str", "required": True},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
            now={"type": "bool", "default": False},
            loader_conf={"type": "path"},
        ),
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    p = module.params
    devices = [d.strip() for d in p["devices"] if d is not None and d.strip() != ""]
    if not devices:
        module.exit_json(changed=False, reboot_needed=False, files=[])
    pptkit = Pptkit(module)
    args = ["reserve" if p["state"] == "present" else "release"]
    if module.check_mode:
        args.append("--dry-run")
    if p["now"]:
        args.append("--now")
    if p["loader_conf"] is not None:
        args += ["--loader-conf", p["loader_conf"]]
    _, doc = pptkit.run(args, operands=devices)

    files = doc.get("files", [])
    result = {
        "changed": bool(doc.get("changed")),
        "reboot_needed": bool(doc.get("rebootNeeded")),
        "files": [
            {"path": f.get("path"), "diff": f.get("diff"), "backup": f.get("backup")}
            for f in files
        ],
        "added": doc.get("added", []),
        "removed": doc.get("removed", []),
        "reserved": doc.get("reserved", []),
        "bound": doc.get("bound", []),
        "findings": doc.get("findings", []),
        "loader_conf": doc.get("file"),
    }
    if module._diff:
        result["diff"] = [
            {
                "before_header": f.get("path"),
                "after_header": f.get("path"),
                "before": f.get("before", ""),
                "after": f.get("after", ""),
            }
            for f in files
        ]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
