"""Start-up, settings and configuration changes: everything that makes open documents be audited again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from archls.config import PROJECT_FILES
from archls.server import folders

if TYPE_CHECKING:
    from archls.server.app import ArchServer


def register(server: ArchServer) -> None:
    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ArchServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        ls.init_options = options if isinstance(options, dict) else {}
        ls.seed_folder_settings(ls.init_options.get("folderSettings"))
        from archls.server.features import diagnostics

        if folders.pulls(ls.init_options, ls.folder_settings):
            diagnostics.enable_pull(ls)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: ArchServer, params: lsp.InitializedParams) -> None:
        if ls.early_settings is not None:
            ls.folder_settings, ls.early_settings = ls.early_settings, None
        elif not ls.settings_seeded():
            await ls.refresh_settings()
        watch = ls.client_capabilities.workspace
        if watch and watch.did_change_watched_files and watch.did_change_watched_files.dynamic_registration:
            watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in PROJECT_FILES]
            try:
                await ls.client_register_capability_async(
                    lsp.RegistrationParams(
                        registrations=[
                            lsp.Registration(
                                id="archls-config-files",
                                method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                            )
                        ]
                    )
                )
            except Exception:  # the client said it could, then did not: audits still work without it
                ls.log_exception("watching configuration files")

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: ArchServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get("archls"), dict):
            # Clients that push settings (instead of answering workspace/configuration) send them here.
            ls.folder_settings[""] = settings["archls"]
        await ls.refresh_settings()
        reaudit(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: ArchServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        reaudit(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: ArchServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        await ls.refresh_settings()
        reaudit(ls)


def reaudit(ls: ArchServer) -> None:
    from archls.server.features import diagnostics, lenses

    ls.settings_changed()
    for uri in list(ls.workspace.text_documents):
        if ls.claims(uri):
            diagnostics.publish(ls, uri)
    lenses.refresh(ls)  # settings may have turned lenses or hints on or off
