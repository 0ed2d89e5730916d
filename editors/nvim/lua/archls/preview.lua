-- :ArchlsPreview and :ArchlsCompare. The server draws everything: archls.preview starts the live page
-- on 127.0.0.1 and asks Neovim to open it (window/showDocument, handled in init.lua); archls.compare
-- answers the comparison as text (shown in a scratch split) and as an HTML page (opened with a bang).

local M = {}

local function notify(message, level)
  vim.notify("archls: " .. message, level or vim.log.levels.INFO)
end

--- :ArchlsPreview - the live diagram of the current buffer in the browser.
function M.preview(bufnr)
  local archls = require("archls")
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  return archls.execute("archls.preview", { vim.uri_from_bufnr(bufnr) }, function(result)
    M.last_preview = result
    if type(result) == "table" and result.url then
      notify("preview at " .. result.url)
    end
  end, bufnr)
end

local function scratch(name, lines)
  vim.cmd("botright new")
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  return buf
end

--- :ArchlsCompare {file} - the current architecture against another file, side by side as text;
--- :ArchlsCompare! {file} opens both diagrams side by side in the browser.
function M.compare(file, html, bufnr)
  local archls = require("archls")
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if not file or file == "" then
    notify("give the file to compare with: :ArchlsCompare {file}", vim.log.levels.WARN)
    return false
  end
  local other = vim.uri_from_fname(vim.fn.fnamemodify(file, ":p"))
  return archls.execute("archls.compare", { vim.uri_from_bufnr(bufnr), other, html and "html" or "json" }, function(result)
    M.last_compare = result
    if type(result) ~= "table" then
      return
    end
    if html and type(result.html) == "string" then
      local page = vim.fn.tempname() .. ".html"
      vim.fn.writefile(vim.split(result.html, "\n", { plain = true }), page)
      archls.open_external(vim.uri_from_fname(page))
      return
    end
    scratch("archls://compare/" .. vim.fn.fnamemodify(file, ":t"), vim.split(result.text or "", "\n", { plain = true }))
  end, bufnr)
end

return M
