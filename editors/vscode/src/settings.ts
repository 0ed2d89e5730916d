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

/** The assistant's settings (`archls.ai.*`), sent to the server as one `ai` object. */
export const AI_KEYS = ["enabled", "apiKey", "model", "inlineCompletion", "inlineDebounceMs", "completionSuggestions"] as const;

export type ServerSettings = Partial<Record<(typeof SERVER_KEYS)[number] | "ai", unknown>>;

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
  const explicit = (key: string): unknown => {
    const found = inspect(key);
    return found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
  };
  for (const key of SERVER_KEYS) {
    const value = explicit(key);
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  const ai: Record<string, unknown> = {};
  for (const key of AI_KEYS) {
    const value = explicit(`ai.${key}`);
    if (value !== undefined && value !== null && value !== "") {
      ai[key] = value;
    }
  }
  if (Object.keys(ai).length > 0) {
    out.ai = ai;
  }
  return out;
}

/** Settings whose change needs a new server process rather than a configuration notification. */
export const RESTART_KEYS = ["path", "python", "diagnosticMode"] as const;
