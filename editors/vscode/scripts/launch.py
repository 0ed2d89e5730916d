"""Start the archls server bundled in the editor extension on the interpreter running this file.

The extension runs ``python -I -S launch.py [--deps=MODE] serve`` at once, without asking the
interpreter anything first. With ``-S`` nothing of the interpreter's site-packages is read (their
``.pth`` files can import a good deal at every start); the modes that use them add them
(``site.main``). Before importing anything this file writes one JSON line on stderr, which the
extension reads to know what happened:

- ``{"archls": "starting", ...}``: the server follows on stdin/stdout;
- ``{"archls": "unsupported", "reason": ...}`` and exit code 3: this package has nothing for this
  interpreter (another CPython version, PyPy, another platform); the extension tries another
  interpreter or a private environment.

MODE is ``bundle`` (the folder of compiled parts for the running CPython version, see manifest.json),
``installed`` (an archls installed in this interpreter if there is one, else the bundle), or
``environment`` (the compiled parts a private virtual environment installed, with the bundled
pure-Python parts after them). Runs on any Python 3: it must be able to refuse on any interpreter.
"""

# This file must run, and refuse clearly, on any Python 3 a user has: no f-strings or newer syntax.
# ruff: noqa: UP031, UP036

import json
import os
import sys

UNSUPPORTED = 3
HERE = os.path.dirname(os.path.abspath(__file__))


def machine(name=None):
    if name is None:
        # os.uname where there is one: the platform module costs a few ms of every start
        name = os.uname().machine if hasattr(os, "uname") else __import__("platform").machine()
    name = name.lower()
    return {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(name, name)


def describe(manifest):
    return {
        "python": "%d.%d" % sys.version_info[:2],
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "machine": machine(),
        "executable": sys.executable,
        "target": manifest.get("target"),
        "pythons": sorted(manifest.get("pythons", {})),
    }


def say(state, manifest, **extra):
    sys.stderr.write(json.dumps(dict({"archls": state}, **describe(manifest), **extra)) + "\n")
    sys.stderr.flush()


def refuse(manifest, reason):
    say("unsupported", manifest, reason=reason)
    sys.exit(UNSUPPORTED)


def bundle_folder(manifest):
    """The folder of compiled parts for this interpreter, or the reason there is none."""
    version = "%d.%d" % sys.version_info[:2]
    if sys.implementation.name != "cpython":
        return None, "the bundled server needs CPython, not %s" % sys.implementation.name
    if manifest.get("platform") not in ("any", sys.platform) or manifest.get("machine") not in (
        "any",
        machine(),
    ):
        return None, "this package is built for %s" % manifest.get("target")
    folder = manifest.get("pythons", {}).get(version)
    if folder is None:
        supported = ", ".join(sorted(manifest.get("pythons", {}))) or "none"
        return None, "this package has no compiled parts for Python %s (it has: %s)" % (version, supported)
    return folder, None


def installed():
    """Whether archls is importable from this interpreter's own site-packages."""
    import importlib.util

    return importlib.util.find_spec("archls") is not None


def main():
    args = sys.argv[1:]
    mode = "bundle"
    if args and args[0].startswith("--deps="):
        mode = args.pop(0).split("=", 1)[1]
    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    if sys.version_info < (3, 11):
        refuse(manifest, "archls needs Python 3.11 or newer")
    if mode in ("installed", "environment") and sys.flags.no_site:
        import site

        site.main()  # the interpreter's (or the environment's) site-packages, as without -S
    if mode == "installed" and installed():
        say("starting", manifest, source="installed")
        paths = []
    elif mode == "environment":
        say("starting", manifest, source="environment")
        # The environment's site-packages (already on sys.path) hold the compiled parts; lib/ comes last
        # so that, where the environment installed every dependency, its own copies win.
        paths = [os.path.join(HERE, "app")]
        sys.path.append(os.path.join(HERE, "lib"))
    else:
        folder, reason = bundle_folder(manifest)
        if folder is None:
            refuse(manifest, reason)
        say("starting", manifest, source="bundle", folder=folder)
        # Compiled parts first, then the pure-Python ones, both before anything the interpreter has.
        paths = [os.path.join(HERE, "app"), os.path.join(HERE, folder), os.path.join(HERE, "lib")]
    sys.path[:0] = paths
    sys.argv = ["archls", *args]
    import runpy

    runpy.run_module("archls", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
