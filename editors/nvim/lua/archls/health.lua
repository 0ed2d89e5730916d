-- :checkhealth archls — is the server there, and which version.

local M = {}

local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  start("archls")
  local archls = require("archls")
  if not archls.setup_done then
    warn('require("archls").setup() has not run: no buffer gets the server', { 'Call require("archls").setup({}) in your init.lua' })
  end
  local cmd = archls.options.cmd or { "archls", "serve" }
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    error(exe .. " is not an executable on PATH", {
      "pip install archls (or pipx install archls)",
      'or point the plugin at it: require("archls").setup({ cmd = { "/path/to/archls", "serve" } })',
    })
    return
  end
  ok("server command: " .. table.concat(cmd, " ") .. " (" .. vim.fn.exepath(exe) .. ")")
  local version = vim.deepcopy(cmd)
  if version[#version] == "serve" then
    version[#version] = "--version"
  else
    table.insert(version, "--version")
  end
  local out = vim.fn.system(version)
  if vim.v.shell_error == 0 then
    ok("version: " .. vim.trim(out))
  else
    error("`" .. table.concat(version, " ") .. "` failed: " .. vim.trim(out))
  end
  local clients = archls.clients()
  info(("%d archls client%s running"):format(#clients, #clients == 1 and "" or "s"))
end

return M
