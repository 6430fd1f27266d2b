-- A user who sends runaway queries back to back: a 3-way cartesian product, an ORDER BY over a huge join and
-- a costly REGEX over one. Each must end in 422 (QueryTimeout or QueryTooLarge) at the time limit.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")
kgx_name = "runaway"

local queries = {
  "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
  "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY DESC(STR(?c)) ?f LIMIT 1",
  'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f)), "(a|aa)+z")) }',
}
local counter = 0

function request()
  counter = counter + 1
  local body = "query=" .. urlencode(queries[(counter % #queries) + 1])
  return wrk.format("POST", "/sparql", { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
