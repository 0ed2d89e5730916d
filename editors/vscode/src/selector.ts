// Which documents the extension hands to the server.
//
// Architecture, compose and Terraform files are recognised by name. Kubernetes manifests have no
// name of their own, so every YAML file on disk is offered to the server, which reads only the ones
// it recognises (by name, or by `apiVersion` and `kind` for Kubernetes) and stays silent on the rest:
// no diagnostics, completions or hovers for a YAML file it does not read. The extension changes no
// language association, so yaml-language-server keeps serving every YAML file beside it.

export interface Filter {
  readonly scheme: string;
  readonly language?: string;
  readonly pattern?: string;
}

export const ARCH_GLOB = "**/{*.arch.yaml,*.arch.yml,architecture.yaml,architecture.yml}";
export const COMPOSE_GLOB = "**/{compose.yaml,compose.yml,compose.*.yaml,compose.*.yml,docker-compose*.yaml,docker-compose*.yml}";
export const TERRAFORM_GLOB = "**/*.tf";

export const DOCUMENT_SELECTOR: readonly Filter[] = [
  { scheme: "file", pattern: ARCH_GLOB },
  { scheme: "file", pattern: COMPOSE_GLOB },
  { scheme: "file", pattern: TERRAFORM_GLOB },
  { scheme: "file", language: "dockercompose" },
  { scheme: "file", language: "terraform" },
  // Kubernetes manifests and any other YAML: the server decides (see above).
  { scheme: "file", language: "yaml" },
  { scheme: "untitled", language: "yaml" },
];

export type FileKind = "arch" | "compose" | "terraform" | "yaml";

/** What a file is by its name alone; `yaml` means "maybe Kubernetes: the server decides". */
export function kindOf(path: string): FileKind | undefined {
  const name = path.split(/[\\/]/).pop()?.toLowerCase() ?? "";
  if (/\.arch\.ya?ml$/.test(name) || /^architecture\.ya?ml$/.test(name)) {
    return "arch";
  }
  if (/^(compose(\..+)?|docker-compose.*)\.ya?ml$/.test(name)) {
    return "compose";
  }
  if (name.endsWith(".tf")) {
    return "terraform";
  }
  if (/\.ya?ml$/.test(name)) {
    return "yaml";
  }
  return undefined;
}

/** Files an export or a scaffold can start from: an architecture in any format archls reads. */
export function exportable(path: string): boolean {
  const kind = kindOf(path);
  return kind !== undefined;
}
