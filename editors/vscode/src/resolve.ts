// How the server is started: a configured executable, or the server bundled in the extension (see
// scripts/bundle_server.py) run by a Python through scripts/launch.py, which picks the compiled parts
// for the running interpreter itself, so no probe process runs first. The plan is a list of steps,
// tried in order until one starts (see launch.ts); deciding it is pure and tested here.

/** What the bundled server was built for: `server/manifest.json` in the extension. */
export interface Bundle {
  /** The extension's `server` folder. */
  readonly root: string;
  readonly launcher: string;
  readonly archls: string;
  /** "linux-x64", ..., or "universal" (no compiled parts: runs from a private environment). */
  readonly target: string;
  /** The CPython versions this package has compiled parts for, e.g. ["3.11", "3.12", "3.13"]. */
  readonly pythons: readonly string[];
  /** What a private environment installs first: the compiled parts matching the bundled pure ones. */
  readonly venv: readonly string[];
  /** archls's own dependencies: what a private environment installs when the pinned parts do not. */
  readonly requirements: readonly string[];
}

export type Step =
  /** An archls executable: `COMMAND serve`. */
  | { readonly kind: "path"; readonly command: string; readonly description: string }
  /** `PYTHON -m archls serve` (a development build of the extension, without a bundle). */
  | { readonly kind: "module"; readonly python: string; readonly description: string }
  /** `PYTHON -I -S launch.py --deps=MODE serve`: the bundle, or an archls installed in PYTHON first. */
  | { readonly kind: "launcher"; readonly python: string; readonly mode: "bundle" | "installed"; readonly description: string }
  /** A private virtual environment made with PYTHON holding the compiled parts, then the launcher in it. */
  | { readonly kind: "venv"; readonly python: string; readonly description: string };

export interface Plan {
  readonly kind: "plan";
  readonly steps: readonly Step[];
}

export interface Failure {
  readonly kind: "error";
  readonly message: string;
}

export interface Environment {
  /** The absolute path of an executable on PATH, or undefined. */
  which(name: string): Promise<string | undefined>;
  /** Whether a file exists and is executable. */
  executable(path: string): Promise<boolean>;
  /** The file a path finally names (python3 and python3.11 are often one interpreter); the path itself if unknown. */
  realpath?(path: string): Promise<string>;
}

export interface Settings {
  readonly path?: string;
  readonly python?: string;
}

/** Interpreters tried, in order, for the bundled server when no `archls.python` is set. The plain
 * names come first (the user's default Python); the versioned ones find a supported CPython beside a
 * default the package has no parts for. Each refusal costs one short process that imports nothing. */
export const PYTHON_CANDIDATES = ["python3", "python", "python3.13", "python3.12", "python3.11"] as const;

export const INSTALL_HINT =
  "Install CPython 3.11, 3.12 or 3.13 (and set archls.python to it if it is not the default python3), " +
  'or install archls ("pipx install archls" or "pip install archls") and set archls.path to its executable.';

export async function resolveServer(settings: Settings, env: Environment, bundle: Bundle | undefined): Promise<Plan | Failure> {
  const path = settings.path?.trim();
  if (path) {
    if (!(await env.executable(path))) {
      return { kind: "error", message: `archls.path is set to "${path}", which is not an executable file.` };
    }
    return { kind: "plan", steps: [{ kind: "path", command: path, description: `${path} (archls.path)` }] };
  }

  const configured = settings.python?.trim();
  if (configured) {
    if (!bundle) {
      return { kind: "plan", steps: [{ kind: "module", python: configured, description: `${configured} -m archls (archls.python)` }] };
    }
    return {
      kind: "plan",
      steps: [
        { kind: "launcher", python: configured, mode: "installed", description: `archls on ${configured} (archls.python)` },
        { kind: "venv", python: configured, description: `a private environment made with ${configured} (archls.python)` },
      ],
    };
  }

  const steps: Step[] = [];
  const pythons: string[] = [];
  const seen = new Set<string>();
  if (bundle) {
    for (const name of PYTHON_CANDIDATES) {
      const found = await env.which(name);
      const real = found && (env.realpath ? await env.realpath(found) : found);
      if (found && real && !seen.has(real)) {
        seen.add(real);
        pythons.push(found);
        steps.push({ kind: "launcher", python: found, mode: "bundle", description: `bundled archls ${bundle.archls} on ${found}` });
      }
    }
  }
  const onPath = await env.which("archls");
  if (onPath) {
    steps.push({ kind: "path", command: onPath, description: `${onPath} (found on PATH)` });
  }
  // A private environment with the first Python that can hold one (one too old to run archls is
  // skipped then, e.g. macOS's python3 3.9 beside a Homebrew 3.14).
  for (const python of bundle ? pythons : []) {
    steps.push({ kind: "venv", python, description: `bundled archls ${bundle?.archls} in a private environment made with ${python}` });
  }
  if (steps.length === 0) {
    const none = bundle ? "No Python (python3, python) was found on PATH for the bundled server. " : "";
    return { kind: "error", message: `${none}${INSTALL_HINT}` };
  }
  return { kind: "plan", steps };
}

/** What the launcher says on its first stderr line (see scripts/launch.py). */
export interface LauncherState {
  readonly archls: "starting" | "unsupported";
  readonly reason?: string;
  readonly python?: string;
  readonly implementation?: string;
  readonly platform?: string;
  readonly machine?: string;
  readonly source?: string;
  readonly folder?: string;
}

/** Reads the launcher's first line; undefined when it is something else (a crash, another program). */
export function parseLauncherState(line: string): LauncherState | undefined {
  try {
    const data = JSON.parse(line.trim()) as Record<string, unknown>;
    if (data["archls"] !== "starting" && data["archls"] !== "unsupported") {
      return undefined;
    }
    const text = (key: string): string | undefined => (typeof data[key] === "string" ? (data[key] as string) : undefined);
    return {
      archls: data["archls"],
      reason: text("reason"),
      python: text("python"),
      implementation: text("implementation"),
      platform: text("platform"),
      machine: text("machine"),
      source: text("source"),
      folder: text("folder"),
    };
  } catch {
    return undefined;
  }
}

/** The folder of a private environment for one interpreter: one per implementation and version, so a
 * Python upgraded in place gets a new one. */
export function venvName(state: LauncherState): string {
  const safe = (s: string | undefined): string => (s ?? "unknown").replace(/[^A-Za-z0-9._]+/g, "-");
  return `${safe(state.implementation)}-${safe(state.python)}-${safe(state.platform)}-${safe(state.machine)}`;
}

export function parseBundle(root: string, launcher: string, manifest: unknown): Bundle | undefined {
  if (manifest === null || typeof manifest !== "object") {
    return undefined;
  }
  const m = manifest as Record<string, unknown>;
  const list = (key: string): string[] =>
    Array.isArray(m[key]) ? (m[key] as unknown[]).filter((v): v is string => typeof v === "string") : [];
  const archls = typeof m["archls"] === "string" ? m["archls"] : undefined;
  if (!archls) {
    return undefined;
  }
  const pythons = m["pythons"] !== null && typeof m["pythons"] === "object" ? Object.keys(m["pythons"] as object).sort() : [];
  return {
    root,
    launcher,
    archls,
    target: typeof m["target"] === "string" ? m["target"] : "universal",
    pythons,
    venv: list("venv"),
    requirements: list("requirements"),
  };
}
