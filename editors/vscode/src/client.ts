// The archls extension once its server's process is started (startup.ts): the language client for the
// files archls reads, and the command palette entries and the status bar item around the server's own
// commands. Loaded by extension.ts after the first spawn.

import type { ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";

import {
  exportArguments,
  generateArguments,
  generatedFileName,
  parseGenerated,
  newFromSpecArguments,
  parseSpecs,
  parseSummary,
  parseTargets,
  scaffoldArguments,
  SERVER_COMMANDS,
  statusText,
  writtenFiles,
  writtenFolder,
} from "./commands";
import { loadStarted } from "./clock";
import { startServer, type Started } from "./launch";
import { commandDocument, type Group, groupIndexFor, groupSelector } from "./folders";
import { type Bundle, type Plan, resolveServer } from "./resolve";
import { currentGroups, describePlan, type Early, type FirstStart, host, mark as markIn, readBundle, systemEnvironment } from "./startup";
import { ARCH_GLOB, DOCUMENT_SELECTOR, exportable } from "./selector";
import { compareWith, Preview, previewable } from "./preview";
import { explicitServerSettings, RESTART_KEYS, type ServerSettings } from "./settings";

/** One server per group of workspace folders sharing `archls.path` / `archls.python` (see folders.ts). */
interface Server {
  readonly group: Group;
  client?: LanguageClient;
  /** The process the client talks to, killed on stop should it not exit when asked. */
  process?: ChildProcess;
  state: ServerState;
  detail?: string;
}
let servers: Server[] = [];
let groups: Group[] = [];
let output: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let starting: Promise<void> | undefined;
/** Whether the server runs, shown in the language status of the files archls reads and, once it has
 * stopped, in the status bar too: a dismissed popup must not be the only sign. */
let serverState: vscode.LanguageStatusItem;
let stoppedItem: vscode.StatusBarItem;
/** When each document was opened (after the extension started): the cold start figure in the output. */
const openedAt = new Map<string, number>();
let firstDiagnosticsLogged = false;
/** Documents the server has published diagnostics for: the status bar asks for a document's summary
 * only after them, so that request never competes with the document's first audit. */
const published = new Set<string>();

/** The first start's processes, spawned before this module was loaded; used once. */
let early: Early | undefined;
/** Where the extension is, and the folder for private environments once VS Code has made the context. */
let place!: { readonly extension: string; readonly storage: Promise<string> };
/** The first start, begun before activation (undefined until then). */
let firstStart: Promise<void> | undefined;

function mark(what: string, last = false): void {
  markIn(output, what, last);
}

/** Starts the first clients as soon as this module is loaded (extension.ts), before VS Code has made
 * the extension's context: in a window that is still starting, making it waits for the workbench,
 * which took up to a second here while the server had long been ready. A client needs nothing of the
 * context; the folder for private environments comes with it (`Early.storage`), awaited only by that
 * fallback. Once only. */
export function begin(started: Early): void {
  if (firstStart) {
    return;
  }
  place = { extension: started.extension, storage: started.storage };
  early = started;
  output = started.output;
  status = vscode.window.createStatusBarItem("archls.summary", vscode.StatusBarAlignment.Right, 100);
  status.name = "archls";
  status.command = "archls.client.showOutput";
  serverState = vscode.languages.createLanguageStatusItem("archls.server", DOCUMENT_SELECTOR.map((f) => ({ ...f })));
  serverState.name = "archls server";
  stoppedItem = vscode.window.createStatusBarItem("archls.server", vscode.StatusBarAlignment.Right, 99);
  stoppedItem.name = "archls server";
  stoppedItem.command = "archls.client.restart";
  stoppedItem.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
  firstStart = start();
}

export async function activate(context: vscode.ExtensionContext, started: Early): Promise<void> {
  begin(started);
  context.subscriptions.push(output, status, serverState, stoppedItem);
  // Commands show in the palette only once the extension runs (see the `when` clauses in package.json).
  void vscode.commands.executeCommand("setContext", "archls.active", true);

  const command = (id: string, run: () => Promise<unknown>): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          await run();
        } catch (error) {
          report(`${id} failed`, error);
        }
      }),
    );
  };
  command("archls.client.export", () => exportCommand(false));
  command("archls.client.exportAll", () => exportCommand(true));
  command("archls.client.scaffold", scaffoldCommand);
  command("archls.client.generate", generateCommand);
  command("archls.client.restart", restart);
  command("archls.client.showOutput", async () => output.show(true));
  command("archls.client.openExample", () => openExample(context));
  const preview = new Preview(serverCommand, output);
  context.subscriptions.push(preview);
  command("archls.client.openPreviewToSide", async () => {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !previewable(document)) {
      void vscode.window.showWarningMessage("archls: open an architecture, compose, Terraform or Kubernetes file first.");
      return;
    }
    await preview.open(document.uri);
  });
  command("archls.client.newFromSpec", newFromSpecCommand);
  command("archls.client.compare", async () => {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !previewable(document)) {
      void vscode.window.showWarningMessage("archls: open the architecture to compare first.");
      return;
    }
    await compareWith(serverCommand, document.uri);
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("archls")) {
        return;
      }
      if (RESTART_KEYS.some((key) => event.affectsConfiguration(`archls.${key}`))) {
        await restart();
      } else {
        // Each server asks its folders for their settings again (workspace/configuration).
        for (const server of servers) {
          if (server.client?.state === State.Running) {
            await server.client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
          }
        }
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(async () => {
      // A folder added or removed may need a server of its own, or leave one with nothing to serve.
      if (JSON.stringify(currentGroups()) !== JSON.stringify(groups)) {
        await restart();
      }
    }),
    vscode.window.onDidChangeActiveTextEditor(() => scheduleStatus()),
    vscode.workspace.onDidOpenTextDocument((document) => openedAt.set(document.uri.toString(), Date.now())),
    vscode.languages.onDidChangeDiagnostics((event) => {
      const active = vscode.window.activeTextEditor?.document.uri.toString();
      if (active && event.uris.some((uri) => uri.toString() === active)) {
        scheduleStatus();
      }
    }),
    { dispose: () => void stop() },
  );

  await firstStart;
}

export async function deactivate(): Promise<void> {
  await stop();
}

// --- the server -------------------------------------------------------------------------------

type ServerState = "starting" | "running" | "stopped";

/** The state item shows the worst of the servers' states: a stopped one must not hide behind a running one. */
function refreshState(): void {
  const worst = (["stopped", "starting", "running"] as const).find((state) => servers.some((s) => s.state === state)) ?? "starting";
  const details = servers.filter((s) => s.state === worst).map((s) => (servers.length > 1 ? `${label(s.group)}: ` : "") + (s.detail ?? ""));
  showState(worst, details.join("; ") || undefined);
}

function setState(server: Server, state: ServerState, detail?: string): void {
  server.state = state;
  server.detail = detail;
  refreshState();
}

function label(group: Group): string {
  return group.folders.map((f) => f.name).join(", ") || "workspace";
}

function showState(state: ServerState, detail?: string): void {
  const restart = { title: "Restart", command: "archls.client.restart" };
  serverState.busy = state === "starting";
  serverState.severity = state === "stopped" ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
  serverState.text = `archls: ${state}`;
  serverState.detail = detail;
  serverState.command = state === "starting" ? undefined : restart;
  if (state === "stopped") {
    stoppedItem.text = "$(error) archls stopped";
    stoppedItem.tooltip = `${detail ?? "The archls server is not running."} Click to restart it.`;
    stoppedItem.show();
  } else {
    stoppedItem.hide();
  }
}

async function start(): Promise<void> {
  groups = currentGroups();
  servers = groups.map((group) => ({ group, state: "starting" as ServerState }));
  refreshState();
  if (servers.length > 1) {
    output.info(`one server per folder group: ${groups.map(label).join(" | ")}`);
  }
  // The processes spawned before the client library loaded serve this first start if the folders still
  // group the same way; a restart plans and spawns again.
  const spawned = early && JSON.stringify(early.groups) === JSON.stringify(groups) ? early : undefined;
  const bundle = spawned ? spawned.bundle : readBundle(place.extension);
  early = undefined;
  starting = Promise.all(servers.map((server, index) => startOne(server, index, bundle, spawned?.starts[index]))).then(
    () => undefined,
  );
  await starting;
  scheduleStatus();
}

async function startOne(
  server: Server,
  index: number,
  bundle: Bundle | undefined,
  spawned: FirstStart | undefined,
): Promise<void> {
  const group = server.group;
  const folderUri = group.folders[0] ? vscode.Uri.parse(group.folders[0].uri) : undefined;
  const folder = folderUri ? vscode.workspace.getWorkspaceFolder(folderUri) : undefined;
  const where = servers.length > 1 ? ` for ${label(group)}` : "";
  const failed = async (message: string): Promise<void> => {
    output.error(`${message}${where}`);
    setState(server, "stopped", message);
    const choice = await vscode.window.showErrorMessage(`archls${where}: ${message}`, "Open settings", "Show output");
    if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "archls.");
    } else if (choice === "Show output") {
      output.show(true);
    }
  };
  try {
    const plan = spawned?.plan ?? (await resolveServer({ path: group.path, python: group.python }, systemEnvironment(), bundle));
    if (!spawned) {
      mark(`plan: ${describePlan(plan)}`);
    }
    if (plan.kind === "error") {
      return failed(plan.message);
    }
    // The first process is started here, so a plan that cannot start says so once, clearly; the client
    // runs the plan again only when it restarts a server that stopped.
    let first: Started;
    try {
      first = await (spawned?.started ?? startServer(plan, bundle, host(place.storage, output)));
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
    output.info(`starting the server${where}: ${first.description}`);
    mark("the server's process answered; creating the client");
    const created = new LanguageClient(
      servers.length > 1 ? `archls-${index}` : "archls",
      servers.length > 1 ? `archls (${label(group)})` : "archls",
      serverOptions(server, plan, bundle, first.process),
      clientOptions(folder, index),
    );
    if (servers.length > 1 && index > 0) {
      // VS Code takes one handler per command id: the first group's client registers the server's
      // commands (code lenses and code actions call them) and sends each to the server of the
      // document it names (middleware.executeCommand in clientOptions); the others register none.
      const feature = created.getFeature(ExecuteCommandRequest.method) as unknown as { register: (data: unknown) => void };
      feature.register = () => undefined;
    }
    server.client = created;
    created.onDidChangeState((event) => {
      if (server.client !== created) {
        return; // an old client stopping during a restart says nothing about the new one
      }
      if (event.newState === State.Running) {
        setState(server, "running", first.description);
      } else if (event.newState === State.Stopped) {
        setState(server, "stopped", "The archls server stopped; see the archls output.");
      } else {
        setState(server, "starting");
      }
    });
    mark("client starting");
    await created.start();
    mark("initialize answered");
    setState(server, "running", first.description);
  } catch (error) {
    report(`the server${where} did not start`, error);
    setState(server, "stopped", `The archls server did not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function stop(): Promise<void> {
  const running = servers;
  servers = [];
  status?.hide();
  await Promise.all(
    running.map(async (server) => {
      const client = server.client;
      server.client = undefined;
      if (client && client.state !== State.Stopped) {
        await client.stop().catch((error: unknown) => output.warn(`stopping the server: ${String(error)}`));
      }
      // The client stops a process it did not spawn only by asking it to exit.
      server.process?.kill();
      server.process = undefined;
    }),
  );
}

async function restart(): Promise<void> {
  await starting?.catch(() => undefined);
  await stop();
  await start();
}

/** The running client for a document (the active editor's when none is given): the server of its
 * folder's group. */
async function ready(document?: vscode.Uri | string): Promise<LanguageClient | undefined> {
  await starting?.catch(() => undefined);
  const client = clientFor(document);
  if (client?.state === State.Running) {
    return client;
  }
  void vscode.window.showErrorMessage("archls: the server is not running; see the archls output.", "Show output").then(
    (choice) => choice && output.show(true),
  );
  return undefined;
}

function clientFor(document?: vscode.Uri | string): LanguageClient | undefined {
  const uri = document ?? vscode.window.activeTextEditor?.document.uri;
  return servers[groupIndexFor(groups, uri?.toString())]?.client;
}

function serverOptions(
  server: Server,
  plan: Plan,
  bundle: Bundle | undefined,
  first: ChildProcess,
): ServerOptions {
  let pending: ChildProcess | undefined = first;
  return async () => {
    const child = pending ?? (await startServer(plan, bundle, host(place.storage, output))).process;
    pending = undefined;
    server.process = child;
    return child;
  };
}

function clientOptions(folder: vscode.WorkspaceFolder | undefined, index: number): LanguageClientOptions {
  const group = groups[index];
  return {
    documentSelector: groupSelector(groups, index) as LanguageClientOptions["documentSelector"],
    // A group of one folder among several: that server is told of its own folder only.
    workspaceFolder: groups.length > 1 && group?.folders.length === 1 ? folder : undefined,
    outputChannel: output,
    // The settings of each folder this server serves, as workspace/configuration would answer: the
    // server's first audits need not wait for that round trip (it asks again after a change).
    initializationOptions: () => ({
      settings: settingsFor(folder?.uri),
      folderSettings: Object.fromEntries(
        group && group.folders.length > 0
          ? group.folders.map((f) => [f.uri, settingsFor(vscode.Uri.parse(f.uri))])
          : [["", settingsFor(undefined)]],
      ),
    }),
    middleware: {
      executeCommand: async (command, args, next) => {
        const target = groups.length > 1 ? clientFor(commandDocument(args)) : undefined;
        if (target && target !== servers[index]?.client && target.state === State.Running) {
          return target.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
        }
        return next(command, args);
      },
      handleDiagnostics: (uri, diagnostics, next) => {
        if (!firstDiagnosticsLogged && diagnostics.length > 0) {
          firstDiagnosticsLogged = true;
          const file = vscode.workspace.asRelativePath(uri);
          mark(`first diagnostics for ${file}`, true);
          const now = Date.now();
          const opened = openedAt.get(uri.toString());
          output.info(
            opened !== undefined && opened > loadStarted
              ? `first diagnostics for ${file}: ${now - opened} ms after it was opened`
              : `first diagnostics for ${file}: ${now - loadStarted} ms after the extension started loading (it was open already)`,
          );
        }
        next(uri, diagnostics);
        const key = uri.toString();
        if (!published.has(key)) {
          published.add(key);
          if (vscode.window.activeTextEditor?.document.uri.toString() === key) {
            scheduleStatus();
          }
        }
      },
      workspace: {
        // VS Code would answer with every archls.* setting, defaults included; the server wants only its
        // own keys, and only those the user set, so a project's .archls.yaml is not overridden by defaults.
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) {
            return answer;
          }
          return answer.map((value: unknown, index: number) => {
            const item = params.items[index];
            if (item?.section !== "archls") {
              return value;
            }
            return settingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined);
          });
        },
      },
    },
  };
}

function settingsFor(scope: vscode.Uri | undefined): ServerSettings {
  const config = vscode.workspace.getConfiguration("archls", scope);
  return explicitServerSettings((key) => config.inspect(key));
}

function serverHas(running: LanguageClient, command: string): boolean {
  return running.initializeResult?.capabilities.executeCommandProvider?.commands.includes(command) ?? false;
}

/** The running server (of ``document``'s folder when given) if it knows ``command``; otherwise
 * undefined, and the user is told when the server is running but cannot ``what``. */
async function readyFor(command: string, what: string, document?: vscode.Uri): Promise<LanguageClient | undefined> {
  const running = await ready(document);
  if (running && !serverHas(running, command)) {
    missing(command, what);
    return undefined;
  }
  return running;
}

/** The architecture file a command works on (asked for when none is active), and its folder's
 * server, which must know ``command``; undefined when the user cancelled or the server cannot. */
async function fileAndServer(command: string, what: string): Promise<{ file: vscode.Uri; running: LanguageClient } | undefined> {
  // The file first: in a multi-root workspace, its folder's server does the work.
  const file = await pickArchitecture();
  if (!file) {
    return undefined;
  }
  const running = await readyFor(command, what, file);
  return running ? { file, running } : undefined;
}

async function execute(running: LanguageClient, command: string, args: unknown[]): Promise<unknown> {
  return running.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
}

/** A server command for the preview, sent to the server of the document it names; fails when that
 * server is not running. */
async function serverCommand(command: string, args: unknown[]): Promise<unknown> {
  const running = await ready(commandDocument(args));
  if (!running) {
    throw new Error("the archls server is not running");
  }
  return execute(running, command, args);
}

function report(what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  output.error(`${what}: ${message}`);
  void vscode.window.showErrorMessage(`archls: ${what}: ${message}`);
}

// --- commands ---------------------------------------------------------------------------------

/** The architecture file a command works on: the active one, else one picked from the workspace. */
async function pickArchitecture(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme === "file" && exportable(active.uri.fsPath)) {
    if (active.isDirty) {
      await active.save();
    }
    return active.uri;
  }
  const found = await vscode.workspace.findFiles(ARCH_GLOB, "**/node_modules/**", 200);
  if (found.length === 1) {
    return found[0];
  }
  if (found.length === 0) {
    void vscode.window.showWarningMessage("archls: open an architecture file (*.arch.yaml) first.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: "archls: which architecture?" },
  );
  return picked?.uri;
}

function missing(command: string, what: string): void {
  void vscode.window.showWarningMessage(`archls: this archls server cannot ${what} yet (it has no ${command} command).`);
}

async function exportCommand(all: boolean): Promise<void> {
  const picked = await fileAndServer(SERVER_COMMANDS.export, "export");
  if (!picked) {
    return;
  }
  const { file, running } = picked;
  let target = "all";
  if (!all) {
    const targets = serverHas(running, SERVER_COMMANDS.exportTargets)
      ? parseTargets(await execute(running, SERVER_COMMANDS.exportTargets, [file.toString()]))
      : [];
    const picked =
      targets.length > 0
        ? (
            await vscode.window.showQuickPick(
              targets.map((t) => ({ label: t.id, description: t.description })),
              { title: "archls: export to", placeHolder: "target", matchOnDescription: true },
            )
          )?.label
        : await vscode.window.showInputBox({ title: "archls: export to", prompt: "The export target (see `archls export --list`)" });
    if (!picked) {
      return;
    }
    target = picked;
  }
  const folder = await pickFolder(file, all ? "Export all here" : "Export here");
  if (folder === null) {
    return;
  }
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `archls: exporting ${target}` },
    () => execute(running, SERVER_COMMANDS.export, exportArguments(file.toString(), target, folder?.toString())),
  );
  await announce(`exported ${target}`, answer, folder);
}

/** "archls: New from spec...": pick a spec of the library, choose the new file, open it. */
async function newFromSpecCommand(): Promise<void> {
  const running = await readyFor(SERVER_COMMANDS.newFromSpec, "start from a spec");
  if (!running) {
    return;
  }
  const specs = parseSpecs(await execute(running, SERVER_COMMANDS.specs, []));
  const picked = await vscode.window.showQuickPick(
    specs.map((s) => ({ label: s.name, description: s.title, detail: `${s.summary} [${s.tags.join(", ")}]` })),
    { title: "archls: new architecture from spec", placeHolder: "ride-hailing, payments, search...", matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) {
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: `archls: new architecture from ${picked.label}`,
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${picked.label}.arch.yaml`) : undefined,
    filters: { Architecture: ["arch.yaml"] },
  });
  if (!target) {
    return;
  }
  const answer = (await execute(running, SERVER_COMMANDS.newFromSpec, newFromSpecArguments(picked.label, target.toString()))) as {
    uri?: string;
  };
  if (typeof answer?.uri === "string") {
    await vscode.window.showTextDocument(vscode.Uri.parse(answer.uri));
  }
}

/** "archls: Generate architecture...": a description in an input box, the file to write (in the
 * workspace), then the server's `archls.generate`, whose progress VS Code shows. */
async function generateCommand(): Promise<void> {
  const running = await readyFor(SERVER_COMMANDS.generate, "generate");
  if (!running) {
    return;
  }
  const description = await vscode.window.showInputBox({
    title: "archls: generate an architecture",
    prompt: "Describe the system: what it does, its scale and its needs",
    placeHolder: "a ride-sharing app like Uber: 100K concurrent riders, matching under 3 s, 99.99%",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Describe the system first"),
  });
  if (!description) {
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  let target: vscode.Uri | undefined;
  if (folder) {
    target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, generatedFileName(description)),
      filters: { Architecture: ["arch.yaml", "yaml"] },
      title: "archls: save the generated architecture",
    });
    if (!target) {
      return;
    }
  }
  // The save dialog has asked about replacing an existing file already.
  const args = [{ ...(generateArguments(description, target?.toString())[0] as object), overwrite: true }];
  const answer = parseGenerated(
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: "archls: generating an architecture" },
      () => execute(running, SERVER_COMMANDS.generate, args),
    ),
  );
  if (!answer) {
    void vscode.window.showErrorMessage("archls: the server did not return an architecture");
    return;
  }
  const document = answer.uri
    ? await vscode.workspace.openTextDocument(vscode.Uri.parse(answer.uri))
    : await vscode.workspace.openTextDocument({ language: "yaml", content: answer.text });
  await vscode.window.showTextDocument(document);
  void vscode.window.showInformationMessage(`archls: ${answer.summary}`);
}

async function scaffoldCommand(): Promise<void> {
  const picked = await fileAndServer(SERVER_COMMANDS.scaffold, "scaffold a repository");
  if (!picked) {
    return;
  }
  const { file, running } = picked;
  const folder = await pickFolder(file, "Scaffold here");
  if (folder === null) {
    return;
  }
  const answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "archls: scaffolding the repository" },
    () => execute(running, SERVER_COMMANDS.scaffold, scaffoldArguments(file.toString(), folder?.toString())),
  );
  await announce("scaffolded the repository", answer, folder);
}

/** undefined: the server's default folder (beside the architecture file); null: cancelled. */
async function pickFolder(file: vscode.Uri, label: string): Promise<vscode.Uri | undefined | null> {
  const folder = vscode.Uri.joinPath(file, "..");
  const relative = vscode.workspace.asRelativePath(folder, false);
  const beside = relative === folder.fsPath || relative === "" ? "the workspace folder" : relative;
  const choice = await vscode.window.showQuickPick(
    [
      { label: "Default folder", description: `beside the architecture file (${beside})`, choose: false },
      { label: "Choose a folder...", description: "", choose: true },
    ],
    { title: "archls: output folder" },
  );
  if (!choice) {
    return null;
  }
  if (!choice.choose) {
    return undefined;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.joinPath(file, ".."),
    openLabel: label,
  });
  return picked?.[0] ?? null;
}

async function announce(what: string, answer: unknown, chosen: vscode.Uri | undefined): Promise<void> {
  const files = writtenFiles(answer);
  const folder = writtenFolder(answer) ?? chosen?.fsPath;
  output.info(`${what}: ${files.length} file${files.length === 1 ? "" : "s"}${folder ? ` in ${folder}` : ""}`);
  for (const file of files) {
    output.info(`  ${file}`);
  }
  const message = `archls: ${what}: wrote ${files.length} file${files.length === 1 ? "" : "s"}${folder ? ` to ${vscode.workspace.asRelativePath(folder)}` : ""}.`;
  const first = files[0];
  const choice = await vscode.window.showInformationMessage(message, ...(first ? ["Open"] : []));
  if (choice === "Open" && first) {
    const uri = first.includes("://") ? vscode.Uri.parse(first) : vscode.Uri.file(first);
    await vscode.window.showTextDocument(uri);
  }
}

// --- status bar -------------------------------------------------------------------------------

let statusTimer: NodeJS.Timeout | undefined;

function scheduleStatus(): void {
  if (statusTimer) {
    clearTimeout(statusTimer);
  }
  statusTimer = setTimeout(() => void updateStatus(), 250);
}

async function updateStatus(): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  const running = document ? clientFor(document.uri) : undefined;
  const pushed = document && vscode.workspace.getConfiguration("archls", document.uri).get("diagnosticMode") !== "pull";
  if (document && pushed && !published.has(document.uri.toString())) {
    return; // its diagnostics will come first, and schedule this again
  }
  if (
    !document ||
    !running ||
    running.state !== State.Running ||
    !serverHas(running, SERVER_COMMANDS.summary) ||
    vscode.languages.match(DOCUMENT_SELECTOR.map((f) => ({ ...f })), document) === 0
  ) {
    status.hide();
    return;
  }
  try {
    const summary = parseSummary(await execute(running, SERVER_COMMANDS.summary, [document.uri.toString()]));
    if (!summary || vscode.window.activeTextEditor?.document !== document) {
      status.hide();
      return;
    }
    status.text = statusText(summary);
    status.tooltip = "archls: grade and estimated monthly cost of this file's architecture";
    status.show();
  } catch (error) {
    output.debug(`summary of ${document.uri.toString()}: ${String(error)}`);
    status.hide();
  }
}

// --- walkthrough ------------------------------------------------------------------------------

/** Copies the bundled example into the first workspace folder (a scratch folder without one) and opens
 * it; an existing file of that name is opened as it is, never overwritten. */
async function openExample(context: vscode.ExtensionContext): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? context.globalStorageUri.fsPath;
  await mkdir(folder, { recursive: true });
  const target = path.join(folder, "example.arch.yaml");
  try {
    await copyFile(context.asAbsolutePath(path.join("examples", "example.arch.yaml")), target, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw error;
    }
  }
  await vscode.window.showTextDocument(vscode.Uri.file(target));
}
