// The live preview beside the editor ("archls: Open Preview to the Side") and the comparison of two
// architectures ("archls: Compare with..."). The server draws everything (archls.previewPage,
// archls.previewData, archls.chaos, archls.compare); this module only moves messages between the
// webview and the server and reveals components in the editor.

import * as path from "node:path";
import * as vscode from "vscode";

import { DOCUMENT_SELECTOR } from "./selector";

/** Runs a server command (workspace/executeCommand); undefined when the server is not running. */
export type Execute = (command: string, args: unknown[]) => Promise<unknown>;

/** How long the text must rest before the preview is redrawn. */
const DEBOUNCE_MS = 250;

interface FromWebview {
  readonly type?: string;
  readonly id?: unknown;
  readonly fail?: unknown;
  readonly zones?: unknown;
  readonly file?: unknown;
  readonly line?: unknown;
  readonly character?: unknown;
  readonly end?: unknown;
  readonly href?: unknown;
}

export function previewable(document: vscode.TextDocument): boolean {
  return vscode.languages.match(DOCUMENT_SELECTOR.map((filter) => ({ ...filter })), document) > 0;
}

export class Preview implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private document: vscode.Uri | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly execute: Execute,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // The preview follows the active file, as Markdown's does.
        if (this.panel && editor && previewable(editor.document) && editor.document.uri.toString() !== this.document?.toString()) {
          void this.show(editor.document.uri);
        }
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (this.panel && event.document.uri.toString() === this.document?.toString()) {
          this.schedule();
        }
      }),
    );
  }

  /** Opens the preview beside the editor, or points the open one at `uri`. */
  async open(uri: vscode.Uri): Promise<void> {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        "archls.preview",
        "archls preview",
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [] },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.document = undefined;
      });
      this.panel.webview.onDidReceiveMessage((message: FromWebview) => void this.receive(message));
    } else {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
    }
    await this.show(uri);
  }

  private async show(uri: vscode.Uri): Promise<void> {
    const panel = this.panel;
    if (!panel) {
      return;
    }
    this.document = uri;
    panel.title = `Preview ${path.basename(uri.fsPath)}`;
    const answer = (await this.execute("archls.previewPage", [uri.toString(), { cspSource: panel.webview.cspSource }])) as
      | { html?: unknown }
      | undefined;
    if (typeof answer?.html === "string") {
      panel.webview.html = answer.html;
    }
  }

  private schedule(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => void this.redraw(), DEBOUNCE_MS);
  }

  private async redraw(): Promise<void> {
    const uri = this.document;
    if (!this.panel || !uri) {
      return;
    }
    try {
      const data = await this.execute("archls.previewData", [uri.toString()]);
      if (data && typeof data === "object" && uri.toString() === this.document?.toString()) {
        await this.panel.webview.postMessage({ type: "update", ...(data as object) });
      }
    } catch (error) {
      // A text that cannot be drawn yet (a syntax error mid-edit): keep the last picture, say why.
      await this.panel.webview.postMessage({ type: "update", error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async receive(message: FromWebview): Promise<void> {
    const uri = this.document;
    if (!this.panel || !uri) {
      return;
    }
    if (message.type === "chaos") {
      try {
        const result = await this.execute("archls.chaos", [{ uri: uri.toString(), fail: message.fail, zones: message.zones }]);
        await this.panel.webview.postMessage({ type: "chaos-result", id: message.id, result });
      } catch (error) {
        await this.panel.webview.postMessage({ type: "chaos-result", id: message.id, error: error instanceof Error ? error.message : String(error) });
      }
    } else if (message.type === "reveal" && typeof message.line === "number") {
      const start = new vscode.Position(message.line, typeof message.character === "number" ? message.character : 0);
      const length = typeof message.id === "string" ? message.id.length : 0;
      // The component's key as the server places it; else as many characters as its id.
      const end =
        Array.isArray(message.end) && message.end.length === 2 && message.end.every((n) => typeof n === "number")
          ? new vscode.Position(message.end[0] as number, message.end[1] as number)
          : start.translate(0, length);
      // The component's own file: a Terraform module or a set of manifests is drawn whole from any
      // of its files (same scheme and authority as the previewed file: a remote workspace's too).
      const target =
        typeof message.file === "string" && path.isAbsolute(message.file) ? uri.with({ path: vscode.Uri.file(message.file).path }) : uri;
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.toString());
      await vscode.window.showTextDocument(target, {
        viewColumn: editor?.viewColumn ?? vscode.ViewColumn.One,
        selection: new vscode.Range(start, end),
      });
    } else if (message.type === "open" && typeof message.href === "string") {
      const target = vscode.Uri.parse(message.href);
      if (target.scheme === "file") {
        await vscode.commands.executeCommand("vscode.open", target, { viewColumn: vscode.ViewColumn.Active });
      } else if (target.scheme === "https" || target.scheme === "http") {
        await vscode.env.openExternal(target);
      } else {
        this.log.warn(`not opening ${message.href}`);
      }
    }
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.panel?.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/** "archls: Compare with...": the active architecture against a file the user picks. */
export async function compareWith(execute: Execute, current: vscode.Uri): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.joinPath(current, ".."),
    openLabel: "Compare",
    title: `archls: compare ${path.basename(current.fsPath)} with`,
  });
  const other = picked?.[0];
  if (!other) {
    return;
  }
  const answer = (await execute("archls.compare", [current.toString(), other.toString(), "html"])) as { html?: unknown } | undefined;
  if (typeof answer?.html !== "string") {
    return;
  }
  const panel = vscode.window.createWebviewPanel(
    "archls.compare",
    `${path.basename(current.fsPath)} ↔ ${path.basename(other.fsPath)}`,
    vscode.ViewColumn.Beside,
    { enableScripts: false, localResourceRoots: [] },
  );
  panel.webview.html = answer.html;
}
