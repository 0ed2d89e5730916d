import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";

import { type Host, startServer } from "../launch";
import { type Bundle, parseBundle, type Plan } from "../resolve";

// The real scripts/launch.py in a small bundle whose "archls" only reports how it was started.
const PYTHON = "/usr/bin/python3.11";
const LAUNCHER = path.resolve(__dirname, "..", "..", "scripts", "launch.py");
const FAKE_MAIN = `import json, sys
print(json.dumps({"argv": sys.argv, "prefix": sys.prefix, "path": sys.path}), flush=True)
`;

async function makeBundle(root: string, pythons: Record<string, string>): Promise<Bundle> {
  const server = path.join(root, "server");
  await mkdir(path.join(server, "app", "archls"), { recursive: true });
  await mkdir(path.join(server, "lib"), { recursive: true });
  await writeFile(path.join(server, "app", "archls", "__init__.py"), "");
  await writeFile(path.join(server, "app", "archls", "__main__.py"), FAKE_MAIN);
  await cp(LAUNCHER, path.join(server, "launch.py"));
  const manifest = { archls: "0.1.0", target: "linux-x64", platform: "linux", machine: "x86_64", pythons, venv: [], requirements: [] };
  await writeFile(path.join(server, "manifest.json"), JSON.stringify(manifest));
  for (const folder of Object.values(pythons)) {
    await mkdir(path.join(server, folder), { recursive: true });
  }
  return parseBundle(server, path.join(server, "launch.py"), manifest)!;
}

function host(storage: string, log: string[], progress: string[]): Host {
  return {
    storage,
    env: process.env,
    log: (message) => log.push(message),
    progress: async (title, task) => {
      progress.push(title);
      return task((message) => progress.push(message));
    },
  };
}

async function firstLine(started: { process: import("node:child_process").ChildProcess }): Promise<Record<string, unknown>> {
  const out: string[] = [];
  for await (const chunk of started.process.stdout!) {
    out.push(String(chunk));
  }
  return JSON.parse(out.join("").split("\n")[0]!) as Record<string, unknown>;
}

describe("starting the bundled server through the launcher", function () {
  this.timeout(120_000);
  let root: string;

  before(function () {
    if (process.platform !== "linux" || process.arch !== "x64" || !existsSync(PYTHON)) {
      this.skip();
    }
  });
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "archls-launch-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("runs the folder for the interpreter's version, with no probe process first", async () => {
    const bundle = await makeBundle(root, { "3.11": "cp311", "3.12": "cp312" });
    const log: string[] = [];
    const plan: Plan = { kind: "plan", steps: [{ kind: "launcher", python: PYTHON, mode: "bundle", description: "bundled" }] };
    const started = await startServer(plan, bundle, host(path.join(root, "storage"), log, []));
    assert.match(started.description, /Python 3\.11, bundle/);
    const seen = await firstLine(started);
    assert.deepEqual((seen["argv"] as string[]).slice(1), ["serve"]);
    const searched = seen["path"] as string[];
    assert.deepEqual(searched.slice(0, 3), ["app", "cp311", "lib"].map((f) => path.join(bundle.root, f)));
    // started without site (-S): nothing of the interpreter's site-packages, none of their .pth files run
    assert.ok(!searched.some((p) => /(site|dist)-packages/.test(p)), searched.join(" "));
    assert.deepEqual(log, []);
  });

  it("keeps what the server writes on stderr until the client reads it", async () => {
    const bundle = await makeBundle(root, { "3.11": "cp311" });
    // The server writes at once; the client starts reading stderr only later, once it is loaded.
    const chatty = "import sys\nsys.stderr.write('one\\n'); sys.stderr.flush()\nsys.stderr.write('two\\n')\n";
    await writeFile(path.join(bundle.root, "app", "archls", "__main__.py"), chatty);
    const plan: Plan = { kind: "plan", steps: [{ kind: "launcher", python: PYTHON, mode: "bundle", description: "bundled" }] };
    const started = await startServer(plan, bundle, host(path.join(root, "storage"), [], []));
    const closed = new Promise((resolve) => started.process.on("close", resolve));
    started.process.stdout!.resume();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server has written and stopped
    const err: string[] = [];
    started.process.stderr!.on("data", (chunk) => err.push(String(chunk)));
    await closed;
    await new Promise((resolve) => setImmediate(resolve)); // the held lines are handed over a tick later
    assert.equal(err.join(""), "one\ntwo\n");
  });

  it("tries the next interpreter when one is refused, then makes a private environment", async () => {
    const bundle = await makeBundle(root, { "3.12": "cp312" });
    const log: string[] = [];
    const progress: string[] = [];
    const plan: Plan = {
      kind: "plan",
      steps: [
        { kind: "launcher", python: PYTHON, mode: "bundle", description: "bundled on 3.11" },
        { kind: "launcher", python: path.join(root, "no-such-python"), mode: "bundle", description: "bundled on a missing one" },
        { kind: "venv", python: PYTHON, description: "private environment" },
      ],
    };
    const storage = path.join(root, "storage");
    const started = await startServer(plan, bundle, host(storage, log, progress));
    assert.match(log[0] ?? "", /no compiled parts for Python 3\.11 \(it has: 3\.12\)/);
    assert.match(log[1] ?? "", /no-such-python/);
    assert.match(progress[0] ?? "", /private environment for Python 3\.11/);
    const seen = await firstLine(started);
    const environment = path.join(storage, "environments", "cpython-3.11-linux-x86_64");
    assert.equal(seen["prefix"], environment);
    assert.ok((seen["path"] as string[]).at(-1) === path.join(bundle.root, "lib"));
    // the environment's site-packages (its compiled parts), which the launcher adds itself under -S
    assert.ok((seen["path"] as string[]).some((p) => p.startsWith(environment) && p.endsWith("site-packages")));
    const stamp = JSON.parse(await readFile(path.join(environment, "archls-environment.json"), "utf8")) as { archls: string };
    assert.equal(stamp.archls, "0.1.0");
    // The second start reuses the environment without a progress notification.
    const again = await startServer({ kind: "plan", steps: [plan.steps[2]!] }, bundle, host(storage, [], progress));
    assert.equal((await firstLine(again))["prefix"], environment);
    assert.equal(progress.filter((p) => p.startsWith("archls:")).length, 1);
  });

  it("says what it tried and what to install when nothing starts", async () => {
    const bundle = await makeBundle(root, { "3.13": "cp313" });
    const plan: Plan = { kind: "plan", steps: [{ kind: "launcher", python: PYTHON, mode: "bundle", description: "bundled archls on python3" }] };
    await assert.rejects(startServer(plan, bundle, host(path.join(root, "storage"), [], [])), (error: Error) => {
      assert.match(error.message, /bundled archls on python3: this package has no compiled parts for Python 3\.11/);
      assert.match(error.message, /Install CPython 3\.11, 3\.12 or 3\.13/);
      return true;
    });
  });
});
