"""Runs a Pulumi Python program under Pulumi's mocks (no engine, no cloud) and prints the
resources it registered as JSON. Usage: python pulumi_mocks.py PROGRAM_DIR

Run with the interpreter of the environment that holds the program's pinned requirements, so the
provider's real argument classes check every input the program passes.
"""

from __future__ import annotations

import json
import os
import runpy
import sys

import pulumi
from pulumi.runtime import config as pulumi_config


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[dict] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append({"type": args.typ, "name": args.name, "inputs": _plain(args.inputs)})
        # Attributes the program reads back from what it created, as the provider would set them.
        outputs = {
            "email": f"{args.name}@demo-project.iam.gserviceaccount.com",
            "uri": f"https://{args.name}.a.run.app",
            "host": "10.0.0.3",
            "port": 6379,
            "private_ip_address": "10.0.0.4",
            "discovery_endpoint": "10.0.0.5:11211",
            "secret_id": args.inputs.get("secretId", args.name),
            "name": args.inputs.get("name", args.name),
            **args.inputs,
        }
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def _plain(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def main() -> None:
    program = os.path.abspath(sys.argv[1])
    mocks = Mocks()
    pulumi_config.set_all_config({"gcp:project": "demo-project", "gcp:region": "europe-west1"}, [])
    pulumi.runtime.set_mocks(mocks, project="demo", stack="dev", preview=False)
    sys.path.insert(0, program)
    os.chdir(program)

    @pulumi.runtime.test
    def run_program():
        runpy.run_path(os.path.join(program, "__main__.py"), run_name="__main__")

    run_program()
    print(json.dumps(mocks.resources))


if __name__ == "__main__":
    main()
