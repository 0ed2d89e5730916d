import { strict as assert } from "node:assert";

import { type Bundle, type Environment, parseBundle, parseLauncherState, type Plan, resolveServer, venvName } from "../resolve";

const bundle: Bundle = {
  root: "/ext/server",
  launcher: "/ext/server/launch.py",
  archls: "0.1.0",
  target: "linux-x64",
  pythons: ["3.11", "3.12", "3.13"],
  venv: ["pydantic-core==2.50.5", "pyyaml==6.0.4"],
  requirements: ["pydantic>=2.7,<3", "PyYAML>=6.0.1,<7"],
};

function environment(opts: { path?: Record<string, string>; files?: string[]; links?: Record<string, string> }): Environment {
  return {
    which: async (name) => opts.path?.[name],
    executable: async (file) => (opts.files ?? []).includes(file),
    realpath: async (file) => opts.links?.[file] ?? file,
  };
}

function steps(plan: Plan | { kind: "error"; message: string }): string[] {
  assert.ok(plan.kind === "plan", plan.kind === "error" ? plan.message : "");
  return plan.steps.map((s) => (s.kind === "path" ? `path ${s.command}` : s.kind === "launcher" ? `launcher ${s.python} ${s.mode}` : `${s.kind} ${s.python}`));
}

describe("finding the server", () => {
  it("runs archls.path when it is an executable", async () => {
    const plan = await resolveServer({ path: "/opt/archls" }, environment({ files: ["/opt/archls"] }), bundle);
    assert.deepEqual(steps(plan), ["path /opt/archls"]);
  });

  it("says so when archls.path is not an executable", async () => {
    const plan = await resolveServer({ path: "/nope/archls" }, environment({}), bundle);
    assert.equal(plan.kind, "error");
    assert.match(plan.kind === "error" ? plan.message : "", /archls\.path.*\/nope\/archls/);
  });

  it("on archls.python, prefers an archls installed there, then the bundle, then a private environment", async () => {
    const plan = await resolveServer({ python: "/venv/bin/python" }, environment({}), bundle);
    assert.deepEqual(steps(plan), ["launcher /venv/bin/python installed", "venv /venv/bin/python"]);
    const noBundle = await resolveServer({ python: "/venv/bin/python" }, environment({}), undefined);
    assert.deepEqual(steps(noBundle), ["module /venv/bin/python"]);
  });

  it("without settings, tries every Python on PATH once, then archls on PATH, then a private environment", async () => {
    const env = environment({
      path: { python3: "/usr/bin/python3", python: "/usr/bin/python3", "python3.12": "/usr/bin/python3.12", archls: "/usr/local/bin/archls" },
    });
    const plan = await resolveServer({}, env, bundle);
    assert.deepEqual(steps(plan), [
      "launcher /usr/bin/python3 bundle",
      "launcher /usr/bin/python3.12 bundle",
      "path /usr/local/bin/archls",
      "venv /usr/bin/python3",
      "venv /usr/bin/python3.12",
    ]);
  });

  it("tries one interpreter once, whatever names lead to it", async () => {
    const env = environment({
      path: { python3: "/usr/bin/python3", "python3.11": "/usr/bin/python3.11", "python3.12": "/usr/bin/python3.12" },
      links: { "/usr/bin/python3": "/usr/bin/python3.11" },
    });
    assert.deepEqual(steps(await resolveServer({}, env, bundle)), [
      "launcher /usr/bin/python3 bundle",
      "launcher /usr/bin/python3.12 bundle",
      "venv /usr/bin/python3",
      "venv /usr/bin/python3.12",
    ]);
  });

  it("says what to install when nothing is found", async () => {
    const none = await resolveServer({}, environment({}), bundle);
    assert.ok(none.kind === "error");
    assert.match(none.message, /No Python/);
    assert.match(none.message, /CPython 3\.11, 3\.12 or 3\.13/);
    assert.match(none.message, /pip install archls/);
    const noBundle = await resolveServer({}, environment({}), undefined);
    assert.ok(noBundle.kind === "error" && !/No Python/.test(noBundle.message));
  });

  it("reads the launcher's first line and the bundle manifest", () => {
    const refused = parseLauncherState(
      '{"archls": "unsupported", "reason": "this package has no compiled parts for Python 3.14", "python": "3.14", "implementation": "cpython", "platform": "linux", "machine": "x86_64"}',
    );
    assert.equal(refused?.archls, "unsupported");
    assert.match(refused?.reason ?? "", /3\.14/);
    assert.equal(refused && venvName(refused), "cpython-3.14-linux-x86_64");
    assert.equal(parseLauncherState('{"archls": "starting", "folder": "cp312"}')?.folder, "cp312");
    assert.equal(parseLauncherState("Traceback (most recent call last):"), undefined);
    assert.equal(parseLauncherState('{"other": 1}'), undefined);
    assert.deepEqual(
      parseBundle("/ext/server", "/ext/server/launch.py", {
        archls: "0.1.0",
        target: "linux-x64",
        pythons: { "3.13": "cp313", "3.11": "cp311", "3.12": "cp312" },
        venv: bundle.venv,
        requirements: bundle.requirements,
      }),
      bundle,
    );
    assert.equal(parseBundle("/x", "/x/launch.py", { target: "linux-x64" }), undefined);
    assert.equal(parseBundle("/x", "/x/launch.py", null), undefined);
  });
});
