// Multi-root workspaces: `archls.path` and `archls.python` may differ per workspace folder, and each
// choice needs its own server process. Folders with the same choice share one server (most workspaces:
// exactly one); when they differ, each group of folders gets its own client whose document selector
// covers only its folders, and the client of the first folder's group also serves untitled documents.
// Pure: the extension passes in the folders and their settings.

import { DOCUMENT_SELECTOR, type Filter } from "./selector";

export interface FolderSettings {
  /** The folder's URI as a string (`vscode.Uri.toString()`). */
  readonly uri: string;
  readonly name: string;
  readonly path?: string;
  readonly python?: string;
}

export interface Group {
  /** What the group's server is started with; equal keys share a server. */
  readonly key: string;
  readonly path?: string;
  readonly python?: string;
  readonly folders: readonly FolderSettings[];
}

function clean(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Folders grouped by their server settings, in the order of their first folder. With no folder at
 * all, one group with the window's settings (`fallback`). */
export function groupFolders(folders: readonly FolderSettings[], fallback: { path?: string; python?: string } = {}): Group[] {
  if (folders.length === 0) {
    const path = clean(fallback.path);
    const python = clean(fallback.python);
    return [{ key: JSON.stringify([path ?? "", python ?? ""]), path, python, folders: [] }];
  }
  const groups: { key: string; path?: string; python?: string; folders: FolderSettings[] }[] = [];
  for (const folder of folders) {
    const path = clean(folder.path);
    const python = clean(folder.python);
    const key = JSON.stringify([path ?? "", python ?? ""]);
    const found = groups.find((g) => g.key === key);
    if (found) {
      found.folders.push(folder);
    } else {
      groups.push({ key, path, python, folders: [folder] });
    }
  }
  return groups;
}

export type GroupFilter = Omit<Filter, "pattern"> & { readonly pattern?: string | { readonly baseUri: string; readonly pattern: string } };

/** The documents a group's client hands to its server. One group: every document archls reads, in or
 * out of the folders. Several: only the files under the group's folders (the same filters, each
 * relative to a folder), and untitled documents for the first group. */
export function groupSelector(groups: readonly Group[], index: number): GroupFilter[] {
  const all = DOCUMENT_SELECTOR.map((filter) => ({ ...filter }));
  if (groups.length <= 1) {
    return all;
  }
  const group = groups[index];
  if (!group) {
    return [];
  }
  const out: GroupFilter[] = [];
  for (const folder of group.folders) {
    for (const filter of all) {
      if (filter.scheme !== "file") {
        continue;
      }
      const pattern = filter.pattern ?? "**";
      out.push({ ...filter, pattern: { baseUri: folder.uri, pattern } });
    }
  }
  if (index === 0) {
    out.push(...all.filter((filter) => filter.scheme !== "file"));
  }
  return out;
}

/** The group serving a document: the group of the folder holding it (the longest folder URI that is a
 * prefix of it, for nested folders), else the first group. */
export function groupIndexFor(groups: readonly Group[], documentUri: string | undefined): number {
  if (!documentUri) {
    return 0;
  }
  let best = -1;
  let bestLength = -1;
  groups.forEach((group, index) => {
    for (const folder of group.folders) {
      const base = folder.uri.endsWith("/") ? folder.uri : `${folder.uri}/`;
      if (documentUri.startsWith(base) && base.length > bestLength) {
        best = index;
        bestLength = base.length;
      }
    }
  });
  return best < 0 ? 0 : best;
}

/** The first document URI among a server command's arguments (a string, or an object's `uri`). */
export function commandDocument(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === "string" && /^[a-z][a-z0-9+.-]*:/i.test(first)) {
    return first;
  }
  if (first !== null && typeof first === "object" && typeof (first as { uri?: unknown }).uri === "string") {
    return (first as { uri: string }).uri;
  }
  return undefined;
}
