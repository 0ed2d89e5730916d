// How the server is started: a configured executable, a configured interpreter, or the server
// bundled in the extension (see scripts/bundle_server.py) run by a compatible Python.
// The decision is pure; the probing of interpreters and PATH is passed in, so it can be tested.

export interface Interpreter {
  /** The executable as given (absolute, or a name found on PATH). */
  readonly command: string;
  /** "3.11" */
  readonly version: string;
  /** "cpython" */
  readonly implementation: string;
  /** "linux", "darwin", "win32" */
  readonly platform: string;
  /** "x86_64", "aarch64", "arm64" */
  readonly machine: string;
  /** Whether `import archls` works in it. */
  readonly hasArchls: boolean;
}

/** What the bundled server was built for: `server/manifest.json` in the extension. */
export interface Bundle {
  readonly lib: string;
  readonly archls: string;
  readonly python: string;
  readonly implementation: string;
  readonly platform: string;
  readonly machine: string;
}

export interface Plan {
  readonly kind: "path" | "python" | "bundled";
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** One line for the output channel: how the server was found. */
  readonly description: string;
}

export interface Failure {
  readonly kind: "error";
  readonly message: string;
}

export interface Environment {
  /** Runs the interpreter to learn its version and whether archls is importable; undefined when it cannot run.
   * `reuse`: an earlier answer for the same unchanged executable will do (only its version, platform and
   * machine are read then), which spares a process at each start. */
  probe(command: string, reuse?: boolean): Promise<Interpreter | undefined>;
  /** The absolute path of an executable on PATH, or undefined. */
  which(name: string): Promise<string | undefined>;
  /** Whether a file exists and is executable. */
  executable(path: string): Promise<boolean>;
}

export interface Settings {
  readonly path?: string;
  readonly python?: string;
}

/** Interpreters tried, in order, for the bundled server when no `archls.python` is set. */
export const PYTHON_CANDIDATES = ["python3.11", "python3", "python"] as const;

export function fits(python: Interpreter, bundle: Bundle): boolean {
  const arch = (m: string): string => (m === "amd64" ? "x86_64" : m === "arm64" ? "aarch64" : m).toLowerCase();
  return (
    (bundle.python === "any" || python.version === bundle.python) &&
    (bundle.implementation === "any" || python.implementation === bundle.implementation) &&
    (bundle.platform === "any" || python.platform === bundle.platform) &&
    (bundle.machine === "any" || arch(python.machine) === arch(bundle.machine))
  );
}

export function describeBundle(bundle: Bundle): string {
  const who = bundle.implementation === "cpython" ? "CPython" : bundle.implementation;
  return `${who} ${bundle.python} on ${bundle.platform} ${bundle.machine}`;
}

function bundled(python: Interpreter, bundle: Bundle, baseEnv: Readonly<Record<string, string | undefined>>): Plan {
  const existing = baseEnv["PYTHONPATH"];
  return {
    kind: "bundled",
    command: python.command,
    args: ["-m", "archls", "serve"],
    // The bundled packages come first so a different archls installed in that interpreter cannot shadow them.
    env: { PYTHONPATH: existing ? `${bundle.lib}${pathSeparator(python.platform)}${existing}` : bundle.lib, PYTHONNOUSERSITE: "1" },
    description: `bundled archls ${bundle.archls} on ${python.command} (Python ${python.version})`,
  };
}

function pathSeparator(platform: string): string {
  return platform === "win32" ? ";" : ":";
}

export async function resolveServer(
  settings: Settings,
  env: Environment,
  bundle: Bundle | undefined,
  baseEnv: Readonly<Record<string, string | undefined>> = {},
): Promise<Plan | Failure> {
  const path = settings.path?.trim();
  if (path) {
    if (!(await env.executable(path))) {
      return { kind: "error", message: `archls.path is set to "${path}", which is not an executable file.` };
    }
    return { kind: "path", command: path, args: ["serve"], env: {}, description: `${path} (archls.path)` };
  }

  const configured = settings.python?.trim();
  if (configured) {
    const python = await env.probe(configured);
    if (!python) {
      return { kind: "error", message: `archls.python is set to "${configured}", which does not run as a Python interpreter.` };
    }
    if (python.hasArchls) {
      return {
        kind: "python",
        command: configured,
        args: ["-m", "archls", "serve"],
        env: {},
        description: `${configured} -m archls (archls.python)`,
      };
    }
    if (bundle && fits(python, bundle)) {
      return bundled(python, bundle, baseEnv);
    }
    const hint = bundle ? ` The bundled server needs ${describeBundle(bundle)}; this is Python ${python.version} on ${python.platform} ${python.machine}.` : "";
    return {
      kind: "error",
      message: `archls is not installed in ${configured} (archls.python): run "${configured} -m pip install archls".${hint}`,
    };
  }

  if (bundle) {
    for (const name of PYTHON_CANDIDATES) {
      const found = await env.which(name);
      if (!found) {
        continue;
      }
      const python = await env.probe(found, true);
      if (python && fits(python, bundle)) {
        return bundled(python, bundle, baseEnv);
      }
    }
  }

  const onPath = await env.which("archls");
  if (onPath) {
    return { kind: "path", command: onPath, args: ["serve"], env: {}, description: `${onPath} (found on PATH)` };
  }

  const needs = bundle ? `The bundled server needs ${describeBundle(bundle)}, and none was found on PATH. ` : "";
  return {
    kind: "error",
    message:
      `${needs}Install archls ("pip install archls") and set archls.path to its executable, ` +
      `or archls.python to an interpreter that has it.`,
  };
}

/** The Python snippet a probe runs: one JSON line describing the interpreter. */
export const PROBE_SCRIPT = [
  "import importlib.util, json, platform, sys",
  "print(json.dumps({",
  "'version': '%d.%d' % sys.version_info[:2],",
  "'implementation': sys.implementation.name,",
  "'platform': sys.platform,",
  "'machine': platform.machine(),",
  "'hasArchls': importlib.util.find_spec('archls') is not None}))",
].join("\n");

/** Reads a probe's output; undefined when it is not what the script prints. */
export function parseProbe(command: string, stdout: string): Interpreter | undefined {
  const line = stdout.trim().split(/\r?\n/).pop() ?? "";
  try {
    const data = JSON.parse(line) as Record<string, unknown>;
    if (typeof data["version"] !== "string" || typeof data["platform"] !== "string") {
      return undefined;
    }
    return {
      command,
      version: data["version"],
      implementation: String(data["implementation"] ?? ""),
      platform: data["platform"],
      machine: String(data["machine"] ?? ""),
      hasArchls: data["hasArchls"] === true,
    };
  } catch {
    return undefined;
  }
}

export function parseBundle(lib: string, manifest: unknown): Bundle | undefined {
  if (manifest === null || typeof manifest !== "object") {
    return undefined;
  }
  const m = manifest as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof m[key] === "string" ? (m[key] as string) : undefined);
  const archls = text("archls");
  const python = text("python");
  if (!archls || !python) {
    return undefined;
  }
  return {
    lib,
    archls,
    python,
    implementation: text("implementation") ?? "any",
    platform: text("platform") ?? "any",
    machine: text("machine") ?? "any",
  };
}
