-- Ordinary users of `kgexplorer serve`: the SPARQL queries the app and a student send, in turn, plus the
-- service description. Every response should be 200.
package.path = debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua;" .. package.path
require("common")
kgx_name = "endpoint"

local queries = {
  "SELECT ?s ?label WHERE { ?s a kgx:Substance ; rdfs:label ?label } ORDER BY ?label LIMIT 20",
  "ASK { kg:ketamine a kgx:Substance }",
  "SELECT ?c ?p ?o WHERE { ?c a kgx:Claim ; kgx:subject kg:ketamine ; kgx:predicate ?p ; kgx:object ?o } LIMIT 50",
  "CONSTRUCT { kg:ketamine ?p ?o } WHERE { kg:ketamine ?p ?o }",
  "DESCRIBE kg:alcohol_use_disorder",
  "SELECT ?level (COUNT(?c) AS ?n) WHERE { ?c a kgx:Claim ; kgx:evidenceLevel ?level } GROUP BY ?level",
  'SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER(CONTAINS(LCASE(STR(?l)), "ket")) } LIMIT 20',
}
local paths = {}
local counter = 0

function init(args)
  for i, q in ipairs(queries) do
    paths[i] = "/sparql?query=" .. urlencode(q)
  end
  table.insert(paths, "/service-description")
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], { Accept = "application/sparql-results+json, text/turtle" })
end
