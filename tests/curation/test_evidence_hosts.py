"""Which hosts are never evidence: no dcterms:source anywhere in the bundled graph, entities included, is one."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS

from kgexplorer.curation.evidence_hosts import DENIED_HOSTS, canonical_problem, host_kind
from kgexplorer.engine.store import bundled_data_files


def test_no_source_in_the_bundled_graph_is_a_denied_kind_of_host() -> None:
    """Wikis, blogs, news, press releases, social media and copy sites may say where something was seen
    (kgx:seenIn, kgx:readAt), never stand as the source of a claim, a study or an entity's definition."""
    found = []
    sources = 0
    for path in bundled_data_files():
        g = Graph()
        g.parse(path, format="turtle")
        for node, url in g.subject_objects(DCTERMS.source):
            sources += 1
            if kind := host_kind(str(url)):
                found.append(f"{path.name}: {node} dcterms:source {url} ({kind})")
    assert sources > 500, "the bundled graph's sources were read"
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://en.wikipedia.org/wiki/Ketamine", "wiki"),
        ("http://piglix.com/piglix/LSD-25", "wiki"),
        ("https://www.erowid.org/chemicals/ketamine/ketamine_timeline.php", "wiki"),
        ("https://blog.pepid.com/2019/03/20/fda-approves-spravato/", "blog"),
        ("https://someone.blogspot.com/2012/01/post.html", "blog"),
        ("https://www.scribd.com/document/414180775/Neuritogeneze", "a copy or summary site (a mirror)"),
        ("https://ktvz.com/news/2023/01/03/oregon", "news"),
        ("https://www.prnewswire.com/news-releases/x.html", "press release"),
    ],
)
def test_host_kinds(url: str, kind: str) -> None:
    assert host_kind(url) == kind
    assert canonical_problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://doi.org/10.1176/appi.ajp.2021.21030277",
        "https://pubmed.ncbi.nlm.nih.gov/34933885/",
        "https://clinicaltrials.gov/study/NCT03097133",
        "https://www.ncbi.nlm.nih.gov/books/NBK424847/",
        "https://blogger-free.example.org/blogging",
    ],
)
def test_canonical_and_ordinary_hosts_are_not_denied(url: str) -> None:
    assert host_kind(url) is None


def test_every_denied_host_is_listed_once() -> None:
    hosts = [h for hosts in DENIED_HOSTS.values() for h in hosts]
    assert len(hosts) == len(set(hosts))
