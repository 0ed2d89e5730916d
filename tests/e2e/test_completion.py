"""Completion through the real server: keys, values, ids, technologies, versions, rule codes and
snippets, in text that often does not parse because the user is typing."""

from __future__ import annotations

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from archls.intel import technologies
from archls.model import ComponentType, Protocol
from archls.rules.registry import all_codes
from tests.e2e.conftest import change, open_doc
from tests.e2e.shop import SHOP, doc_id, units, where

SNIPPET = lsp.InsertTextFormat.Snippet
PLAIN = lsp.InsertTextFormat.PlainText


def typed(after: str, line: str, base: str = SHOP) -> str:
    """The sample with ``line`` inserted after the first line that is ``after``."""
    lines = base.split("\n")
    index = lines.index(after)
    return "\n".join([*lines[: index + 1], line, *lines[index + 1 :]])


async def complete_at(
    client: LanguageClient, text: str, marker: str, *, trigger: str | None = None, name: str = "shop.arch.yaml"
) -> tuple[str, lsp.CompletionList | None, int]:
    """Open ``text`` and ask for completion at the end of the line that is ``marker``."""
    uri = (await open_doc(client, name, text)).uri
    lines = text.split("\n")
    line = lines.index(marker)
    context = (
        lsp.CompletionContext(lsp.CompletionTriggerKind.TriggerCharacter, trigger)
        if trigger
        else lsp.CompletionContext(lsp.CompletionTriggerKind.Invoked)
    )
    result = await client.text_document_completion_async(
        lsp.CompletionParams(doc_id(uri), lsp.Position(line, units(client, marker, len(marker))), context=context)
    )
    return uri, result, line


def edit_range(client: LanguageClient, line: int, text: str, start: int, end: int | None = None) -> lsp.Range:
    end = len(text) if end is None else end
    return lsp.Range(lsp.Position(line, units(client, text, start)), lsp.Position(line, units(client, text, end)))


async def test_keys_of_a_component_in_text_that_does_not_parse(client: LanguageClient):
    text = typed("    cost_monthly: 300", "    re")
    _, result, line = await complete_at(client, text, "    re")
    labels = [item.label for item in result.items]
    assert "type" not in labels and "replicas" not in labels and "cost_monthly" not in labels
    assert labels[:3] == ["version", "description", "autoscaling"]
    by_label = {item.label: item for item in result.items}
    resources = by_label["resources"]
    assert resources.text_edit == lsp.TextEdit(edit_range(client, line, "    re", 4), "resources:\n      $0")
    assert resources.insert_text_format == SNIPPET
    assert resources.insert_text_mode == lsp.InsertTextMode.AsIs
    assert resources.kind == lsp.CompletionItemKind.Property
    auth = by_label["auth"]
    assert auth.text_edit.new_text == "auth: ${1|none,password,api-key,basic,oauth2,oidc,jwt,mtls,iam,saml|}"
    assert by_label["zones"].text_edit.new_text == "zones: [$0]"
    assert by_label["description"].text_edit.new_text == "description: $0"


async def test_resolve_gives_a_key_its_documentation(client: LanguageClient):
    text = typed("    timeout_ms: 500", "    ")
    _, result, _ = await complete_at(client, text, "    ")
    item = next(i for i in result.items if i.label == "circuit_breaker")
    assert item.documentation is None
    resolved = await client.completion_item_resolve_async(item)
    assert resolved.documentation == lsp.MarkupContent(
        lsp.MarkupKind.Markdown,
        "**`circuit_breaker`**\n\nCalls stop for a while after repeated failures.\n\nTakes `true` or `false`.",
    )


async def test_component_types_after_typing_a_space(client: LanguageClient):
    text = SHOP.replace("    type: service\n", "    type: \n")
    _, result, line = await complete_at(client, text, "    type: ", trigger=" ")
    assert [i.label for i in result.items] == [t.value for t in ComponentType]
    worker = next(i for i in result.items if i.label == "worker")
    assert worker.text_edit == lsp.TextEdit(edit_range(client, line, "    type: ", 10), "worker")
    resolved = await client.completion_item_resolve_async(worker)
    assert "runs code the team deploys" in resolved.documentation.value


async def test_a_colon_just_typed_gets_values_with_a_leading_space(client: LanguageClient):
    text = SHOP.replace("    protocol: https\n", "    protocol:\n")
    _, result, line = await complete_at(client, text, "    protocol:", trigger=":")
    assert [i.label for i in result.items] == [p.value for p in Protocol]
    grpc = next(i for i in result.items if i.label == "grpc")
    assert grpc.text_edit == lsp.TextEdit(edit_range(client, line, "    protocol:", 13), " grpc")


async def test_a_space_in_free_text_opens_nothing(client: LanguageClient):
    text = typed("    type: database", "    description: the orders ")
    _, result, _ = await complete_at(client, text, "    description: the orders ", trigger=" ")
    assert result is None or result.items == []


async def test_connection_target_offers_the_other_components(client: LanguageClient):
    text = SHOP.replace("    to: api\n", "    to: \n")
    _, result, line = await complete_at(client, text, "    to: ")
    assert [(i.label, i.detail) for i in result.items] == [
        ("api", "service · go"),
        ("db", "database · postgresql"),
    ]
    assert result.items[0].text_edit == lsp.TextEdit(edit_range(client, line, "    to: ", 8), "api")
    assert result.items[0].kind == lsp.CompletionItemKind.Reference
    resolved = await client.completion_item_resolve_async(result.items[0])
    assert resolved.documentation.value.startswith("### api\n\n`service` · go · 2 replicas")


async def test_flow_path_offers_the_callees_of_the_previous_step_first(client: LanguageClient):
    text = SHOP.replace("    path: [web, api, db]\n", "    path: [web, \n")
    _, result, line = await complete_at(client, text, "    path: [web, ")
    assert [i.label for i in result.items] == ["api", "db"]
    marker = "    path: [web, "
    assert result.items[0].text_edit == lsp.TextEdit(edit_range(client, line, marker, len(marker)), "api")


async def test_a_component_added_a_moment_ago_is_offered(client: LanguageClient):
    uri = (await open_doc(client, "shop.arch.yaml", SHOP)).uri
    text = typed('    version: "16"', "  cache:\n    type: cache").replace("    to: api\n", "    to: ca\n")
    change(client, uri, 2, text)
    line = text.split("\n").index("    to: ca")
    result = await client.text_document_completion_async(lsp.CompletionParams(doc_id(uri), lsp.Position(line, 10)))
    assert [i.label for i in result.items] == ["cache"]
    assert result.items[0].text_edit.range == edit_range(client, line, "    to: ca", 8)


async def test_group_members_and_parent(client: LanguageClient):
    text = SHOP.replace("    members: [web]\n", "    members: [web, \n")
    _, result, _ = await complete_at(client, text, "    members: [web, ")
    assert [i.label for i in result.items] == ["api", "db"]
    text = SHOP.replace("    parent: edge\n", "    parent: \n")
    _, result, _ = await complete_at(client, text, "    parent: ")
    assert [(i.label, i.kind) for i in result.items] == [("edge", lsp.CompletionItemKind.Folder)]


async def test_technologies_fit_the_component_type_first(client: LanguageClient):
    text = SHOP.replace("    technology: postgresql\n", "    technology: \n")
    _, result, line = await complete_at(client, text, "    technology: ")
    expected = [t.name for t in technologies.for_type("database")]
    assert [i.label for i in result.items] == expected[:100]
    assert result.items[0].text_edit == lsp.TextEdit(edit_range(client, line, "    technology: ", 16), expected[0])


async def test_versions_of_the_technology_are_quoted(client: LanguageClient):
    text = SHOP.replace('    version: "16"\n', "    version: \n")
    _, result, line = await complete_at(client, text, "    version: ")
    versions = [v.name for v in technologies.find("postgresql").versions]
    assert [i.label for i in result.items] == versions
    assert [i.text_edit.new_text for i in result.items] == [f'"{v}"' for v in versions]
    text = SHOP.replace('    version: "16"\n', '    version: "1\n')
    _, result, line = await complete_at(client, text, '    version: "1')
    assert result.items[0].text_edit == lsp.TextEdit(edit_range(client, line, '    version: "1', 14), versions[0])


async def test_enum_lists_leave_out_what_is_written(client: LanguageClient):
    text = typed("    type: database", "    data: [pii, ")
    _, result, _ = await complete_at(client, text, "    data: [pii, ")
    assert "pii" not in [i.label for i in result.items]
    assert [i.label for i in result.items][:3] == ["public", "internal", "phi"]


async def test_rule_codes_in_a_suppression_comment(client: LanguageClient):
    text = typed("    type: database", "    encryption_at_rest: false  # archls: ignore[QUAL")
    marker = "    encryption_at_rest: false  # archls: ignore[QUAL"
    _, result, line = await complete_at(client, text, marker)
    assert [i.label for i in result.items] == [c.id for c in all_codes() if c.id.startswith("QUAL")]
    first = result.items[0]
    assert first.text_edit == lsp.TextEdit(edit_range(client, line, marker, len(marker) - 4), first.label)
    resolved = await client.completion_item_resolve_async(first)
    assert resolved.documentation.value.startswith(f"# {first.label}: ")


async def test_snippets_for_a_new_component_connection_flow_and_group(client: LanguageClient):
    text = typed('    version: "16"', "  ")
    _, result, line = await complete_at(client, text, "  ")
    assert [i.label for i in result.items] == ["new component"]
    types = ",".join(t.value for t in ComponentType)
    assert result.items[0].text_edit == lsp.TextEdit(
        edit_range(client, line, "  ", 2),
        f"${{1:new-service}}:\n    type: ${{2|{types}|}}\n    technology: $3\n    replicas: ${{4:2}}$0",
    )
    assert result.items[0].kind == lsp.CompletionItemKind.Snippet

    text = typed(
        '  - {description: "naïve → sync", from: api, to: db, protocol: postgres, timeout_ms: 200, retries: 2}', "  - "
    )
    _, result, line = await complete_at(client, text, "  - ")
    protocols = ",".join(p.value for p in Protocol)
    assert result.items[0].label == "new connection"
    assert result.items[0].text_edit == lsp.TextEdit(
        edit_range(client, line, "  - ", 4),
        f"from: $1\n    to: $2\n    protocol: ${{3|{protocols}|}}\n    timeout_ms: ${{4:1000}}$0",
    )
    assert [i.label for i in result.items[1:4]] == ["from", "to", "protocol"]

    text = typed("    path: [web, api, db]", "  ")
    _, result, line = await complete_at(client, text, "  ")
    assert [i.label for i in result.items] == ["new flow"]
    assert result.items[0].text_edit.new_text == (
        "${1:new-flow}:\n    rps: ${2:100}\n    latency_budget_ms: ${3:500}\n    path: [$4]$0"
    )

    text = typed("    parent: edge", "  ")
    _, result, line = await complete_at(client, text, "  ")
    assert [i.label for i in result.items] == ["new group"]


async def test_top_level_keys_leave_out_the_written_ones(client: LanguageClient):
    text = SHOP + "desc"
    _, result, line = await complete_at(client, text, "desc")
    assert [i.label for i in result.items] == ["description", "acceptance", "coach"]
    assert result.items[0].text_edit == lsp.TextEdit(edit_range(client, line, "desc", 0), "description: $0")
    assert result.items[0].kind == lsp.CompletionItemKind.Module


async def test_a_thousand_ids_are_cut_and_marked_incomplete(client: LanguageClient):
    from bench.generate import architecture

    text = architecture(300).replace("  - {from: users, to: edge, protocol: https}", "  - {from: users, to: ")
    marker = "  - {from: users, to: "
    _, result, _ = await complete_at(client, text, marker)
    assert result.is_incomplete is True
    assert len(result.items) == 100
    assert "users" not in [i.label for i in result.items]
    lines = text.split("\n")
    text = "\n".join(line if line != marker else "  - {from: users, to: cache-14" for line in lines)
    _, result, _ = await complete_at(client, text, "  - {from: users, to: cache-14", name="big2.arch.yaml")
    assert [i.label for i in result.items][:2] == ["cache-14", "cache-144"]
    assert result.is_incomplete is False


def test_where_helper_finds_the_sample_lines():
    assert where("  api:") == (20, 0)
