#!/usr/bin/python
# -*- coding: utf-8 -*-
"""pptkit_facts: the host's passthrough facts, from pptkit list --all and pptkit check."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pptkit_facts
short_description: Gather bhyve PCI passthrough facts with pptkit
version_added: "0.1.0"
description:
  - Runs C(pptkit list --all --json) and C(pptkit check --json) on a FreeBSD host and
    returns what they say as the C(pptkit) fact.
  - C(ansible_facts.pptkit.host) is the host part of pptkit's C(pptkit.inventory/1) document
    (IOMMU, vmm, AMD-Vi, reboot pending, FreeBSD release, host findings) plus C(ok), the
    verdict of C(pptkit check).
  - C(ansible_facts.pptkit.devices) lists every PCI device as the inventory's device objects
    (C(bsf), C(vendorId), C(class), C(driver), C(status), C(usedBy), C(eligible),
    C(findings), ...), with pptkit's own field names.
  - Never changes anything; an error-level finding is data here (use
    M(pptkit.pptkit.pptkit_check) to fail on one).
extends_documentation_fragment:
  - pptkit.pptkit.common
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: freebsd
author:
  - pptkit developers
"""

EXAMPLES = r"""
- name: Read the passthrough facts
  pptkit.pptkit.pptkit_facts:

- name: Free NVIDIA GPUs of this host
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.pptkit.devices
         | selectattr('vendorId', 'equalto', '10de')
         | selectattr('class', 'equalto', 'display')
         | selectattr('usedBy', 'equalto', [])
         | map(attribute='bsf') | list }}

- name: Facts of a captured host (pptkit snapshot DIR), on any machine
  pptkit.pptkit.pptkit_facts:
    binary: /opt/pptkit/dist/pptkit
    snapshot: /var/tmp/host1
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to C(ansible_facts).
  returned: always
  type: complex
  contains:
    pptkit:
      description: What pptkit knows about the host.
      type: complex
      returned: always
      contains:
        host:
          description:
            - The C(host) object of pptkit's C(pptkit.inventory/1) document, plus C(ok).
            - C(iommu) (C(vt-d), C(amd-vi), C(none) or C(unknown)), C(vmmLoaded),
              C(vmmFromLoader), C(amdviEnabled), C(rebootPending), C(release), C(findings).
          type: dict
          returned: always
          sample:
            iommu: vt-d
            vmmLoaded: true
            vmmFromLoader: true
            amdviEnabled: null
            rebootPending: false
            release: 14.1-RELEASE
            findings: []
            ok: true
        devices:
          description: Every PCI device, as pptkit's inventory device objects (pptkit(8), DESIGN 6).
          type: list
          elements: dict
          returned: always
          sample:
            - selector: pci0:1:0:0
              bsf: 1/0/0
              domain: 0
              bus: 1
              slot: 0
              function: 0
              name: vgapci1
              driver: vgapci
              class: display
              vendorId: 10de
              model: GP107GL [Quadro P600]
              status: not-reserved
              usedBy: []
              eligible: true
              findings: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pptkit.pptkit.plugins.module_utils.pptkit import (
    MUTUALLY_EXCLUSIVE,
    Pptkit,
    argument_spec,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    pptkit = Pptkit(module)
    _, inventory = pptkit.run(["list", "--all"])
    # check exits 1 when it finds an error-level finding: that is a fact, not a failure here.
    _, check = pptkit.run(["check"], ok=(0, 1))
    host = dict(inventory.get("host", {}))
    host["ok"] = bool(check.get("ok"))
    facts = {"host": host, "devices": inventory.get("devices", [])}
    module.exit_json(changed=False, ansible_facts={"pptkit": facts})


if __name__ == "__main__":
    main()
