"""Codes the loaders report: the file could not be read as an architecture, or refers to nothing."""

from archls.findings import Severity
from archls.rules.registry import loader_code

loader_code(
    "ARCH000",
    "A rule failed internally",
    severity=Severity.WARNING,
    what="A rule raised an exception while auditing this file. Every other rule still ran.",
    why="A failing rule must not hide the findings of the others; this tells you one check was skipped.",
    example="(any file can trigger it; the message names the rule and the error)",
    fix="Report it with the file that triggers it. Meanwhile the rule can be disabled in `.archls.yaml`.",
)
loader_code(
    "ARCH001",
    "Syntax error",
    what="The file is not valid YAML (or HCL, for a `.tf` file). The position is where the parser gave up.",
    why="Nothing in the file can be audited until it parses.",
    example="components:\n  api:\n    type: service\n   replicas: 2   # indented one space less than its siblings",
    fix="Correct the syntax at the position shown; the message says what the parser expected.",
)
loader_code(
    "ARCH002",
    "Not an architecture document",
    what="The file is empty, or its top level is a list or a single value instead of a mapping.",
    why="An architecture file is a mapping with at least `name` and `components`.",
    example="- api\n- db",
    fix="Start the file with `name:` and `components:`.",
)
loader_code(
    "ARCH003",
    "Unknown key",
    what="A key that the architecture format does not define. The message suggests the closest valid key.",
    why="A misspelt key is silently ignored by most tools, so the setting you meant never takes effect.",
    example="components:\n  db:\n    type: database\n    encryption_at_reset: true   # encryption_at_rest",
    fix="Use one of the keys listed in the message, or remove the key.",
)
loader_code(
    "ARCH004",
    "Invalid value",
    what="A value of the wrong type, out of range, or not one of the allowed values. The message lists what is allowed.",
    why="Audits read these values; a wrong one would be ignored or misread.",
    example="components:\n  api:\n    type: servise   # service",
    fix="Use one of the allowed values shown in the message.",
)
loader_code(
    "ARCH005",
    "Missing required key",
    what="A key the format requires is absent: `name` at the top, `type` on a component, `from` and `to` on a connection, `path` on a flow.",
    why="Without it the part cannot be understood, so it is left out of the audit.",
    example="components:\n  api:\n    technology: go   # no type",
    fix="Add the key named in the message.",
)
loader_code(
    "ARCH006",
    "Duplicate key",
    what="The same key appears twice in one mapping.",
    why="YAML keeps only the last value, so the first one silently stops counting; usually two components were given the same id.",
    example="components:\n  api: {type: service}\n  api: {type: worker}",
    fix="Rename or remove one of the two.",
)
loader_code(
    "ARCH007",
    "Unknown reference",
    what="A connection, flow or group names a component (or group) that does not exist. The message suggests the closest id.",
    why="A dangling reference leaves a hole in the graph, so load, cost and reliability figures would be wrong.",
    example="connections:\n  - {from: api, to: postgress}   # postgres",
    fix="Use an existing id, or add the missing component.",
)
loader_code(
    "ARCH008",
    "Input too large or too deep",
    what="The file is larger than the configured limit, nests deeper than 100 levels, or uses YAML aliases that expand to too many nodes.",
    why="These are the shapes of denial-of-service inputs ('billion laughs'); archls stops reading them instead of exhausting memory.",
    example="a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
    fix="Split or simplify the file, or raise `max_file_bytes` in `.archls.yaml` for genuinely large files.",
)
loader_code(
    "ARCH009",
    "Not UTF-8",
    what="The file contains bytes that are not valid UTF-8; the position is the first such byte.",
    why="YAML files are UTF-8; other encodings are misread.",
    example="(a file saved as Latin-1 with an accented character)",
    fix="Save the file as UTF-8.",
)
loader_code(
    "ARCH011",
    "Unused suppression",
    severity=Severity.WARNING,
    what="An `# archls: ignore[...]` comment that suppresses nothing.",
    why="Stale suppressions hide future findings for no reason.",
    example="replicas: 3  # archls: ignore[REL001]",
    fix="Remove the comment, or the codes in it that no longer apply.",
)
loader_code(
    "ARCH012",
    "Flow step without a connection",
    severity=Severity.WARNING,
    what="A flow goes from one component to the next, but no connection links them.",
    why="Latency and availability of the flow are computed over its connections; a missing one makes the figures meaningless.",
    example="flows:\n  checkout:\n    path: [web, api, db]   # no connection api -> db",
    fix="Add the connection, or correct the flow's path.",
)
