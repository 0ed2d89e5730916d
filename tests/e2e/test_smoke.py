from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from tests.e2e.conftest import open_doc


async def test_open_gives_diagnostics(client: LanguageClient):
    published = await open_doc(client, "shop.arch.yaml", "name: shop\ncomponents:\n  api:\n    type: servise\n")
    assert [d.code for d in published.diagnostics] == ["ARCH004"]
    assert published.diagnostics[0].range == lsp.Range(lsp.Position(3, 10), lsp.Position(3, 17))
