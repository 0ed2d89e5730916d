"""Export and scaffold through the real server: executeCommand, progress, files on disk, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import ROOT, change, open_doc, write

SHOP = (ROOT / "tests" / "fixtures" / "export" / "shop.arch.yaml").read_text(encoding="utf-8")


async def execute(client: LanguageClient, command: str, *arguments):
    return await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


def progress_kinds(client: LanguageClient) -> list[list[str]]:
    return [[type(v).__name__ for v in values] for values in client.progress_reports.values()]


def supports_progress(client: LanguageClient) -> bool:
    window = client.capabilities.window if client.capabilities else None
    return bool(window and window.work_done_progress)


async def test_export_targets_for_the_quick_pick(client: LanguageClient):
    targets = await execute(client, "archls.exportTargets")
    names = [t["name"] for t in targets]
    assert names[0] == "all"
    assert {"terraform-aws", "kubernetes", "compose", "helm", "github-actions", "prisma", "svg"} <= set(names)
    assert len(names) >= 26


async def test_export_writes_files_beside_the_architecture_with_progress(client: LanguageClient):
    await open_doc(client, "shop.arch.yaml", SHOP)
    uri = (client.workspace_root / "shop.arch.yaml").as_uri()
    result = await execute(client, "archls.export", uri, "compose")
    out = client.workspace_root / "shop-export"
    assert result["output"] == str(out)
    assert result["files"] == [(out / "compose.yaml").as_uri()]
    assert "api:" in (out / "compose.yaml").read_text()
    if supports_progress(client):
        kinds = progress_kinds(client)
        assert ["WorkDoneProgressBegin", "WorkDoneProgressReport", "WorkDoneProgressReport",
                "WorkDoneProgressEnd"] in kinds  # fmt: skip


async def test_export_all_reads_the_unsaved_text(client: LanguageClient):
    await open_doc(client, "shop.arch.yaml", SHOP)
    uri = (client.workspace_root / "shop.arch.yaml").as_uri()
    edited = SHOP.replace("  files:", "  audit:\n    type: service\n    technology: python\n  files:")
    change(client, uri, 2, edited)
    result = await execute(client, "archls.export", {"uri": uri, "target": "all", "output": "out/all"})
    out = client.workspace_root / "out" / "all"
    assert result["count"] == len(result["files"]) > 60
    assert (out / "kubernetes" / "audit.yaml").exists()
    assert (out / "terraform-aws" / "ecs.tf").exists()
    if supports_progress(client):
        reports = [v for values in client.progress_reports.values() for v in values]
        messages = {getattr(v, "message", None) for v in reports}
        assert {"terraform-aws", "kubernetes", "svg"} <= messages


@pytest.mark.parametrize("output", ["../outside", "/tmp/archls-outside-the-workspace"])
async def test_export_refuses_to_write_outside_the_workspace(client: LanguageClient, output: str):
    await open_doc(client, "shop.arch.yaml", SHOP)
    uri = (client.workspace_root / "shop.arch.yaml").as_uri()
    with pytest.raises(Exception, match="outside the workspace"):
        await execute(client, "archls.export", uri, "compose", output)
    assert not (client.workspace_root.parent / "outside").exists()
    assert not Path("/tmp/archls-outside-the-workspace").exists()


@pytest.mark.parametrize("output", ["file://[bad", "file:", 42])
async def test_export_refuses_an_output_that_is_not_a_folder(client: LanguageClient, output):
    uri = write(client, "shop.arch.yaml", SHOP)
    with pytest.raises(Exception, match="must be a path or a file: URI"):
        await execute(client, "archls.export", uri, "compose", output)
    assert not (client.workspace_root / "shop-export").exists()


async def test_export_refuses_through_a_symlink_out_of_the_workspace(client: LanguageClient, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (client.workspace_root / "link").symlink_to(elsewhere, target_is_directory=True)
    await open_doc(client, "shop.arch.yaml", SHOP)
    uri = (client.workspace_root / "shop.arch.yaml").as_uri()
    with pytest.raises(Exception, match="outside the workspace"):
        await execute(client, "archls.export", uri, "compose", "link/out")
    assert list(elsewhere.iterdir()) == []


async def test_export_refuses_a_file_with_loading_errors(client: LanguageClient):
    uri = write(client, "broken.arch.yaml", "name: x\ncomponents:\n  a: {type: servise}\n")
    with pytest.raises(Exception, match="loading errors"):
        await execute(client, "archls.export", uri, "compose")
    assert not (client.workspace_root / "broken-export").exists()


async def test_export_never_writes_over_the_file_it_exports(client: LanguageClient):
    text = "services:\n  api:\n    image: ghcr.io/acme/api:1.0\n    depends_on: [db]\n  db:\n    image: postgres:16\n"
    uri = write(client, "compose.yaml", text)
    with pytest.raises(Exception, match="the file being exported"):
        await execute(client, "archls.export", uri, "compose", ".")
    assert (client.workspace_root / "compose.yaml").read_text() == text


async def test_export_refuses_an_unknown_target(client: LanguageClient):
    uri = write(client, "shop.arch.yaml", SHOP)
    with pytest.raises(Exception, match="no export target"):
        await execute(client, "archls.export", uri, "cloudformation")


async def test_scaffold_writes_a_repository(client: LanguageClient):
    uri = write(client, "shop.arch.yaml", SHOP)
    result = await execute(client, "archls.scaffold", uri)
    out = client.workspace_root / "shop-scaffold"
    assert result["output"] == str(out)
    for rel in ("README.md", "compose.yaml", "services/api/Dockerfile", "services/orders/package.json",
                "infra/terraform/ecs.tf", "deploy/kubernetes/kustomization.yaml", ".github/workflows/ci.yml"):  # fmt: skip
        assert (out / rel).is_file(), rel
    if supports_progress(client):
        assert any(kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
                   for kinds in progress_kinds(client))  # fmt: skip
