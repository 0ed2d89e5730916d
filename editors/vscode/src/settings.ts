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

/** The server's part of a settings object, leaving out keys that are absent or null. */
export function serverSettings(all: unknown): ServerSettings {
  const out: ServerSettings = {};
  if (all === null || typeof all !== "object") {
    return out;
  }
  const source = all as Record<string, unknown>;
  for (const key of SERVER_KEYS) {
    const value = source[key];
    if (value !== undefined && value !== null) {
      out[key] = value;
    }
  }
  return out;
}

/** Settings whose change needs a new server process rather than a configuration notification. */
export const RESTART_KEYS = ["path", "python", "diagnosticMode"] as const;
