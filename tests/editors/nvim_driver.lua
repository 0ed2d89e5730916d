-- Drives the archls Neovim plugin in a headless Neovim for tests/editors/test_nvim.py.
-- The scenario and its inputs come in ARCHLS_SCENARIO (JSON); the outcome goes to ARCHLS_RESULT
-- (JSON) and Neovim quits, whatever happens.

local scenario = vim.fn.json_decode(vim.env.ARCHLS_SCENARIO)
local result = { ok = true, log = {} }
local TIMEOUT = 30000

local function log(...)
  table.insert(result.log, table.concat(vim.tbl_map(tostring, { ... }), " "))
end

local function finish()
  local file = io.open(vim.env.ARCHLS_RESULT, "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

local archls = require("archls")

local function wait(what, fn, timeout)
  if not vim.wait(timeout or TIMEOUT, fn, 50) then
    error("timed out waiting for " .. what)
  end
end

local function open(name)
  vim.cmd("edit " .. vim.fn.fnameescape(scenario.workspace .. "/" .. name))
  return vim.api.nvim_get_current_buf()
end

local function diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out, { code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code), line = d.lnum + 1, col = d.col })
  end
  table.sort(out, function(a, b)
    return a.line < b.line or (a.line == b.line and tostring(a.code) < tostring(b.code))
  end)
  return out
end

local function has_code(bufnr, code, line)
  for _, d in ipairs(diagnostics(bufnr)) do
    if d.code == code and (line == nil or d.line == line) then
      return true
    end
  end
  return false
end

local function text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

local scenarios = {}

function scenarios.diagnostics()
  local bufnr = open(scenario.file)
  wait("the diagnostic", function()
    return has_code(bufnr, scenario.code)
  end)
  result.diagnostics = diagnostics(bufnr)
  result.clients = #archls.clients(bufnr)
end

function scenarios.attach()
  result.attached = {}
  -- The first attachment waits for the server process to start, which takes seconds on a busy
  -- machine; after that a client attaches at once or not at all, and a wrongly attached one gets
  -- time to show up.
  local patience = 20000
  for _, name in ipairs(scenario.files) do
    local bufnr = open(name)
    vim.wait(patience, function()
      return #archls.clients(bufnr) > 0
    end, 50)
    result.attached[name] = #archls.clients(bufnr) > 0
    if result.attached[name] then
      patience = 1500
    end
  end
  result.kinds = {}
  for _, name in ipairs(scenario.files) do
    result.kinds[name] = archls.kind_of(name) or vim.NIL
  end
end

function scenarios.code_action()
  local bufnr = open(scenario.file)
  wait("the diagnostic to fix", function()
    return has_code(bufnr, scenario.code, scenario.line)
  end)
  local before = text(bufnr)
  vim.api.nvim_win_set_cursor(0, { scenario.line, scenario.col })
  local offered = {}
  -- The menu a user picks from: choose the fix by its title.
  vim.ui.select = function(items, opts, on_choice)
    local chosen
    for i, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or item.title or (item[2] and item[2].title) or tostring(item)
      table.insert(offered, title)
      if not chosen and title:find(scenario.title, 1, true) then
        chosen = i
      end
    end
    on_choice(chosen and items[chosen] or nil, chosen)
  end
  vim.lsp.buf.code_action()
  wait("the edit", function()
    return text(bufnr) ~= before
  end, 15000)
  wait("the diagnostic to go", function()
    return not has_code(bufnr, scenario.code, scenario.line)
  end)
  result.offered = offered
  result.text = text(bufnr)
  result.diagnostics = diagnostics(bufnr)
end

function scenarios.completion()
  local bufnr = open(scenario.file)
  wait("the server", function()
    return #archls.clients(bufnr) > 0 and #vim.diagnostic.get(bufnr) > 0
  end)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = scenario.line - 1, character = scenario.col },
  }
  local answers = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", params, 10000) or {}
  result.labels = {}
  for _, answer in pairs(answers) do
    local items = answer.result and (answer.result.items or answer.result) or {}
    for _, item in ipairs(items) do
      table.insert(result.labels, item.label)
    end
  end
end

function scenarios.export()
  local bufnr = open(scenario.file)
  wait("the server", function()
    local clients = archls.clients(bufnr)
    return #clients > 0 and clients[1].initialized ~= false and #vim.diagnostic.get(bufnr) > 0
  end)
  archls.last_result = nil
  vim.cmd("ArchlsExport " .. scenario.target)
  wait("the export", function()
    return archls.last_result ~= nil
  end, 60000)
  result.answer = archls.last_result
end

function scenarios.generate()
  -- :ArchlsGenerate with the description given; the file prompt is answered as a user would.
  local bufnr = open(scenario.file)
  wait("the server", function()
    local clients = archls.clients(bufnr)
    return #clients > 0 and clients[1].initialized ~= false
  end)
  vim.ui.input = function(opts, on_confirm)
    result.prompt = opts.prompt
    result.default = opts.default
    on_confirm(scenario.output)
  end
  archls.last_result = nil
  vim.cmd("ArchlsGenerate " .. scenario.description)
  wait("the architecture", function()
    return archls.last_result ~= nil and vim.api.nvim_buf_get_name(0) == scenario.output
  end, 60000)
  result.backend = archls.last_result.backend
  result.opened = vim.api.nvim_buf_get_name(0)
  result.first_line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
end

function scenarios.health()
  vim.cmd("checkhealth archls")
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  result.report = table.concat(lines, "\n")
end

function scenarios.show_document()
  -- The server asks the editor to show a page in the browser; the plugin hands it to xdg-open.
  local handler = archls.clients()[1] and nil
  local bufnr = open(scenario.file)
  wait("the server", function()
    return #archls.clients(bufnr) > 0
  end)
  local client = archls.clients(bufnr)[1]
  handler = client.handlers["window/showDocument"] or (client.config.handlers or {})["window/showDocument"]
  result.answer = handler(nil, { uri = scenario.uri, external = true }, { client_id = client.id, method = "window/showDocument" })
  wait("xdg-open", function()
    return (vim.uv or vim.loop).fs_stat(scenario.opened) ~= nil
  end, 10000)
  result.capability = vim.tbl_get and vim.tbl_get(client.config.capabilities or {}, "window", "showDocument", "support")
    or client.config.capabilities.window.showDocument.support
end

function scenarios.preview()
  -- :ArchlsPreview starts the live page; the server asks Neovim to open it (xdg-open, a stand-in).
  local bufnr = open(scenario.file)
  wait("the server", function()
    return #archls.clients(bufnr) > 0 and #vim.diagnostic.get(bufnr) > 0
  end)
  vim.cmd("ArchlsPreview")
  wait("the browser to be asked", function()
    return (vim.uv or vim.loop).fs_stat(scenario.opened) ~= nil
  end, 20000)
  wait("the preview's answer", function()
    return require("archls.preview").last_preview ~= nil
  end, 20000)
  result.answer = require("archls.preview").last_preview
  vim.cmd("ArchlsCompare " .. vim.fn.fnameescape(scenario.other))
  wait("the comparison", function()
    return vim.api.nvim_buf_get_name(0):find("archls://compare/", 1, true) ~= nil
  end, 20000)
  result.compare = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

function scenarios.new_from_spec()
  -- :ArchlsNew completes spec names and opens the new file, where the server attaches.
  vim.cmd("cd " .. vim.fn.fnameescape(scenario.workspace))
  result.completions = vim.fn.getcompletion("ArchlsNew ride", "cmdline")
  vim.cmd("ArchlsNew ride-hailing rides.arch.yaml")
  local bufnr = vim.api.nvim_get_current_buf()
  result.name = vim.api.nvim_buf_get_name(bufnr)
  wait("the server", function()
    return #archls.clients(bufnr) > 0
  end)
  result.lines = vim.api.nvim_buf_line_count(bufnr)
end

function scenarios.restart()
  local bufnr = open(scenario.file)
  wait("the first server", function()
    return #archls.clients(bufnr) > 0 and has_code(bufnr, scenario.code)
  end)
  local first = archls.clients(bufnr)[1].id
  vim.diagnostic.reset(nil, bufnr)
  vim.cmd("ArchlsRestart")
  wait("a new server", function()
    local clients = archls.clients(bufnr)
    return #clients > 0 and clients[1].id ~= first
  end)
  wait("diagnostics from the new server", function()
    return has_code(bufnr, scenario.code)
  end)
  result.first, result.second = first, archls.clients(bufnr)[1].id
end

local ok, err = pcall(function()
  archls.setup({ cmd = scenario.cmd, settings = { debounceMs = 0 } })
  scenarios[scenario.name]()
end)
if not ok then
  result.ok = false
  result.error = tostring(err)
  local bufnr = vim.api.nvim_get_current_buf()
  result.diagnostics_seen = diagnostics(bufnr)
  result.messages = vim.fn.execute("messages")
end
finish()
