"""Which web addresses may stand as evidence, and which kinds of host never may.

A claim's source is the canonical document: the DOI, the PubMed or PMC record, the trial registry entry, or
the regulator's or labeler's own page. Copies, content farms, press releases, news, blogs, wikis and social
media may say where something was *seen* (``kgx:seenIn``, ``kgx:readAt``), never stand as the evidence
(``dcterms:source``). ``canonical_problem`` says why an address cannot be a canonical source, and
``host_kind`` names the kind of a host that is never evidence.

>>> canonical_problem("https://doi.org/10.1176/appi.ajp.2021.21030277") is None
True
>>> host_kind("https://www.theguardian.com/society/2019/feb/04/x")
'news'
>>> canonical_problem("https://moreblossom.com/papers/x").split(",")[0]
'moreblossom.com is a copy or summary site (a mirror)'
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["DENIED_HOSTS", "canonical_problem", "host_kind"]

#: Hosts that are never evidence, by kind. Matching is on the host or any parent domain.
DENIED_HOSTS: dict[str, tuple[str, ...]] = {
    "a copy or summary site (a mirror)": (
        "moreblossom.com",
        "blossomanalysis.com",
        "bloompsychedelic.com",
        "ibogainedossier.com",
        "meddatax.com",
        "clinicaltrialexchange.com",
        "ignite-sd.com",
        "nutritiontheory.org",
        "ihr.stoynev.us",
        "homsy-staging.cambridgecore.org",
        "scribd.com",
        "docslib.org",
        "docplayer.net",
        "docksci.com",
        "issuu.com",
        "elogim.com",
    ),
    "wiki": (
        "wikipedia.org",
        "wikisum.wiki",
        "handwiki.org",
        "infogalactic.com",
        "piglix.com",
        "wiki.sarg.dev",
        "psychonautwiki.org",
        "erowid.org",
        "fandom.com",
        "wikiwand.com",
        "wikimili.com",
        "askwikinow.com",
        "owiki.org",
        "clateway.com",
        "cnmilf.com",
    ),
    "news": (
        "theguardian.com",
        "koin.com",
        "pharmalive.com",
        "biocentury.com",
        "financetom.com",
        "marketscreener.com",
        "reuters.com",
        "nytimes.com",
        "statnews.com",
        "healio.com",
        "tristatehomepage.com",
        "lucid.news",
        "psynews.com",
        "psychedelicinvest.com",
        "psychedelicalpha.com",
        "thepoweroftruth.com",
        "openminds.com",
        "fuquacenter.org",
        "newsfilecorp.com",
        "funandflip.com",
        "icaroconnect.com",
        "cnn.com",
        "bbc.co.uk",
        "bbc.com",
        "npr.org",
        "axios.com",
        "forbes.com",
        "benzinga.com",
        "ktvz.com",
        "crainsnewyork.com",
    ),
    "press release": ("prnewswire.com", "businesswire.com", "globenewswire.com", "accesswire.com"),
    "social media": ("reddit.com", "safereddit.com", "lemmy.eco.br", "x.com", "twitter.com", "facebook.com"),
    "blog": (
        "medium.com",
        "substack.com",
        "blogspot.com",
        "wordpress.com",
        "theawakeningheart.love",
        "herbmuseum.ca",
        "grecc.org",
    ),
}
_DENIED = {host: kind for kind, hosts in DENIED_HOSTS.items() for host in hosts}

# Canonical evidence: identifiers' resolvers, registries, and regulators' or labelers' own sites.
_CANONICAL = (
    re.compile(r"^https://doi\.org/10\.\d{4,9}/\S+$"),
    re.compile(r"^https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/?$"),
    re.compile(r"^https://pmc\.ncbi\.nlm\.nih\.gov/articles/PMC\d+/?$"),
    re.compile(r"^https://clinicaltrials\.gov/study/NCT\d{8}$"),
    re.compile(r"^https://www\.isrctn\.com/ISRCTN\d{8}$"),
    re.compile(r"^https://www\.clinicaltrialsregister\.eu/ctr-search/\S+$"),
    re.compile(r"^https://(?:www\.)?anzctr\.org\.au/\S+$"),
)
_OFFICIAL_SUFFIXES = (
    ".gov",
    ".gov.au",
    ".gov.uk",
    ".gc.ca",
    ".canada.ca",
    ".europa.eu",
    ".admin.ch",
    ".who.int",
    ".nhs.uk",
)
# Journal publishers: the paper itself on its publisher's site is canonical when no DOI was shown.
_PUBLISHERS = (
    "jamanetwork.com",
    "psychiatrist.com",
    "nature.com",
    "thelancet.com",
    "nejm.org",
    "psychiatryonline.org",
    "sciencedirect.com",
    "springer.com",
    "wiley.com",
    "tandfonline.com",
    "sagepub.com",
    "cambridge.org",
    "bmj.com",
    "frontiersin.org",
    "biomedcentral.com",
    "plos.org",
    "academic.oup.com",
    "cell.com",
    "mdpi.com",
    "hkmj.org",
    "jsatjournal.com",
    "karger.com",
    "lww.com",
    "jneurosci.org",
    "pnas.org",
    "science.org",
    "elifesciences.org",
    "ahajournals.org",
    "acpjournals.org",
    "thieme-connect.com",
    "liebertpub.com",
)
_OFFICIAL_HOSTS = (
    "canada.ca",
    "europa.eu",
    "who.int",
    "unodc.org",
    "incb.org",
    "nice.org.uk",
    "legislation.gov.uk",
    "swissmedic.ch",
    "bfarm.de",
    "janssenlabels.com",
    "medicines.org.uk",
    "dailymed.nlm.nih.gov",
    "nlm.nih.gov",
    "cochranelibrary.com",
    "talktofrank.com",
    "euda.europa.eu",
    "emcdda.europa.eu",
)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_kind(url: str) -> str | None:
    """The kind of host that is never evidence (``news``, ``wiki``, ``blog`` …), or None.

    >>> host_kind("https://en.wikipedia.org/wiki/Ketamine")
    'wiki'
    >>> host_kind("https://pubmed.ncbi.nlm.nih.gov/34933885/") is None
    True
    >>> host_kind("https://blog.example.com/ketamine"), host_kind("https://www.scribd.com/document/1")
    ('blog', 'a copy or summary site (a mirror)')
    """
    host = _host(url)
    parts = host.split(".")
    for i in range(len(parts) - 1):
        kind = _DENIED.get(".".join(parts[i:]))
        if kind is not None:
            return kind
    if parts[0] == "blog" and len(parts) > 2:  # a company's or journal's blog: blog.example.com
        return "blog"
    return None


def canonical_problem(url: str) -> str | None:
    """Why ``url`` cannot stand as a claim's source, or None when it can."""
    kind = host_kind(url)
    host = _host(url)
    if kind is not None:
        return f"{host} is {kind}, never the evidence: cite the DOI, PubMed, registry or regulator page"
    if any(p.match(url) for p in _CANONICAL):
        return None
    if not url.startswith(("https://", "http://")) or not host:
        return f"{url!r} is not a web address of the document"
    known = (*_OFFICIAL_HOSTS, *_PUBLISHERS)
    if host in known or any(host.endswith("." + h) for h in known) or host.endswith(_OFFICIAL_SUFFIXES):
        return None
    return (
        f"{host} is not a canonical source: use https://doi.org/<DOI>, https://pubmed.ncbi.nlm.nih.gov/<PMID>/, "
        "https://clinicaltrials.gov/study/<NCT>, the publisher's article page, or the regulator's or labeler's own page"
    )
