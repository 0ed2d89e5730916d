import { strict as assert } from "node:assert";

import { type Bundle, type Environment, type Interpreter, parseBundle, parseProbe, resolveServer } from "../resolve";

const bundle: Bundle = {
  lib: "/ext/server/lib",
  archls: "0.1.0",
  python: "3.11",
  implementation: "cpython",
  platform: "linux",
  machine: "x86_64",
};

function python(command: string, version: string, hasArchls = false, machine = "x86_64"): Interpreter {
  return { command, version, implementation: "cpython", platform: "linux", machine, hasArchls };
}

function environment(opts: { path?: Record<string, string>; pythons?: Record<string, Interpreter>; files?: string[] }): Environment {
  return {
    probe: async (command) => opts.pythons?.[command],
    which: async (name) => opts.path?.[name],
    executable: async (file) => (opts.files ?? []).includes(file),
  };
}

describe("finding the server", () => {
  it("runs archls.path when it is an executable", async () => {
    const plan = await resolveServer({ path: "/opt/archls" }, environment({ files: ["/opt/archls"] }), bundle);
    assert.ok(plan.kind === "path");
    assert.deepEqual([plan.command, ...plan.args], ["/opt/archls", "serve"]);
  });

  it("says so when archls.path is not an executable", async () => {
    const plan = await resolveServer({ path: "/nope/archls" }, environment({}), bundle);
    assert.equal(plan.kind, "error");
    assert.match(plan.kind === "error" ? plan.message : "", /archls\.path.*\/nope\/archls/);
  });

  it("runs archls.python -m archls when archls is installed there", async () => {
    const env = environment({ pythons: { "/venv/bin/python": python("/venv/bin/python", "3.12", true) } });
    const plan = await resolveServer({ python: "/venv/bin/python" }, env, bundle);
    assert.ok(plan.kind === "python");
    assert.deepEqual([plan.command, ...plan.args], ["/venv/bin/python", "-m", "archls", "serve"]);
    assert.deepEqual(plan.env, {});
  });

  it("runs the bundle on archls.python when archls is not installed there but the bundle fits", async () => {
    const env = environment({ pythons: { "/usr/bin/python3": python("/usr/bin/python3", "3.11") } });
    const plan = await resolveServer({ python: "/usr/bin/python3" }, env, bundle, { PYTHONPATH: "/mine" });
    assert.ok(plan.kind === "bundled");
    assert.equal(plan.command, "/usr/bin/python3");
    assert.equal(plan.env["PYTHONPATH"], "/ext/server/lib:/mine");
    assert.equal(plan.env["PYTHONNOUSERSITE"], "1");
  });

  it("explains why archls.python cannot serve", async () => {
    const env = environment({ pythons: { py: python("py", "3.13") } });
    const plan = await resolveServer({ python: "py" }, env, bundle);
    assert.ok(plan.kind === "error");
    assert.match(plan.message, /not installed in py/);
    assert.match(plan.message, /CPython 3\.11 on linux x86_64; this is Python 3\.13/);
    const broken = await resolveServer({ python: "nothing" }, environment({}), bundle);
    assert.ok(broken.kind === "error" && /does not run/.test(broken.message));
  });

  it("without settings, runs the bundle on the first fitting interpreter on PATH", async () => {
    const env = environment({
      path: { "python3.11": "/usr/bin/python3.11", python3: "/usr/local/bin/python3" },
      pythons: {
        "/usr/bin/python3.11": python("/usr/bin/python3.11", "3.11"),
        "/usr/local/bin/python3": python("/usr/local/bin/python3", "3.12"),
      },
    });
    const plan = await resolveServer({}, env, bundle);
    assert.ok(plan.kind === "bundled");
    assert.equal(plan.command, "/usr/bin/python3.11");
    assert.equal(plan.env["PYTHONPATH"], "/ext/server/lib");
  });

  it("skips interpreters of another version or machine", async () => {
    const env = environment({
      path: { "python3.11": "/a/python3.11", python3: "/b/python3" },
      pythons: { "/a/python3.11": python("/a/python3.11", "3.11", false, "aarch64"), "/b/python3": python("/b/python3", "3.11") },
    });
    const plan = await resolveServer({}, env, bundle);
    assert.ok(plan.kind === "bundled");
    assert.equal(plan.command, "/b/python3");
  });

  it("falls back to archls on PATH, then to advice", async () => {
    const onPath = await resolveServer({}, environment({ path: { archls: "/usr/local/bin/archls" } }), bundle);
    assert.ok(onPath.kind === "path");
    assert.equal(onPath.command, "/usr/local/bin/archls");
    const none = await resolveServer({}, environment({}), bundle);
    assert.ok(none.kind === "error");
    assert.match(none.message, /bundled server needs CPython 3\.11 on linux x86_64/);
    assert.match(none.message, /pip install archls/);
    const noBundle = await resolveServer({}, environment({}), undefined);
    assert.ok(noBundle.kind === "error" && !/bundled/.test(noBundle.message));
  });

  it("reads a probe's output and the bundle manifest", () => {
    const probe = parseProbe(
      "python3",
      'noise\n{"version": "3.11", "implementation": "cpython", "platform": "linux", "machine": "x86_64", "hasArchls": false}\n',
    );
    assert.deepEqual(probe, python("python3", "3.11"));
    assert.equal(parseProbe("python3", "Python 2.7"), undefined);
    assert.deepEqual(
      parseBundle("/lib", { archls: "0.1.0", python: "3.11", implementation: "cpython", platform: "linux", machine: "x86_64", wheels: [] }),
      { ...bundle, lib: "/lib" },
    );
    assert.equal(parseBundle("/lib", { python: "3.11" }), undefined);
    assert.equal(parseBundle("/lib", null), undefined);
  });
});
