-- Visitors of the Streamlit app, as far as an HTTP tool can go: the page shell, its static assets (passed
-- by the runner after "--"), the health check and the host configuration. Streamlit draws every page over
-- a websocket, which wrk cannot speak, so this measures the server's HTTP side only.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")
kgx_name = "app"

local paths = { "/", "/_stcore/health", "/_stcore/host-config" }
local counter = 0

function init(args)
  for _, path in ipairs(args) do
    table.insert(paths, path)
  end
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
