"""Terraform (``.tf``): a module read into the architecture model, audited in place.

The file being read is one of its folder's ``.tf`` files; Terraform treats the folder as one
module, so archls does too: every sibling file (open editor buffers first, then disk) and
every local module is read, references between resources become connections, and a finding
about a resource in another file names that file. Model fields map to the native attribute
that sets them (``encryption_at_rest`` of an ``aws_db_instance`` is its ``storage_encrypted``),
so findings land on that attribute, or on the resource's header line when it is absent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from archls.evidence import Evidence, evidence_of
from archls.findings import FILE_START, Edit, Finding, ModelPath, Range, Severity
from archls.formats import LoadContext, Loaded, _hcl, register
from archls.formats._hcl import Attribute, Block, Expr
from archls.formats._inferred import Inferred
from archls.formats._tfmap import Built, NativeField, build_component, build_group, component_ids, infer_links
from archls.formats._tfmodule import Project, Resource, load_project
from archls.model import Architecture, Component, Connection, Group
from archls.sourcemap import SourceMap

NAME = "terraform"

_SKIP = re.compile(r"checkov:skip=\s*(CKV2?_[A-Z0-9]+_\d+)", re.I)


@dataclass
class TfNative:
    """What Terraform rules read: the project (every resource with its attributes) and the id mapping."""

    project: Project
    #: address -> component id, and back
    ids: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    built: dict[str, Built] = field(default_factory=dict)
    group_ids: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> list[Resource]:
        return self.project.resources

    def of_type(self, *types: str) -> list[Resource]:
        return self.project.of_type(*types)

    def data_of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.project.resources if r.mode == "data" and r.type in types]

    def referencing(self, target: Resource, *types: str, attr: str | None = None) -> list[Resource]:
        """Resources of ``types`` whose ``attr`` (or any attribute) refers to ``target``."""
        from archls.formats._hcl import walk_refs

        out = []
        for other in self.project.of_type(*types):
            attributes = [other.block.attr(attr)] if attr else list(other.block.body.attributes.values())
            for attribute in attributes:
                if attribute is None:
                    continue
                if any(self.project.target(ref, other.module) is target for ref in walk_refs(attribute.expr)):
                    out.append(other)
                    break
        return out

    def path(self, resource: Resource, *native: str | int) -> ModelPath:
        """The path a rule reports: ("resources", address, *native)."""
        return ("resources", resource.address, *native)


@dataclass
class TfLoaded(Loaded):
    smaps: dict[str, SourceMap] = field(default_factory=dict)
    current: str = ""
    #: model or native path prefix -> file
    files_of: dict[ModelPath, str] = field(default_factory=dict)

    def file_of(self, path: ModelPath) -> str | None:
        found = self._file(path)
        return None if found in (None, self.current) else found

    def _file(self, path: ModelPath) -> str | None:
        return self.files_of.get(path[:2]) if len(path) >= 2 else None

    def locate(self, path: ModelPath) -> Range:
        file = self._file(path) or self.current
        smap = self.smaps.get(file)
        if smap is None:
            return FILE_START
        found = smap.nearest(path)
        if found is None:
            return smap.first_key()
        return found[1].head

    def value_range(self, path: ModelPath) -> Range | None:
        smap = self.smaps.get(self._file(path) or self.current)
        return smap.value_range(path) if smap is not None else None

    def files(self) -> list[str]:
        project = self.native.project if isinstance(self.native, TfNative) else None
        return list(project.files) if project is not None else [self.current]

    def view(self, path: str) -> TfLoaded:
        if path == self.current:
            return self
        return replace(self, current=path, smap=self.smaps.get(path) or SourceMap(path))


class TerraformFormat:
    name = NAME
    #: the engine records the other files read, so a cached audit is reused only while they are unchanged
    reads_other_files = True

    def claims(self, path: str, text: str | None) -> bool:
        return path.lower().endswith(".tf")

    def unit(self, path: str) -> str:
        """A module is its folder."""
        return os.path.dirname(os.path.abspath(path))

    def load(self, text: str, path: str, context: LoadContext) -> Loaded:
        read = context.reader
        project = load_project(text, path, read, context.max_bytes)
        current = project.current
        parsed = project.files.get(current)
        smap = SourceMap(path)
        if parsed is not None and parsed.error is not None:
            error = parsed.error
            finding = Finding(error.code, error.message, error.severity, error.range)
            return TfLoaded(NAME, None, smap, [finding], current=current, smaps={current: smap})
        return build(project, path)


def build(project: Project, path: str) -> TfLoaded:
    current = project.current
    smaps: dict[str, SourceMap] = {}
    for file_path, parsed in project.files.items():
        if parsed.error is None:
            smaps[file_path] = _native_map(file_path, project)
    native = TfNative(project)
    loaded = TfLoaded(NAME, None, smaps.get(current) or SourceMap(path), [], current=current, smaps=smaps)
    for file_path, parsed in project.files.items():
        # another file of the module that cannot be read: its own error, reported on it
        if parsed.error is not None and file_path != current:
            error = parsed.error
            loaded.findings.append(Finding(error.code, error.message, error.severity, error.range, file=file_path))
    loaded.native = native
    for block, source in project.unfollowed:
        if os.path.abspath(block.file) != current:
            continue
        attribute = block.attr("source")
        loaded.findings.append(
            Finding(
                "ARCH021",
                f"module '{block.labels[0]}' comes from {source}: archls reads local modules only, so what it "
                "creates is not audited; audit its code where it is kept",
                Severity.INFO,
                attribute.key if attribute is not None else block.head,
            )
        )

    built: list[Built] = []
    for resource in project.resources:
        if resource.file not in smaps:
            continue
        try:
            made = build_component(resource, project)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            made = None
        if made is not None:
            built.append(made)
    ids = component_ids([b.resource for b in built])
    components: dict[str, Component] = {}
    for b in built:
        cid = ids[b.resource.address]
        try:
            component = Component.model_validate(b.data)
        except ValidationError:
            cleaned = {k: v for k, v in b.data.items() if k in {"type", "technology"}}
            try:
                component = Component.model_validate(cleaned)
            except ValidationError:
                continue
        component._origin = Evidence(b.resource.file, b.resource.block.head, "resource", b.resource.address)
        components[cid] = component
        native.ids[b.resource.address] = cid
        native.addresses[cid] = b.resource.address
        native.built[b.resource.address] = b
        loaded.files_of[("components", cid)] = b.resource.file
        loaded.unknown.update(("components", cid, *sub) for sub in b.unknown)
        _map_component(smaps.get(b.resource.file), cid, b)

    for resource in project.resources:
        loaded.files_of[("resources", resource.address)] = resource.file
        skips = _checkov_skips(project, resource)
        if skips:
            loaded.checkov_skips.setdefault(resource.address, set()).update(skips)
            cid = native.ids.get(resource.address)
            if cid is not None:
                loaded.checkov_skips.setdefault(cid, set()).update(skips)
    for module in project.root.all_modules():
        for name, block in module.variable_blocks.items():
            loaded.files_of.setdefault(("variables", name), block.file)
    for block in _providers(project):
        loaded.files_of[("providers", provider_id(block))] = block.file
        skips = {m.group(1).upper() for _, text in _block_comments(project, block) for m in _SKIP.finditer(text)}
        if skips:
            loaded.checkov_skips.setdefault(provider_id(block), set()).update(skips)

    groups = _groups(project, native, components, loaded, smaps)
    connections = _connections(project, native, components, loaded, smaps)
    name = os.path.basename(os.path.dirname(current)) or "terraform"
    loaded.model = Architecture(name=name, components=components, connections=connections, groups=groups)
    loaded.known_ids = set(components)
    return loaded


def provider_id(block: Block) -> str:
    """``aws``, or ``aws.<alias>`` for an aliased provider configuration."""
    name = block.labels[0] if block.labels else "provider"
    alias = block.attr("alias")
    if alias is not None and isinstance(alias.expr, _hcl.Lit) and isinstance(alias.expr.value, str):
        return f"{name}.{alias.expr.value}"
    return name


def _providers(project: Project) -> list[Block]:
    return [block for module in project.root.all_modules() for block in module.providers]


def _block_comments(project: Project, block: Block) -> list[tuple[int, str]]:
    parsed = project.files.get(block.file)
    if parsed is None:
        return []
    # the block's own lines, not every comment of the file: a module of thousands of resources
    # would otherwise cost resources x comments
    comments = parsed.comments
    return [(n, comments[n]) for n in range(block.range.start_line, block.range.end_line + 1) if n in comments]


def _checkov_skips(project: Project, resource: Resource) -> set[str]:
    return {m.group(1).upper() for _, text in _block_comments(project, resource.block) for m in _SKIP.finditer(text)}


# --- source maps -------------------------------------------------------------------------------


def _native_map(file_path: str, project: Project) -> SourceMap:
    smap = SourceMap(file_path)
    parsed = project.files[file_path]
    lines = parsed.text.replace("\r\n", "\n").split("\n")
    heads = []
    for block in parsed.body.blocks:
        heads.append(block.head)
    if heads:
        whole = Range(heads[0].start_line, heads[0].start_col, parsed.body.blocks[-1].range.end_line, 0)
        smap.add((), None, whole)
    for resource in project.resources:
        if resource.file != file_path:
            continue
        prefix: ModelPath = ("resources", resource.address)
        smap.add(prefix, resource.block.head, resource.block.range)
        _map_body(smap, prefix, resource.block, lines)
    for block in parsed.body.blocks:
        if block.type == "provider":
            prefix = ("providers", provider_id(block))
            smap.add(prefix, block.head, block.range)
            _map_body(smap, prefix, block, lines)
        elif block.type in {"variable", "output", "module"} and block.labels:
            prefix = (f"{block.type}s", block.labels[0])
            smap.add(prefix, block.head, block.range)
            _map_body(smap, prefix, block, lines)
    return smap


def _map_body(smap: SourceMap, prefix: ModelPath, block: Block, lines: list[str]) -> None:
    for name, attribute in block.body.attributes.items():
        path = (*prefix, name)
        smap.add(path, attribute.key, attribute.expr.range)
        _map_expr(smap, path, attribute.expr, 0, lines)
    counts: dict[str, int] = {}
    for child in block.body.blocks:
        index = counts.get(child.type, 0)
        counts[child.type] = index + 1
        if index == 0:
            smap.add((*prefix, child.type), child.head, child.range)
        path = (*prefix, child.type, index)
        smap.add(path, child.head, child.range)
        _map_body(smap, path, child, lines)


def _map_expr(smap: SourceMap, path: ModelPath, expr: Expr, depth: int, lines: list[str]) -> None:
    if depth > 6:
        return
    if isinstance(expr, _hcl.Object):
        for key, key_range, value in expr.items:
            smap.add((*path, key), key_range, value.range)
            _map_expr(smap, (*path, key), value, depth + 1, lines)
    elif isinstance(expr, _hcl.Tuple):
        for index, item in enumerate(expr.items):
            smap.add((*path, index), None, item.range)
            _map_expr(smap, (*path, index), item, depth + 1, lines)
    elif isinstance(expr, _hcl.Call) and expr.name == "jsonencode" and len(expr.args) == 1:
        _map_expr(smap, path, expr.args[0], depth + 1, lines)
    elif isinstance(expr, _hcl.Heredoc):
        _map_heredoc(smap, path, expr, lines)


def _map_heredoc(smap: SourceMap, path: ModelPath, expr: _hcl.Heredoc, lines: list[str]) -> None:
    """A heredoc's JSON (an IAM policy) by its keys; any other heredoc by its lines, numbered from 0."""
    first, last = expr.range.start_line + 1, expr.range.end_line - 1
    if last < first or last >= len(lines):
        return
    body = lines[first : last + 1]
    if expr.body.lstrip().startswith(("{", "[")) and "${" not in expr.body:
        from archls import yamlsource

        doc = yamlsource.compose("\n".join(body))
        if doc.data is not None and not doc.issues:
            smap.mount(path, first, doc.smap)
            return
    for index, line in enumerate(body):
        smap.add((*path, index), None, Range(first + index, 0, first + index, len(line)))


def _map_component(smap: SourceMap | None, cid: str, b: Built) -> None:
    if smap is None:
        return
    resource = b.resource
    smap.add(("components", cid), resource.block.head, resource.block.range)
    for sub, place in b.fields.items():
        entry = smap.get(("resources", place.resource or resource.address, *place.path))
        if entry is not None:
            smap.add(("components", cid, *sub), entry.key, entry.value)


# --- groups and connections --------------------------------------------------------------------


_SUBNET_ATTRS: tuple[tuple[str | int, ...], ...] = (
    ("subnet_id",),
    ("subnet_ids",),
    ("subnets",),
    ("vpc_zone_identifier",),
    ("vpc_config", 0, "subnet_ids"),
    ("network_configuration", 0, "subnets"),
    ("vpc_options", 0, "subnet_ids"),
)


def _groups(
    project: Project,
    native: TfNative,
    components: dict[str, Component],
    loaded: TfLoaded,
    smaps: dict[str, SourceMap],
) -> dict[str, Group]:
    from archls.formats._tfmap import _ref_targets

    made = []
    for resource in project.resources:
        if resource.file not in smaps:
            continue
        group = build_group(resource, project)
        if group is not None:
            made.append(group)
    taken = set(components)
    for group in made:
        gid = group.resource.name if group.resource.name not in taken else group.resource.address
        gid = re.sub(r"[^A-Za-z0-9_.-]+", "-", gid)
        if gid in taken:
            gid = re.sub(r"[^A-Za-z0-9_.-]+", "-", group.resource.address)
        taken.add(gid)
        native.group_ids[group.resource.address] = gid
    members: dict[str, list[str]] = {}
    for address, cid in native.ids.items():
        resource = project.by_address[address]
        for path in _SUBNET_ATTRS:
            for _ref, target in _ref_targets(resource, project, *path):
                gid = native.group_ids.get(target.address)
                if gid is not None and cid not in members.setdefault(gid, []):
                    members[gid].append(cid)
        for attr in ("cluster", "cluster_name"):
            for _ref, target in _ref_targets(resource, project, attr):
                gid = native.group_ids.get(target.address)
                if gid is not None and cid not in members.setdefault(gid, []):
                    members[gid].append(cid)
    out: dict[str, Group] = {}
    for group in made:
        gid = native.group_ids[group.resource.address]
        parent = native.group_ids.get(group.parent.address) if group.parent is not None else None
        try:
            out[gid] = Group(
                type=group.type,
                public=group.public,
                members=members.get(gid, []),
                parent=parent,
                description=group.description or group.resource.address,
            )
        except ValidationError:
            continue
        loaded.files_of[("groups", gid)] = group.resource.file
        smap = smaps.get(group.resource.file)
        if smap is not None:
            smap.add(("groups", gid), group.resource.block.head, group.resource.block.range)
    return out


def _connections(
    project: Project,
    native: TfNative,
    components: dict[str, Component],
    loaded: TfLoaded,
    smaps: dict[str, SourceMap],
) -> list[Connection]:
    inferred = Inferred()
    for link in infer_links(project, native.ids):
        source = native.ids.get(link.source.address)
        target = native.ids.get(link.target.address)
        if source is not None and target is not None:
            inferred.add(source, target, link.evidence, protocol=link.protocol, port=link.port, mode=link.mode)
    connections = inferred.connections(components)
    for index, connection in enumerate(connections):
        first = evidence_of(connection)[0]
        loaded.files_of[("connections", index)] = first.file
        smap = smaps.get(first.file)
        if smap is not None:
            smap.add(("connections", index), first.range, first.range)
    return connections


# --- fixes -----------------------------------------------------------------------------------


def fix_edits(text: str, loaded: Loaded, fix: Any) -> list[Edit]:
    """Write a fix into this ``.tf`` file, keeping its layout: a value replaced, a line or block inserted."""
    from archls.fixes import FixError

    native = loaded.native
    if not isinstance(native, TfNative) or not isinstance(loaded, TfLoaded):
        raise FixError("the module could not be read")
    path = tuple(fix.path)
    resource, native_path, value = _fix_target(native, path, fix)
    if resource.file != loaded.current:
        raise FixError(f"{resource.address} is defined in {os.path.basename(resource.file)}; fix it there")
    lines = text.replace("\r\n", "\n").split("\n")
    if fix.kind == "add_block":
        if not isinstance(fix.value, str):
            raise FixError("nothing to insert")
        end = resource.block.range.end_line
        return [Edit(Range(end + 1, 0, end + 1, 0), "\n" + fix.value.rstrip("\n") + "\n")]
    if fix.kind == "remove":
        found = resource.module.find(resource.block, native_path)
        if not isinstance(found, Attribute):
            raise FixError("nothing to remove")
        start, end = found.key.start_line, found.expr.range.end_line
        return [Edit(Range(start, 0, end + 1, 0), "")]
    if fix.kind in {"set", "replace"}:
        return _set(lines, resource, native_path, value)
    if fix.kind == "append":
        found = resource.module.find(resource.block, native_path)
        if isinstance(found, Attribute) and isinstance(found.expr, _hcl.Tuple):
            items = found.expr.items
            where = items[-1].range if items else None
            if where is None:
                r = found.expr.range
                return [Edit(Range(r.start_line, r.start_col, r.end_line, r.end_col), _hcl.literal([value]))]
            return [
                Edit(Range(where.end_line, where.end_col, where.end_line, where.end_col), ", " + _hcl.literal(value))
            ]
        if found is None:
            return _set(lines, resource, native_path, [value])
        raise FixError("the list is not written literally")
    raise FixError(f"no Terraform fix of kind '{fix.kind}'")


def _fix_target(native: TfNative, path: ModelPath, fix: Any) -> tuple[Resource, tuple[str | int, ...], Any]:
    from archls.fixes import FixError

    if len(path) < 2:
        raise FixError("the fix names no resource")
    if path[0] == "resources":
        resource = native.project.by_address.get(str(path[1]))
        if resource is None:
            raise FixError(f"no resource {path[1]}")
        rest = tuple(path[2:]) + ((fix.key,) if fix.key and fix.kind == "set" else ())
        return resource, rest, fix.value
    if path[0] == "components":
        address = native.addresses.get(str(path[1]))
        if address is None:
            raise FixError(f"no component {path[1]}")
        resource = native.project.by_address[address]
        built = native.built[address]
        sub = tuple(path[2:]) + ((fix.key,) if fix.key and fix.kind == "set" else ())
        place: NativeField | None = built.fields.get(sub)
        value = fix.value
        if place is None and isinstance(value, dict) and len(sub) == 1:
            # a whole section, e.g. resources: {instance: ...}: take the first part that maps
            for key, inner in value.items():
                place = built.fields.get((*sub, key))
                if place is not None:
                    value = inner
                    break
        if place is None:
            raise FixError(f"archls does not know which {resource.type} attribute sets '{'.'.join(map(str, sub))}'")
        return resource, place.path, place.native_value(value)
    raise FixError("this fix does not apply to Terraform files")


def _set(lines: list[str], resource: Resource, native_path: tuple[str | int, ...], value: Any) -> list[Edit]:
    from archls.fixes import FixError

    found = resource.module.find(resource.block, native_path)
    if isinstance(found, Attribute):
        r = found.expr.range
        indent = _indent(lines[found.key.start_line])
        return [Edit(Range(r.start_line, r.start_col, r.end_line, r.end_col), _hcl.literal(value, indent))]
    if isinstance(found, Expr):
        r = found.range
        return [Edit(Range(r.start_line, r.start_col, r.end_line, r.end_col), _hcl.literal(value))]
    # walk down to the deepest block that exists, then write what is missing inside it
    block = resource.block
    i = 0
    while i < len(native_path) - 1:
        step = native_path[i]
        nxt = native_path[i + 1] if i + 1 < len(native_path) else None
        children = block.blocks(str(step)) if isinstance(step, str) else []
        index = nxt if isinstance(nxt, int) else 0
        if not children or index >= len(children):
            break
        block = children[index]
        i += 2 if isinstance(nxt, int) else 1
    rest = [p for p in native_path[i:] if isinstance(p, str)]
    if not rest:
        raise FixError("nothing to set")
    return [_insert(lines, block, rest, value)]


def _insert(lines: list[str], block: Block, rest: list[str], value: Any) -> Edit:
    """Insert ``a { b { c = value } }`` (for rest [a, b, c]) as the first lines of ``block``'s body."""
    outer = _indent(lines[block.range.start_line])
    first_child = _first_body_line(block)
    inner = _indent(lines[first_child]) if first_child is not None else outer + "  "
    if len(inner) <= len(outer):
        inner = outer + "  "
    step = inner[len(outer) :] or "  "
    body: list[str] = []
    depth = inner
    for name in rest[:-1]:
        body.append(f"{depth}{name} {{")
        depth += step
    key = rest[-1]
    if len(rest) == 1 and first_child is not None and block.head.end_line + 1 < len(lines):
        # line up with the attribute right below, as terraform fmt would (a comment between breaks the group)
        key = _align(lines[block.head.end_line + 1], inner, key)
    body.append(f"{depth}{key} = {_hcl.literal(value, depth)}")
    for _ in rest[:-1]:
        depth = depth[: -len(step)]
        body.append(f"{depth}}}")
    head_line = block.head.end_line
    line_text = lines[head_line]
    if block.range.start_line == block.range.end_line or head_line == block.range.end_line:
        # `name {}` on one line: open it up
        brace = line_text.find("{", block.head.end_col)
        close = line_text.rfind("}")
        if brace < 0 or close < brace:
            from archls.fixes import FixError

            raise FixError("the block's braces are not where archls expects them")
        return Edit(
            Range(head_line, brace, head_line, close + 1),
            "{\n" + "\n".join(body) + "\n" + outer + "}",
        )
    close_line = block.range.end_line
    if len(rest) > 1 and lines[close_line].strip() == "}" and close_line > head_line + 1:
        # a nested block goes last, after the attributes, as terraform fmt and most authors write it
        gap = "" if not lines[close_line - 1].strip() or lines[close_line - 1].strip().endswith("{") else "\n"
        return Edit(Range(close_line, 0, close_line, 0), gap + "\n".join(body) + "\n")
    return Edit(Range(head_line + 1, 0, head_line + 1, 0), "\n".join(body) + "\n")


def _first_body_line(block: Block) -> int | None:
    starts = [a.key.start_line for a in block.body.attributes.values()] + [b.head.start_line for b in block.body.blocks]
    return min(starts) if starts else None


_ALIGNED = re.compile(r"^(\s*)([A-Za-z_][\w-]*)(\s*)=")


def _align(neighbour: str, indent: str, key: str) -> str:
    """Pad ``key`` so its ``=`` lines up with the attribute below, as ``terraform fmt`` would."""
    match = _ALIGNED.match(neighbour)
    if not match or match.group(1) != indent:
        return key
    column = len(match.group(1)) + len(match.group(2)) + len(match.group(3))
    width = column - len(indent) - 1
    return key.ljust(width) if len(key) <= width else key


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


register(TerraformFormat(), priority=10)
