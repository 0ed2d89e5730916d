// The extension's entry. It starts the server's process as soon as VS Code loads it (startup.ts needs
// only `vscode` and Node), before VS Code has made the extension's context and before the language
// client library is loaded (client.ts): Python imports the server meanwhile, so the largest parts of a
// cold start run side by side instead of one after the other. The clients start once the library is
// loaded, whether or not the context is made by then; activate() adds what needs it.

import { loadStarted } from "./clock";
import * as path from "node:path";
import type * as vscode from "vscode";

import type * as Client from "./client";
import { loadCompiled } from "./compiled";
import { type Early, mark, startEarly } from "./startup";

void loadStarted; // imported first, so the timing lines count from the start of loading

let storage: (folder: string) => void = () => undefined;
const early: Promise<Early> = startEarly(
  path.join(__dirname, ".."),
  new Promise<string>((resolve) => (storage = resolve)),
);
let client: typeof Client | undefined;
/** When the client library's code cache is written: after the first diagnostics and the requests that
 * follow them, so that it holds what they compiled, and out of their way. */
const KEEP_CODE_AFTER_MS = 10_000;

/** The client library, most of the extension's loading time: loaded once the server's process is
 * spawned, while VS Code is still making the extension's context (a wait for the workbench, in which
 * this thread is free), rather than after it; the clients start right after (client.begin). It is
 * compiled with V8's code cache (compiled.ts), written once the first start is over. */
function loadClient(started: Early): typeof Client {
  if (!client) {
    const loaded = loadCompiled(path.join(__dirname, "client.js"), module);
    client = loaded.exports as typeof Client;
    mark(started.output, `the client library loaded${loaded.cached ? " (from its code cache)" : ""}`);
    setTimeout(() => loaded.keep(), KEEP_CODE_AFTER_MS).unref();
  }
  return client;
}
void early.then(
  (started) => setImmediate(() => loadClient(started).begin(started)),
  () => undefined, // activate() reports it
);

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  storage(context.globalStorageUri.fsPath);
  const started = await early;
  mark(started.output, "activate (VS Code made the extension's context)");
  await loadClient(started).activate(context, started);
}

export async function deactivate(): Promise<void> {
  await client?.deactivate();
}
