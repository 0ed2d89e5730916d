// What starts the server's process: the folder groups, the bundle's manifest, the plan, the first spawn
// and the cold start timing lines. It needs nothing but `vscode` and Node, so the entry (extension.ts)
// runs it before loading the language client library: Python imports the server while Node loads the
// client. Everything here is synchronous up to the spawn (the PATH lookups and the manifest are a few
// file system calls), so no other extension's work can come between activation and the spawn.

import { loadStarted } from "./clock";
import { accessSync, constants, readFileSync, realpathSync, statSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

import { groupFolders, type Group } from "./folders";
import { type Host, type Started, startServer } from "./launch";
import { type Bundle, type Environment, type Failure, parseBundle, type Plan, resolveServer, type Step } from "./resolve";

/** Whether the cold start timing lines show at the default log level: when ARCHLS_TIMING is set (it
 * reaches the server too, which then writes its own); otherwise they are debug lines. */
const TIMING = Boolean(process.env["ARCHLS_TIMING"]);
let timed = false;

/** A cold start timing line in the output: milliseconds since the extension's code started loading,
 * and this machine's clock in epoch milliseconds (the server's timing lines carry the same). Only
 * until the first diagnostics (`last`): a restart is not a cold start. */
export function mark(output: vscode.LogOutputChannel, what: string, last = false): void {
  if (timed) {
    return;
  }
  timed = last;
  const now = Date.now();
  const line = `timing: +${now - loadStarted} ms ${what} [${now}]`;
  if (TIMING) {
    output.info(line);
  } else {
    output.debug(line);
  }
}

/** The workspace folders grouped by the settings that choose the server process. */
export function currentGroups(): Group[] {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => {
    const config = vscode.workspace.getConfiguration("archls", folder);
    return { uri: folder.uri.toString(), name: folder.name, path: config.get<string>("path"), python: config.get<string>("python") };
  });
  const config = vscode.workspace.getConfiguration("archls");
  return groupFolders(folders, { path: config.get<string>("path"), python: config.get<string>("python") });
}

/** The bundled server's manifest, from the extension's folder. */
export function readBundle(extension: string): Bundle | undefined {
  const root = path.join(extension, "server");
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as unknown;
    return parseBundle(root, path.join(root, "launch.py"), manifest);
  } catch {
    return undefined;
  }
}

/** PATH lookups done synchronously (answered as settled promises): resolving a plan then takes no
 * turn of the event loop, where other extensions' activation would run first. */
export function systemEnvironment(): Environment {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, process.platform === "win32" ? constants.F_OK : constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  return {
    which: async (name) => {
      const dirs = (process.env["PATH"] ?? "").split(path.delimiter).filter(Boolean);
      const names = process.platform === "win32" ? [`${name}.exe`, `${name}.cmd`, name] : [name];
      for (const dir of dirs) {
        for (const candidate of names) {
          const full = path.join(dir, candidate);
          if (executable(full)) {
            return full;
          }
        }
      }
      return undefined;
    },
    executable: async (file) => executable(file),
    realpath: async (file) => {
      try {
        return realpathSync(file);
      } catch {
        return file;
      }
    },
  };
}

export function host(storage: string | Promise<string>, output: vscode.LogOutputChannel): Host {
  return {
    storage,
    env: process.env,
    log: (message) => output.info(message),
    mark: (what) => mark(output, what),
    progress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) =>
          task((message) => progress.report({ message })),
        ),
      ),
  };
}

/** One group's plan and its first process (or why it could not start). */
export interface FirstStart {
  readonly plan: Plan | Failure;
  readonly started?: Promise<Started>;
}

export interface Early {
  /** The extension's folder. */
  readonly extension: string;
  /** The folder for private environments, known once VS Code has made the extension's context. */
  readonly storage: Promise<string>;
  readonly output: vscode.LogOutputChannel;
  /** The groups the processes were started for: used only while the folders still group the same way. */
  readonly groups: Group[];
  readonly bundle: Bundle | undefined;
  readonly starts: readonly FirstStart[];
}

export function describePlan(plan: Plan | Failure): string {
  return plan.kind === "plan" ? plan.steps.map((s: Step) => s.description).join(" | ") : plan.message;
}

/** Starts each group's server process at once, from the extension's folder alone (no context yet:
 * the private environment's folder, `storage`, is awaited only if that fallback is needed). The spawns
 * are made before this returns to the event loop. */
export async function startEarly(extension: string, storage: Promise<string>): Promise<Early> {
  const output = vscode.window.createOutputChannel("archls", { log: true });
  mark(output, "the extension's entry loaded");
  const groups = currentGroups();
  const bundle = readBundle(extension);
  const env = systemEnvironment();
  const starts = await Promise.all(
    groups.map(async (group): Promise<FirstStart> => {
      const plan = await resolveServer({ path: group.path, python: group.python }, env, bundle);
      mark(output, `plan: ${describePlan(plan)}`);
      if (plan.kind !== "plan") {
        return { plan };
      }
      const started = startServer(plan, bundle, host(storage, output));
      started.catch(() => undefined); // reported where it is awaited (client.ts)
      return { plan, started };
    }),
  );
  return { extension, storage, output, groups, bundle, starts };
}
