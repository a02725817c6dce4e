# -*- coding: utf-8 -*-
"""The options every pptkit module takes: where pptkit is and which host it reads."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  binary:
    description:
      - The pptkit launcher to run, a path or a command name looked up in C(PATH).
      - In a build tree it is C(dist/pptkit); an installed pptkit is C(/usr/local/bin/pptkit).
    type: str
    default: pptkit
  snapshot:
    description:
      - Read the host from this snapshot directory instead of the live system (C(--snapshot DIR));
        loader.conf writes go to C(DIR/root).
      - For tests, and for hosts that are inspected offline.
      - Mutually exclusive with I(root).
    type: path
  root:
    description:
      - Run the live commands but read and write files under this directory (C(--root DIR)),
        for jails and tests.
      - Mutually exclusive with I(snapshot).
    type: path
  config:
    description:
      - pptkit's configuration file (C(--config FILE)); pptkit's default is
        C(/usr/local/etc/pptkit/pptkit.jsonc).
    type: path
requirements:
  - pptkit on the managed host (the C(pptkit) launcher and its bundle, and deno)
notes:
  - The modules run pptkit with C(--json) and read its documents; a failure of pptkit is
    reported with pptkit's own message in C(msg), its hint in C(hint) and its exit code in
    C(rc) (see pptkit(8), EXIT STATUS).
  - The modules are in the action group C(pptkit.pptkit.pptkit), so C(module_defaults) can
    set I(binary), I(snapshot), I(root) and I(config) once for all of them.
"""
