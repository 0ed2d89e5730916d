-- archls for Neovim: starts `archls serve` for architecture, compose, Terraform and Kubernetes files.
--
--   require("archls").setup({
--     cmd = { "archls", "serve" },       -- how the server starts (default: archls on PATH)
--     settings = { select = { "SEC" } }, -- the archls settings (the server asks with workspace/configuration)
--   })
--
-- Neovim 0.11+ registers the server with vim.lsp.config/vim.lsp.enable; 0.7 to 0.10 start it with
-- vim.lsp.start_client from a FileType autocommand. Either way the same decision picks the buffers:
-- architecture and compose files by name, Terraform by filetype, and other YAML only when it looks
-- like a Kubernetes manifest (a top-level apiVersion and kind), so unrelated YAML never gets a client.

local M = {}

local NAME = "archls"

M.defaults = {
  cmd = nil, -- default { "archls", "serve" }
  filetypes = { "yaml", "yaml.docker-compose", "yaml.kubernetes", "terraform", "tf" },
  root_markers = { ".archls.yaml", ".archls.yml", "pyproject.toml", ".git" },
  settings = {}, -- the `archls` section: debounceMs, select, ignore, severity, region, thresholds, ...
  init_options = nil, -- default: the settings
  on_attach = nil,
  capabilities = nil,
  attach = nil, -- function(bufnr) -> boolean, to choose the buffers yourself
}

M.options = vim.deepcopy(M.defaults)

-- Compatibility ------------------------------------------------------------------------------

local function has(version)
  return vim.fn.has("nvim-" .. version) == 1
end

local function notify(message, level)
  vim.notify("archls: " .. message, level or vim.log.levels.INFO)
end

--- Calls a client method the way this Neovim wants it (0.11 made them methods).
local function call(client, method, ...)
  if has("0.11") then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The archls clients (for one buffer when bufnr is given).
function M.clients(bufnr)
  local out = {}
  if vim.lsp.get_clients then
    out = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
  else
    for _, client in pairs(bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()) do
      if client.name == NAME then
        table.insert(out, client)
      end
    end
  end
  return out
end

-- Which buffers ------------------------------------------------------------------------------

--- What a file is by name: "arch", "compose", "terraform", "yaml" or nil.
function M.kind_of(path)
  local name = (path or ""):match("[^/\\]*$"):lower()
  if name:match("%.arch%.ya?ml$") or name:match("^architecture%.ya?ml$") then
    return "arch"
  end
  if name:match("^docker%-compose.*%.ya?ml$") or name:match("^compose%.ya?ml$") or name:match("^compose%..+%.ya?ml$") then
    return "compose"
  end
  if name:match("%.tf$") then
    return "terraform"
  end
  if name:match("%.ya?ml$") then
    return "yaml"
  end
  return nil
end

--- Whether the first lines hold a top-level apiVersion and kind, as every Kubernetes manifest does.
function M.looks_like_kubernetes(lines)
  local api, kind = false, false
  for _, line in ipairs(lines) do
    api = api or line:match("^apiVersion%s*:") ~= nil
    kind = kind or line:match("^kind%s*:") ~= nil
    if api and kind then
      return true
    end
  end
  return false
end

function M.should_attach(bufnr)
  if M.options.attach then
    return M.options.attach(bufnr) and true or false
  end
  if vim.bo[bufnr].buftype ~= "" then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local kind = M.kind_of(name)
  if kind == "arch" or kind == "compose" or kind == "terraform" then
    return true
  end
  local filetype = vim.bo[bufnr].filetype
  if filetype == "terraform" or filetype == "tf" then
    return true
  end
  if kind == "yaml" or filetype:match("^yaml") then
    return M.looks_like_kubernetes(vim.api.nvim_buf_get_lines(bufnr, 0, 300, false))
  end
  return false
end

--- The project folder of a buffer: the nearest folder holding a root marker, else the file's folder.
function M.root_of(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.fn.getcwd()
  local current = dir
  while current and current ~= "" do
    for _, marker in ipairs(M.options.root_markers) do
      if (vim.uv or vim.loop).fs_stat(current .. "/" .. marker) then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ":h")
    if parent == current then
      break
    end
    current = parent
  end
  return dir
end

-- window/showDocument -------------------------------------------------------------------------

--- Opens a URI outside Neovim (the browser for http and file pages). Replaceable for tests.
function M.open_external(uri)
  if vim.ui.open then
    local _, err = vim.ui.open(uri)
    return err == nil
  end
  local opener
  if vim.fn.has("mac") == 1 then
    opener = { "open", uri }
  elseif vim.fn.has("win32") == 1 then
    opener = { "cmd.exe", "/c", "start", "", uri }
  else
    opener = { "xdg-open", uri }
  end
  if vim.fn.executable(opener[1]) ~= 1 then
    notify("cannot open " .. uri .. ": " .. opener[1] .. " is not installed", vim.log.levels.WARN)
    return false
  end
  return vim.fn.jobstart(opener, { detach = true }) > 0
end

local function show_document(_, result)
  if not result or not result.uri then
    return { success = false }
  end
  local uri = result.uri
  if result.external or not uri:match("^file:") then
    return { success = M.open_external(uri) }
  end
  local bufnr = vim.uri_to_bufnr(uri)
  vim.fn.bufload(bufnr)
  if result.takeFocus ~= false then
    vim.api.nvim_set_current_buf(bufnr)
    vim.bo[bufnr].buflisted = true
    local range = result.selection
    if range then
      pcall(vim.api.nvim_win_set_cursor, 0, { range.start.line + 1, range.start.character })
    end
  end
  return { success = true }
end

-- The client configuration --------------------------------------------------------------------

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.window = caps.window or {}
  caps.window.showDocument = { support = true }
  if M.options.capabilities then
    caps = vim.tbl_deep_extend("force", caps, M.options.capabilities)
  end
  return caps
end

local function config(root)
  local cfg = {
    name = NAME,
    cmd = M.options.cmd or { "archls", "serve" },
    settings = { archls = M.options.settings or {} },
    init_options = M.options.init_options or M.options.settings or {},
    capabilities = capabilities(),
    handlers = { ["window/showDocument"] = show_document },
    on_attach = M.options.on_attach,
  }
  if root then
    cfg.root_dir = root
    cfg.workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } }
  end
  return cfg
end

local started = {} -- root -> client id (Neovim 0.7 to 0.10)

--- Attaches the buffer to the archls client of its project, starting one when needed.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not M.should_attach(bufnr) or #M.clients(bufnr) > 0 then
    return
  end
  if vim.fn.executable((M.options.cmd or { "archls" })[1]) ~= 1 then
    notify("cannot start the server: " .. (M.options.cmd or { "archls" })[1] .. " is not executable (see :checkhealth archls)", vim.log.levels.ERROR)
    return
  end
  local root = M.root_of(bufnr)
  if has("0.11") then
    vim.lsp.start(config(root), { bufnr = bufnr })
    return
  end
  local id = started[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config(root))
    started[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

local function register()
  if has("0.11") and vim.lsp.config and vim.lsp.enable then
    local cfg = config(nil)
    cfg.filetypes = M.options.filetypes
    cfg.root_dir = function(bufnr, on_dir)
      if M.should_attach(bufnr) then
        on_dir(M.root_of(bufnr))
      end
    end
    vim.lsp.config(NAME, cfg)
    vim.lsp.enable(NAME)
    return
  end
  local group = vim.api.nvim_create_augroup("archls", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.options.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- A YAML file that became a Kubernetes manifest since it was opened.
  vim.api.nvim_create_autocmd("BufWritePost", {
    group = group,
    pattern = { "*.yaml", "*.yml" },
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.options.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

-- Commands ----------------------------------------------------------------------------------

local function client_for(bufnr)
  return M.clients(bufnr)[1] or M.clients()[1]
end

local function has_command(client, command)
  local provider = (client.server_capabilities or {}).executeCommandProvider
  local commands = type(provider) == "table" and provider.commands or {}
  return vim.tbl_contains(commands, command)
end

local islist = vim.islist or vim.tbl_islist

--- Runs a server workspace command; on_result(result) gets its answer.
function M.execute(command, arguments, on_result, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    notify("no archls server runs for this buffer", vim.log.levels.ERROR)
    return false
  end
  if not has_command(client, command) then
    notify("this archls server has no " .. command .. " command yet", vim.log.levels.WARN)
    return false
  end
  call(client, "request", "workspace/executeCommand", { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  return true
end

local function written(result)
  local files = type(result) == "table" and (result.files or result) or {}
  return islist(files) and #files or 0
end

--- :ArchlsExport [target] [folder], :ArchlsExportAll [folder]
function M.export(target, folder, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local function run(chosen)
    local args = { uri, chosen }
    if folder and folder ~= "" then
      table.insert(args, vim.uri_from_fname(vim.fn.fnamemodify(folder, ":p")))
    end
    M.execute("archls.export", args, function(result)
      notify(("exported %s: wrote %d files"):format(chosen, written(result)))
      M.last_result = result
    end, bufnr)
  end
  if target and target ~= "" then
    run(target)
    return
  end
  local client = client_for(bufnr)
  if client and has_command(client, "archls.export") and not has_command(client, "archls.exportTargets") then
    vim.ui.input({ prompt = "archls: export to (target): " }, function(answer)
      if answer and answer ~= "" then
        run(answer)
      end
    end)
    return
  end
  if client and not has_command(client, "archls.export") then
    notify("this archls server cannot export yet (it has no archls.export command)", vim.log.levels.WARN)
    return
  end
  M.execute("archls.exportTargets", { uri }, function(result)
    local names = {}
    for _, item in ipairs(type(result) == "table" and (result.targets or result) or {}) do
      local id = type(item) == "string" and item or (type(item) == "table" and (item.id or item.name)) or nil
      if id and id ~= "all" then
        table.insert(names, id)
      end
    end
    vim.ui.select(names, { prompt = "archls: export to" }, function(choice)
      if choice then
        run(choice)
      end
    end)
  end, bufnr)
end

--- A file name for a generated architecture from the description's first words.
function M.generated_name(description)
  local words = {}
  local skip = { a = true, an = true, the = true, ["for"] = true, with = true, ["and"] = true, of = true, like = true }
  for word in description:lower():gmatch("[a-z0-9]+") do
    if not skip[word] and #words < 4 then
      table.insert(words, word)
    end
  end
  return (#words > 0 and table.concat(words, "-") or "architecture") .. ".arch.yaml"
end

--- :ArchlsGenerate [description]: asks for the description and the file, has the server write it
--- (inside the workspace, never over another file), and opens it.
function M.generate(description, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local function run(text)
    local default = vim.fn.getcwd() .. "/" .. M.generated_name(text)
    vim.ui.input({ prompt = "archls: write to: ", default = default, completion = "file" }, function(file)
      if not file or file == "" then
        return
      end
      local path = vim.fn.fnamemodify(file, ":p")
      local args = { { description = text, output = vim.uri_from_fname(path) } }
      notify("generating an architecture...")
      M.execute("archls.generate", args, function(result)
        M.last_result = result
        vim.schedule(function()
          vim.cmd("edit " .. vim.fn.fnameescape(path))
          notify(("generated with the %s backend, grade %s"):format(result.backend or "?", result.grade or "?"))
        end)
      end, bufnr)
    end)
  end
  if description and description ~= "" then
    run(description)
    return
  end
  vim.ui.input({ prompt = "archls: describe the system: " }, function(answer)
    if answer and answer ~= "" then
      run(answer)
    end
  end)
end

function M.restart()
  local buffers = {}
  for _, client in ipairs(M.clients()) do
    for bufnr in pairs(client.attached_buffers or {}) do
      buffers[bufnr] = true
    end
    call(client, "stop")
  end
  started = {}
  vim.wait(5000, function()
    return #M.clients() == 0
  end, 50)
  for bufnr in pairs(buffers) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      M.attach(bufnr)
    end
  end
  notify("server restarted")
end

--- The archls command line: the server command with `serve` and what follows it replaced by `args`.
local function cli(args)
  local cmd = vim.deepcopy(M.options.cmd or { "archls", "serve" })
  local out = {}
  for _, part in ipairs(cmd) do
    if part == "serve" then
      break
    end
    table.insert(out, part)
  end
  vim.list_extend(out, args)
  return out
end

local spec_names

--- The names of the spec library (`archls specs list`), for :ArchlsNew's completion.
function M.spec_names()
  if spec_names == nil then
    local output = vim.fn.system(cli({ "specs", "list", "--format", "json" }))
    local ok, decoded = pcall(vim.fn.json_decode, output)
    spec_names = {}
    if vim.v.shell_error == 0 and ok and type(decoded) == "table" then
      for _, item in ipairs(decoded) do
        if type(item) == "table" and type(item.name) == "string" then
          table.insert(spec_names, item.name)
        end
      end
    end
  end
  return spec_names
end

local function complete_spec(lead, line)
  if #vim.split(line, "%s+", { trimempty = true }) > (lead == "" and 1 or 2) then
    return vim.fn.getcompletion(lead, "file")
  end
  return vim.tbl_filter(function(name)
    return name:sub(1, #lead) == lead
  end, M.spec_names())
end

--- :ArchlsNew {spec} [file]: a new architecture file from a spec's reference, opened for editing.
function M.new_from_spec(name, file)
  if not name or name == "" then
    notify("name a spec: :ArchlsNew {spec} [file] (Tab completes; `archls specs list` shows them)", vim.log.levels.WARN)
    return
  end
  file = file and file ~= "" and file or (name .. ".arch.yaml")
  file = vim.fn.fnamemodify(file, ":p")
  local output = vim.fn.system(cli({ "new", "--from-spec", name, "-o", file }))
  if vim.v.shell_error ~= 0 then
    notify(vim.trim(output), vim.log.levels.ERROR)
    return
  end
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  notify(vim.trim(output))
end

--- The export targets the server offers, for the command line completion.
local function complete_target(lead)
  local client = client_for(vim.api.nvim_get_current_buf())
  if not client or not has_command(client, "archls.exportTargets") then
    return {}
  end
  local params = { command = "archls.exportTargets", arguments = { vim.uri_from_bufnr(0) } }
  local answer = call(client, "request_sync", "workspace/executeCommand", params, 2000, 0)
  local out = {}
  for _, item in ipairs(answer and type(answer.result) == "table" and (answer.result.targets or answer.result) or {}) do
    local id = type(item) == "string" and item or (type(item) == "table" and (item.id or item.name)) or nil
    if id and id ~= "all" and id:sub(1, #lead) == lead then
      table.insert(out, id)
    end
  end
  return out
end

local function commands()
  vim.api.nvim_create_user_command("ArchlsExport", function(opts)
    M.export(opts.fargs[1], opts.fargs[2])
  end, { nargs = "*", complete = complete_target, desc = "archls: export the architecture to a target [target] [folder]" })
  vim.api.nvim_create_user_command("ArchlsExportAll", function(opts)
    M.export("all", opts.fargs[1])
  end, { nargs = "?", complete = "dir", desc = "archls: export the architecture to every target [folder]" })
  vim.api.nvim_create_user_command("ArchlsGenerate", function(opts)
    M.generate(opts.args)
  end, { nargs = "?", desc = "archls: generate an architecture from a description [description]" })
  vim.api.nvim_create_user_command("ArchlsRestart", function()
    M.restart()
  end, { nargs = 0, desc = "archls: restart the language server" })
  vim.api.nvim_create_user_command("ArchlsPreview", function()
    require("archls.preview").preview()
  end, { nargs = 0, desc = "archls: the live diagram of this file in the browser" })
  vim.api.nvim_create_user_command("ArchlsNew", function(opts)
    M.new_from_spec(opts.fargs[1], opts.fargs[2])
  end, { nargs = "+", complete = complete_spec, desc = "archls: a new architecture from a spec {spec} [file]" })
  vim.api.nvim_create_user_command("ArchlsCompare", function(opts)
    require("archls.preview").compare(opts.fargs[1], opts.bang)
  end, { nargs = 1, bang = true, complete = "file", desc = "archls: compare with {file} (! opens the diagrams)" })
end

function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  M.setup_done = true
  commands()
  register()
end

return M
