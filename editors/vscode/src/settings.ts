// The `archls.*` settings the server understands. The others (`path`, `python`, `trace`) are the
// extension's own: the server validates its settings strictly, so they must never reach it.

export const SERVER_KEYS = [
  "debounceMs",
  "select",
  "ignore",
  "severity",
  "region",
  "thresholds",
  "inlayHints",
  "codeLens",
  "diagnosticMode",
  "docsUrl",
  "maxFileBytes",
] as const;

export type ServerSettings = Partial<Record<(typeof SERVER_KEYS)[number], unknown>>;

/** What `WorkspaceConfiguration.inspect` tells about one setting (the parts used here). */
export interface Inspected {
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

/**
 * The server settings the user set somewhere (user, workspace or folder), the most specific winning.
 * Defaults are left out on purpose: the server merges editor settings over the project's
 * `.archls.yaml`, and a default such as `select: []` must not wipe the project's own choice.
 */
export function explicitServerSettings(inspect: (key: string) => Inspected | undefined): ServerSettings {
  const out: ServerSettings = {};
  for (const key of SERVER_KEYS) {
    const found = inspect(key);
    const value = found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

/** Settings whose change needs a new server process rather than a configuration notification. */
export const RESTART_KEYS = ["path", "python", "diagnosticMode"] as const;
