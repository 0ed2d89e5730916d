// The server's workspace commands as the extension calls them, and how their answers are shown.
// Pure functions: the extension's command handlers only add the pickers around them.

export const SERVER_COMMANDS = {
  export: "archls.export",
  exportTargets: "archls.exportTargets",
  scaffold: "archls.scaffold",
  summary: "archls.summary",
  specs: "archls.specs",
  newFromSpec: "archls.newFromSpec",
  generate: "archls.generate",
} as const;

/** `archls.generate` arguments: the description, and the file to write when one was chosen. */
export function generateArguments(description: string, output?: string): unknown[] {
  return [output ? { description, output } : { description }];
}

/** A file name for a generated architecture: the description's first words, e.g. `ride-sharing-app.arch.yaml`. */
export function generatedFileName(description: string): string {
  const words = description
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter((w) => w.length > 0 && !["a", "an", "the", "for", "with", "and", "of", "like"].includes(w))
    .slice(0, 4);
  return `${words.join("-") || "architecture"}.arch.yaml`;
}

/** What `archls.generate` answered: the text, the file written if any, and a one-line summary. */
export function parseGenerated(answer: unknown): { text: string; uri?: string; summary: string } | undefined {
  if (answer === null || typeof answer !== "object") {
    return undefined;
  }
  const o = answer as Record<string, unknown>;
  if (typeof o["text"] !== "string") {
    return undefined;
  }
  const backend = typeof o["backend"] === "string" ? o["backend"] : "offline";
  const grade = typeof o["grade"] === "string" ? o["grade"] : "?";
  const uri = typeof o["outputUri"] === "string" ? o["outputUri"] : undefined;
  return { text: o["text"], uri, summary: `generated with the ${backend} backend, grade ${grade}` };
}

export interface SpecItem {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  readonly tags: readonly string[];
}

/** The answer of `archls.specs`: the library's specs, for the "New from spec..." quick pick. */
export function parseSpecs(answer: unknown): SpecItem[] {
  if (!Array.isArray(answer)) {
    return [];
  }
  const out: SpecItem[] = [];
  for (const item of answer) {
    if (item === null || typeof item !== "object") {
      continue;
    }
    const o = item as Record<string, unknown>;
    if (typeof o["name"] !== "string") {
      continue;
    }
    const tags = Array.isArray(o["tags"]) ? o["tags"].filter((t): t is string => typeof t === "string") : [];
    out.push({
      name: o["name"],
      title: typeof o["title"] === "string" ? o["title"] : o["name"],
      summary: typeof o["summary"] === "string" ? o["summary"] : "",
      tags,
    });
  }
  return out;
}

/** `archls.newFromSpec` arguments: the spec's name and the new file. */
export function newFromSpecArguments(name: string, target: string): unknown[] {
  return [name, target];
}

/** `archls.export` arguments: the architecture file, a target or "all", and the output folder when chosen. */
export function exportArguments(file: string, target: string, folder?: string): unknown[] {
  return folder ? [file, target, folder] : [file, target];
}

/** `archls.scaffold` arguments: the architecture file and the folder of the new repository. */
export function scaffoldArguments(file: string, folder?: string): unknown[] {
  return folder ? [file, folder] : [file];
}

export interface Target {
  readonly id: string;
  readonly description?: string;
}

/** The answer of `archls.exportTargets`: names, or objects with an id/name and a description. */
export function parseTargets(answer: unknown): Target[] {
  const list = Array.isArray(answer)
    ? answer
    : answer !== null && typeof answer === "object" && Array.isArray((answer as { targets?: unknown }).targets)
      ? (answer as { targets: unknown[] }).targets
      : [];
  const out: Target[] = [];
  for (const item of list) {
    if (typeof item === "string") {
      out.push({ id: item });
    } else if (item !== null && typeof item === "object") {
      const o = item as Record<string, unknown>;
      const id = [o["id"], o["name"], o["target"]].find((v): v is string => typeof v === "string");
      if (id) {
        const description = [o["description"], o["title"]].find((v): v is string => typeof v === "string");
        out.push(description ? { id, description } : { id });
      }
    }
  }
  return out.filter((t) => t.id !== "all");
}

/** The files an export or scaffold says it wrote: a list, or an object with `files`. */
export function writtenFiles(answer: unknown): string[] {
  const list = Array.isArray(answer)
    ? answer
    : answer !== null && typeof answer === "object" && Array.isArray((answer as { files?: unknown }).files)
      ? (answer as { files: unknown[] }).files
      : [];
  return list
    .map((f) => (typeof f === "string" ? f : f !== null && typeof f === "object" ? (f as { path?: unknown; uri?: unknown }).path ?? (f as { uri?: unknown }).uri : undefined))
    .filter((f): f is string => typeof f === "string");
}

/** The folder an export or scaffold wrote to, when its answer says. */
export function writtenFolder(answer: unknown): string | undefined {
  if (answer !== null && typeof answer === "object" && !Array.isArray(answer)) {
    const o = answer as Record<string, unknown>;
    const folder = [o["folder"], o["output"], o["outputFolder"], o["root"]].find((v): v is string => typeof v === "string");
    return folder;
  }
  return undefined;
}

export interface Summary {
  readonly grade?: string;
  readonly costMonthly?: number;
}

export function parseSummary(answer: unknown): Summary | undefined {
  if (answer === null || typeof answer !== "object") {
    return undefined;
  }
  const o = answer as Record<string, unknown>;
  const grade = typeof o["grade"] === "string" ? o["grade"] : undefined;
  const cost = typeof o["costMonthly"] === "number" && Number.isFinite(o["costMonthly"]) ? o["costMonthly"] : undefined;
  if (grade === undefined && cost === undefined) {
    return undefined;
  }
  return { grade, costMonthly: cost };
}

/** "$12,345/mo" with no cents; "$0.42/mo" under a dollar. */
export function money(amount: number): string {
  const digits = amount > 0 && amount < 1 ? 2 : 0;
  return `$${amount.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}/mo`;
}

/** The status bar text, e.g. "archls B · ≈ $1,234/mo". */
export function statusText(summary: Summary): string {
  const parts: string[] = [];
  if (summary.grade) {
    parts.push(summary.grade);
  }
  if (summary.costMonthly !== undefined) {
    parts.push(`≈ ${money(summary.costMonthly)}`);
  }
  return `$(pulse) archls ${parts.join(" · ")}`;
}
