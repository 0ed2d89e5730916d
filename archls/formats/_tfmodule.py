"""A Terraform module as Terraform sees it: every ``.tf`` file of a folder, local modules followed.

Files are read through the loader's reader (open editor buffers first, then disk) and parsed
once per content; a re-audit after an edit re-parses only the file that changed. Variables
(defaults, ``terraform.tfvars``, module inputs) and locals are resolved where they are literal.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archls.formats import _hcl
from archls.formats._hcl import Attribute, Block, Expr, HclFile, Ref, Unknown

MAX_FILES = 300
MAX_DEPTH = 5
#: Attributes that say how Terraform runs a block, not what the resource is.
META = frozenset({"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"})

Reader = Callable[[str], str | None]

_parsed: OrderedDict[tuple[str, str], HclFile] = OrderedDict()
_PARSED_SIZE = 512


def _key(path: str, text: str) -> tuple[str, str]:
    return (path, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest())


def remember(path: str, text: str, parsed: HclFile) -> None:
    """``text`` of ``path`` as parsed elsewhere (``archls check`` parses on another core while it starts)."""
    _parsed[_key(path, text)] = parsed
    if len(_parsed) > _PARSED_SIZE:
        _parsed.popitem(last=False)


def parse_cached(path: str, text: str) -> HclFile:
    key = _key(path, text)
    found = _parsed.get(key)
    if found is not None:
        _parsed.move_to_end(key)
        return found
    parsed = _hcl.parse(text, path)
    _parsed[key] = parsed
    if len(_parsed) > _PARSED_SIZE:
        _parsed.popitem(last=False)
    return parsed


@dataclass
class Resource:
    mode: str  # "resource" or "data"
    type: str
    name: str
    address: str
    block: Block
    module: Module

    @property
    def file(self) -> str:
        return self.block.file

    def attr(self, *path: str | int) -> Attribute | None:
        """The attribute at a native path such as ("versioning", 0, "enabled")."""
        found = self.module.find(self.block, path)
        return found if isinstance(found, Attribute) else None

    def value(self, *path: str | int, default: Any = None) -> Any:
        """The evaluated value at a native path; ``default`` when it is absent."""
        found = self.module.find(self.block, path)
        if found is None:
            return default
        if isinstance(found, Attribute):
            return self.module.evaluate(found.expr)
        if isinstance(found, Block):
            return found
        return self.module.evaluate(found)

    def blocks(self, *path: str | int) -> list[Block]:
        *parent, name = path
        holder = self.module.find(self.block, tuple(parent)) if parent else self.block
        return holder.blocks(str(name)) if isinstance(holder, Block) else []

    def has(self, *path: str | int) -> bool:
        return self.module.find(self.block, path) is not None

    def count(self) -> int | None:
        """Instances from ``count`` or a literal ``for_each``; None when neither is set or known."""
        count = self.block.attr("count")
        if count is not None:
            value = self.module.evaluate(count.expr)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        each = self.block.attr("for_each")
        if each is not None:
            value = self.module.evaluate(each.expr)
            return len(value) if isinstance(value, dict | list) else None
        return None


@dataclass
class Module:
    folder: str
    prefix: str  # "" for the root module, "module.x." inside
    files: dict[str, HclFile] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    variable_blocks: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    providers: list[Block] = field(default_factory=list)
    children: list[Module] = field(default_factory=list)
    call: Block | None = None
    _local_values: dict[str, Any] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)

    # --- lookups ----------------------------------------------------------------------------

    def find(self, block: Block, path: tuple[str | int, ...]) -> Block | Attribute | Expr | None:
        """Walk a native path through nested blocks, attributes and object or list values."""
        node: Block | Attribute | Expr | None = block
        i = 0
        while i < len(path):
            step = path[i]
            if isinstance(node, Block):
                if isinstance(step, int):
                    return None
                attribute = node.attr(step)
                if attribute is not None:
                    node = attribute
                    i += 1
                    continue
                blocks = node.blocks(step)
                if not blocks:
                    return None
                if i + 1 < len(path) and isinstance(path[i + 1], int):
                    index = path[i + 1]
                    assert isinstance(index, int)
                    if index >= len(blocks):
                        return None
                    node = blocks[index]
                    i += 2
                else:
                    node = blocks[0]
                    i += 1
                continue
            expr = node.expr if isinstance(node, Attribute) else node
            while isinstance(expr, _hcl.Call) and expr.name == "jsonencode" and len(expr.args) == 1:
                expr = expr.args[0]
            if isinstance(expr, _hcl.Object) and isinstance(step, str):
                match = next((value for key, _, value in expr.items if key == step), None)
                if match is None:
                    return None
                node = match
            elif isinstance(expr, _hcl.Tuple) and isinstance(step, int) and step < len(expr.items):
                node = expr.items[step]
            else:
                return None
            i += 1
        return node

    def evaluate(self, expr: Expr) -> Any:
        return _hcl.evaluate(expr, self.resolve)

    def resolve(self, parts: tuple[str | int, ...]) -> Any:
        head = parts[0]
        if head == "var" and len(parts) >= 2:
            value = self.variables.get(str(parts[1]), _MISSING)
            if value is _MISSING:
                return Unknown(".".join(map(str, parts)))
            return _index(value, parts[2:])
        if head == "local" and len(parts) >= 2:
            name = str(parts[1])
            if name not in self.locals:
                return Unknown(".".join(map(str, parts)))
            if name not in self._local_values:
                if name in self._resolving:
                    return Unknown(".".join(map(str, parts)))
                self._resolving.add(name)
                try:
                    self._local_values[name] = self.evaluate(self.locals[name].expr)
                finally:
                    self._resolving.discard(name)
            return _index(self._local_values[name], parts[2:])
        return Unknown(".".join(map(str, parts)))

    def all_modules(self) -> Iterator[Module]:
        yield self
        for child in self.children:
            yield from child.all_modules()


_MISSING = object()


def _index(value: Any, rest: tuple[str | int, ...]) -> Any:
    for step in rest:
        if (isinstance(value, dict) and step in value) or (
            isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value)
        ):
            value = value[step]
        else:
            return Unknown(".".join(map(str, rest)))
    return value


@dataclass
class Project:
    root: Module
    current: str
    #: Every file read, by path (modules included).
    files: dict[str, HclFile] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    by_address: dict[str, Resource] = field(default_factory=dict)
    #: Files whose reading stopped early (too many files), for an information note.
    truncated: bool = False
    #: Module calls archls does not follow (registry, git and other remote sources, or a source it
    #: cannot work out): (the module block, its source as written), for an information note.
    unfollowed: list[tuple[Block, str]] = field(default_factory=list)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types and r.mode == "resource"]

    def target(self, ref: Ref, module: Module) -> Resource | None:
        """The resource a reference points at (``aws_s3_bucket.logs.arn`` -> aws_s3_bucket.logs)."""
        parts = ref.parts
        if parts and parts[0] == "resource":
            parts = parts[1:]
        if len(parts) < 2:
            return None
        if parts[0] == "data" and len(parts) >= 3:
            return self.by_address.get(f"{module.prefix}data.{parts[1]}.{parts[2]}")
        if parts[0] in {"var", "local", "module", "each", "count", "path", "self", "terraform"}:
            return None
        return self.by_address.get(f"{module.prefix}{parts[0]}.{parts[1]}")

    def references(self, resource: Resource) -> Iterator[tuple[tuple[str | int, ...], Ref, Resource]]:
        """(native attribute path, reference, referenced resource) for every reference in a resource."""
        for path, expr in walk_attributes(resource.block):
            if path and path[0] in META:
                continue
            refs = list(_hcl.walk_refs(expr))
            for ref in refs:
                target = self.target(ref, resource.module)
                if target is not None and target is not resource:
                    yield path, ref, target
            # references through locals: follow one level
            for ref in refs:
                if ref.parts[0] == "local" and len(ref.parts) >= 2:
                    local = resource.module.locals.get(str(ref.parts[1]))
                    if local is None:
                        continue
                    for inner in _hcl.walk_refs(local.expr):
                        target = self.target(inner, resource.module)
                        if target is not None and target is not resource:
                            yield path, ref, target


def walk_attributes(block: Block, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Expr]]:
    for name, attribute in block.body.attributes.items():
        yield (*prefix, name), attribute.expr
    counts: dict[str, int] = {}
    for child in block.body.blocks:
        index = counts.get(child.type, 0)
        counts[child.type] = index + 1
        yield from walk_attributes(child, (*prefix, child.type, index))


# --- loading ---------------------------------------------------------------------------------


class _Budget:
    def __init__(self, max_bytes: int) -> None:
        self.files = 0
        self.max_bytes = max_bytes
        self.truncated = False

    def take(self) -> bool:
        if self.files >= MAX_FILES:
            self.truncated = True
            return False
        self.files += 1
        return True


def _tf_files(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(os.path.join(folder, n) for n in names if n.endswith(".tf") and not n.startswith("."))


def _tfvars_files(folder: str) -> list[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = [n for n in names if n == "terraform.tfvars" or n.endswith(".auto.tfvars")]
    return [os.path.join(folder, n) for n in sorted(found, key=lambda n: (n != "terraform.tfvars", n))]


def load_project(text: str, path: str, read: Reader, max_bytes: int) -> Project:
    """The module ``path`` belongs to (its folder), with ``text`` as that file's content."""
    folder = os.path.dirname(os.path.abspath(path)) if path else ""
    budget = _Budget(max_bytes)
    current = os.path.abspath(path) if path else path
    project = Project(Module(folder, ""), current)
    overrides = {current: text}
    root = _load_module(project, folder, "", read, overrides, budget, 0, {}, tfvars=True)
    project.root = root
    project.truncated = budget.truncated
    if current not in project.files:
        # an unsaved buffer or a file outside its folder listing: read it on its own
        parsed = parse_cached(current, text)
        project.files[current] = parsed
        root.files[current] = parsed
        _collect(project, root, current, parsed)
    for module in root.all_modules():
        for resource in module.resources:
            project.resources.append(resource)
            project.by_address.setdefault(resource.address, resource)
    return project


def _load_module(
    project: Project,
    folder: str,
    prefix: str,
    read: Reader,
    overrides: dict[str, str],
    budget: _Budget,
    depth: int,
    inputs: dict[str, Any],
    tfvars: bool = False,
    call: Block | None = None,
    ancestors: frozenset[str] = frozenset(),
) -> Module:
    module = Module(folder, prefix, call=call)
    ancestors = ancestors | {folder}
    paths = _tf_files(folder) if folder else []
    for current in overrides:
        if os.path.dirname(current) == folder and current not in paths and not prefix:
            paths.append(current)
    for file_path in sorted(paths):
        if not budget.take():
            break
        text = overrides.get(file_path)
        if text is None:
            text = read(file_path)
        if text is None or len(text) > budget.max_bytes:
            continue
        parsed = parse_cached(file_path, text)
        module.files[file_path] = parsed
        project.files[file_path] = parsed
        _collect(project, module, file_path, parsed)
    # variables: defaults, then tfvars (root only), then module inputs
    for name, block in module.variable_blocks.items():
        default = block.attr("default")
        module.variables[name] = module.evaluate(default.expr) if default is not None else Unknown(f"var.{name}")
    if tfvars:
        for vars_path in _tfvars_files(folder):
            text = read(vars_path)
            if text is None or len(text) > budget.max_bytes:
                continue
            parsed = parse_cached(vars_path, text)
            for name, attribute in parsed.body.attributes.items():
                module.variables[name] = module.evaluate(attribute.expr)
    module.variables.update(inputs)
    if depth < MAX_DEPTH:
        for parsed in list(module.files.values()):
            for block in parsed.body.blocks:
                if block.type != "module" or len(block.labels) != 1:
                    continue
                source = block.attr("source")
                source_value = module.evaluate(source.expr) if source is not None else None
                if not isinstance(source_value, str) or not source_value.startswith(("./", "../")):
                    written = source_value if isinstance(source_value, str) else "an expression"
                    project.unfollowed.append((block, written))
                    continue
                child_folder = os.path.normpath(os.path.join(folder, source_value))
                if child_folder in ancestors:
                    continue
                child_inputs = {
                    name: module.evaluate(attribute.expr)
                    for name, attribute in block.body.attributes.items()
                    if name not in {"source", "version", "count", "for_each", "providers", "depends_on"}
                }
                child = _load_module(
                    project,
                    child_folder,
                    f"{prefix}module.{block.labels[0]}.",
                    read,
                    overrides,
                    budget,
                    depth + 1,
                    child_inputs,
                    call=block,
                    ancestors=ancestors,
                )
                module.children.append(child)
    return module


def _collect(project: Project, module: Module, file_path: str, parsed: HclFile) -> None:
    if parsed.error is not None:
        # A file Terraform rejects (a syntax error, an attribute set twice) adds nothing to its
        # module: its error is what it shows, whichever file of the module is audited. Its variables
        # and locals used to reach the rules when a sibling was audited, at line 0 of the file.
        return
    for block in parsed.body.blocks:
        if block.type in {"resource", "data"} and len(block.labels) == 2:
            kind, name = block.labels
            address = f"{module.prefix}{'data.' if block.type == 'data' else ''}{kind}.{name}"
            module.resources.append(Resource(block.type, kind, name, address, block, module))
        elif block.type == "variable" and block.labels:
            module.variable_blocks[block.labels[0]] = block
        elif block.type == "locals":
            module.locals.update(block.body.attributes)
        elif block.type == "provider":
            module.providers.append(block)
