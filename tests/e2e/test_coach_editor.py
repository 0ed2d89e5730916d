"""The coach in the editor: unmet criteria as diagnostics with a hint, the stage lens on the
challenge header, and "Show a stronger hint" as a code action that edits the criterion."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from archls import coach
from tests.e2e.conftest import open_doc
from tests.e2e.shop import doc_id
from tests.e2e.test_code_actions import apply_edit, code_actions


async def test_a_coach_file_in_the_editor(client: LanguageClient):
    text = coach.starter_text(coach.get("url-shortener"))
    published = await open_doc(client, "short.arch.yaml", text)
    uri = published.uri
    lines = text.split("\n")
    criterion_line = next(n for n, line in enumerate(lines) if "redirects-keep-up" in line)
    [spec] = [d for d in published.diagnostics if d.code == "SPEC001"]
    assert spec.range.start.line == criterion_line
    assert spec.severity == lsp.DiagnosticSeverity.Error
    assert "Hint: Every component has a capacity" in spec.message

    lenses = list(await client.text_document_code_lens_async(lsp.CodeLensParams(doc_id(uri))) or [])
    [lens] = [lens for lens in lenses if lens.command.arguments[1] == "coach"]
    assert lens.command.title == "stage 1/4 · 0 of 2 criteria met"
    assert lens.range.start.line == lines.index("coach:")

    actions = await code_actions(client, uri, [spec])
    [stronger] = [a for a in actions if a.title == "Show a stronger hint (SPEC001)"]
    assert not stronger.is_preferred
    edited = apply_edit(text, stronger.edit, uri)
    assert "hint_level: 2" in edited.split("\n")[criterion_line]
    assert [line for line in edited.split("\n") if line not in lines] == [edited.split("\n")[criterion_line]]

    # "New from spec...": the library for the quick pick, then a new file inside the workspace only.
    specs = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="archls.specs"))
    assert "ride-hailing" in {s["name"] for s in specs} and all(s["title"] for s in specs)
    target = client.workspace_root / "designs" / "rides.arch.yaml"
    made = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="archls.newFromSpec", arguments=["ride-hailing", target.as_uri()])
    )
    assert made["uri"] == target.as_uri() and made["criteria"] >= 5
    assert "acceptance:" in target.read_text(encoding="utf-8")
    for name, where in (
        ("ride-hailing", target.as_uri()),
        ("ride-hailing", "/tmp/outside.arch.yaml"),
        ("nope", "x.arch.yaml"),
    ):
        try:
            await client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(command="archls.newFromSpec", arguments=[name, where])
            )
        except Exception as exc:  # the server refuses with a message for the user
            assert "archls:" in str(exc)
        else:
            raise AssertionError(f"newFromSpec({name}, {where}) was not refused")
