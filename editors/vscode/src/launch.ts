// Starting the server process from a plan (resolve.ts): each step is tried in order until one starts.
// The launcher (scripts/launch.py) writes one JSON line on stderr before importing anything, so a
// step that cannot serve is known within one short process and the next one is tried. The last resort
// is a private virtual environment in the extension's storage, made once per interpreter.
// No `vscode` import: the progress notification and the log are passed in, so this runs under mocha.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";

import { type Bundle, INSTALL_HINT, type LauncherState, parseLauncherState, type Plan, type Step, venvName } from "./resolve";

export interface Host {
  /** Where private environments live (the extension's global storage; known once VS Code has made the
   * extension's context, which may come after the first spawn). */
  readonly storage: string | Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  log(message: string): void;
  /** A cold start timing line (see extension.ts). */
  mark?(what: string): void;
  /** Runs a long task under a visible progress notification. */
  progress<T>(title: string, task: (report: (message: string) => void) => Promise<T>): Promise<T>;
}

export interface Started {
  readonly process: ChildProcess;
  readonly description: string;
}

/** Tries the plan's steps in order; throws an Error saying what each step found and what to install. */
export async function startServer(plan: Plan, bundle: Bundle | undefined, host: Host): Promise<Started> {
  const failures: string[] = [];
  const states = new Map<string, LauncherState>();
  for (const step of plan.steps) {
    try {
      const started = await tryStep(step, bundle, host, states);
      if (typeof started === "string") {
        failures.push(`${step.description}: ${started}`);
        host.log(`not started: ${step.description}: ${started}`);
        continue;
      }
      return started;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${step.description}: ${message}`);
      host.log(`not started: ${step.description}: ${message}`);
    }
  }
  const tried = failures.length ? ` Tried: ${failures.join("; ")}.` : "";
  throw new Error(`the archls server could not start.${tried} ${INSTALL_HINT}`);
}

async function tryStep(step: Step, bundle: Bundle | undefined, host: Host, states: Map<string, LauncherState>): Promise<Started | string> {
  switch (step.kind) {
    case "path":
      return { process: spawn(step.command, ["serve"], { env: host.env }), description: step.description };
    case "module":
      return { process: spawn(step.python, ["-m", "archls", "serve"], { env: host.env }), description: step.description };
    case "launcher": {
      if (!bundle) {
        return "no bundled server";
      }
      host.mark?.(`spawning the launcher on ${step.python}`);
      const result = await launcher(step.python, bundle, step.mode, host.env);
      host.mark?.(`the launcher on ${step.python} answered`);
      if ("process" in result) {
        return { process: result.process, description: `${step.description} (Python ${result.state.python}, ${result.state.source})` };
      }
      if (result.state) {
        states.set(step.python, result.state);
      }
      return result.reason;
    }
    case "venv": {
      if (!bundle) {
        return "no bundled server";
      }
      let state = states.get(step.python);
      if (!state) {
        // Not asked yet in this start: its refusal (or its start, should the bundle fit) tells its version.
        const tried = await launcher(step.python, bundle, "bundle", host.env);
        if ("process" in tried) {
          return { process: tried.process, description: `${step.description} (Python ${tried.state.python}, bundle)` };
        }
        if (!tried.state) {
          return tried.reason;
        }
        state = tried.state;
      }
      if (state.reason?.includes("needs Python 3.11")) {
        return state.reason; // too old for archls itself: no environment helps
      }
      const python = await privateEnvironment(step.python, state, bundle, host);
      const result = await launcher(python, bundle, "environment", host.env);
      if ("process" in result) {
        return { process: result.process, description: `${step.description} (${path.dirname(path.dirname(python))})` };
      }
      return result.reason;
    }
  }
}

type LaunchResult = { process: ChildProcess; state: LauncherState } | { reason: string; state?: LauncherState };

/** Runs the launcher and waits for its first stderr line (written before any import). */
export function launcher(python: string, bundle: Bundle, mode: string, env: NodeJS.ProcessEnv): Promise<LaunchResult> {
  return new Promise<LaunchResult>((resolve) => {
    // -S: the bundle needs nothing of the interpreter's site-packages, and their .pth files may import
    // a good deal at every start; the launcher adds them itself where it needs them (--deps=installed
    // or environment). Not `detached`: in a session of its own (Linux autogroup scheduling) the server
    // reached its first diagnostics 0.3 s sooner on the 2-core test machine, and VS Code drew them 0.3 s
    // later, the protocol import that follows them no longer yielding to the editor (docs/editors.md).
    const child = spawn(python, ["-I", "-S", bundle.launcher, `--deps=${mode}`, "serve"], { env });
    let buffered = "";
    let done = false;
    const finish = (result: LaunchResult): void => {
      if (!done) {
        done = true;
        child.stderr.off("data", onData);
        resolve(result);
      }
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("utf8");
      const newline = buffered.indexOf("\n");
      if (newline < 0) {
        return;
      }
      const state = parseLauncherState(buffered.slice(0, newline));
      if (state?.archls === "starting") {
        // What the server writes next belongs in the output channel, but the client reads stderr only
        // once it is loaded and started: until then it is held here and handed to the first reader
        // (a paused stream would not do: Node drains the pipes of a process that exits).
        hold(child.stderr, buffered.slice(newline + 1));
        finish({ process: child, state });
      } else {
        finish({ reason: state?.reason ?? buffered.trim().split("\n")[0] ?? "it did not start", state });
      }
    };
    child.stderr.on("data", onData);
    child.on("error", (error) => finish({ reason: error.message }));
    // "close", not "exit": the line the launcher wrote before stopping has been read by then.
    child.on("close", (code) => finish({ reason: `${lastLine(buffered) || "it stopped"} (exit code ${code})` }));
  });
}

/** Keeps what `stream` emits (after `first`) until another "data" listener comes, then gives it all to it. */
function hold(stream: NodeJS.ReadableStream, first: string): void {
  const held: Buffer[] = first ? [Buffer.from(first)] : [];
  const keep = (chunk: Buffer): void => {
    held.push(chunk);
  };
  stream.on("data", keep);
  stream.on("newListener", function reader(event: string | symbol) {
    if (event !== "data") {
      return;
    }
    stream.off("newListener", reader);
    // After the reader is added (this runs before), and before any further chunk is read.
    queueMicrotask(() => {
      stream.off("data", keep);
      for (const chunk of held.splice(0)) {
        stream.emit("data", chunk);
      }
    });
  });
}

function lastLine(text: string): string {
  return text.trim().split(/\r?\n/).pop() ?? "";
}

/** The Python of a private environment holding what the bundle lacks for this interpreter: made once
 * (`python -m venv`, then pip installs the compiled parts pinned to the bundled pure ones, or failing
 * that every dependency) and reused while its stamp matches the bundle. */
export async function privateEnvironment(python: string, state: LauncherState, bundle: Bundle, host: Host): Promise<string> {
  const folder = path.join(await host.storage, "environments", venvName(state));
  const windows = state.platform === "win32";
  const venvPython = path.join(folder, windows ? "Scripts" : "bin", windows ? "python.exe" : "python");
  const stamp = path.join(folder, "archls-environment.json");
  const wanted = JSON.stringify({ archls: bundle.archls, venv: bundle.venv, requirements: bundle.requirements });
  if ((await readFile(stamp, "utf8").catch(() => "")) === wanted) {
    return venvPython;
  }
  const title = `archls: setting up a private environment for Python ${state.python ?? ""} (once; it takes a minute)`;
  return host.progress(title, async (report) => {
    await rm(folder, { recursive: true, force: true });
    await mkdir(path.dirname(folder), { recursive: true });
    report(`creating ${folder}`);
    host.log(`creating a private environment with ${python} in ${folder}`);
    // pip only when there is something to install (it is most of the time venv takes).
    const nothing = bundle.venv.length === 0 && bundle.requirements.length === 0;
    await run(python, ["-m", "venv", ...(nothing ? ["--without-pip"] : []), folder], host, "python -m venv");
    const pip = [venvPython, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"];
    try {
      if (bundle.venv.length > 0) {
        report(`installing ${bundle.venv.join(", ")}`);
        await run(pip[0]!, [...pip.slice(1), "--only-binary=:all:", ...bundle.venv], host, "pip install");
      }
    } catch (error) {
      host.log(`the pinned compiled parts do not install (${String(error)}); installing every dependency instead`);
      report("installing archls's dependencies");
      await run(pip[0]!, [...pip.slice(1), "--prefer-binary", ...bundle.requirements], host, "pip install");
    }
    await writeFile(stamp, wanted, "utf8");
    return venvPython;
  });
}

function run(command: string, args: string[], host: Host, what: string): Promise<void> {
  host.log(`${command} ${args.join(" ")}`);
  return new Promise<void>((resolve, reject) => {
    execFile(command, args, { env: host.env, timeout: 10 * 60 * 1000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (stdout.trim()) {
        host.log(stdout.trim());
      }
      if (error) {
        const detail = lastLine(stderr) || lastLine(stdout) || error.message;
        reject(new Error(`${what} failed: ${detail}`));
      } else {
        resolve();
      }
    });
  });
}
