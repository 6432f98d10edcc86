"""The certificate list's search by name, answered from the narrow `certificate_name` table
(models/certificate_name.py): the same rows as Flask-Admin's ILIKE on common_name, found
through a trigram index on a lower-cased copy, counted and ranked without touching the wide
certificate rows (docs/performance.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Subquery, and_, bindparam, case, func, literal, select

from ra_console.models import Certificate, CertificateName
from ra_console.models.certificate_name import name_key


@dataclass
class NameTerms:
    patterns: list[str] = field(default_factory=list)  # LIKE patterns on the name key
    words: list[str] = field(default_factory=list)     # the typed names, for the rank

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def add(self, term: str, pattern: str) -> None:
        self.patterns.append(name_key(pattern))
        self.words.append(name_key(term.lstrip("=")))

    def conditions(self) -> list:
        return [CertificateName.name_key.like(p) for p in self.patterns]

    def certificate_ids(self):
        """Certificates whose name matches every term (a semi-join for the generic list)."""
        return Certificate.id.in_(select(CertificateName.certificate_id)
                                  .where(*self.conditions()))

    def params(self) -> dict[str, str]:
        """The values of the ranked statement's parameters (see _ranked)."""
        values = {"typed": " ".join(self.words)}
        for i, (pattern, word) in enumerate(zip(self.patterns, self.words, strict=True)):
            values |= {f"pattern{i}": pattern, f"whole{i}": f"% {word} %",
                       f"start{i}": f"% {word}%"}
        return values


class RankedPage(NamedTuple):
    subquery: Subquery  # certificate_id, total (the count of all matches), position
    params: dict


def ranked_page(names: NameTerms, page: int | None, page_size: int | None) -> RankedPage:
    """One page of matching certificate ids (`certificate_id`), ranked (then newest first)
    as `position`, with the count of all matches as `total` (window functions over the
    narrow table: one index scan for both); the statement with its parameters."""
    params = names.params()
    if page_size:
        params |= {"limit": page_size, "offset": (page or 0) * page_size}
    return RankedPage(_ranked(len(names.patterns), bool(page_size)), params)


@lru_cache(maxsize=32)
def _ranked(terms: int, paged: bool) -> Subquery:
    """The statement for this many terms, made once (building it cost a search page more
    than PostgreSQL's work); the terms are bound parameters. The rank: 0 the name as typed,
    1 every term a whole word (in any order; a hyphen separates words), 2 every term the
    start of a word, 3 a part of a word: "Lena" finds Lena before Helena."""
    key = CertificateName.name_key
    padded = literal(" ") + func.replace(key, "-", " ") + literal(" ")
    rank = case(
        (key == bindparam("typed"), 0),
        (and_(*[padded.like(bindparam(f"whole{i}")) for i in range(terms)]), 1),
        (and_(*[padded.like(bindparam(f"start{i}")) for i in range(terms)]), 2),
        else_=3)
    order = (rank, CertificateName.created_at.desc(), CertificateName.certificate_id.desc())
    ranked = (select(CertificateName.certificate_id, func.count().over().label("total"),
                     func.row_number().over(order_by=order).label("position"))
              .where(*[key.like(bindparam(f"pattern{i}")) for i in range(terms)])
              .order_by(*order))
    if paged:
        ranked = ranked.limit(bindparam("limit")).offset(bindparam("offset"))
    return ranked.subquery("ranked")


def count_of(session, names: NameTerms) -> int:
    return session.execute(select(func.count()).select_from(CertificateName)
                           .where(*names.conditions())).scalar_one()


def count_and_ids(session, names: NameTerms, page: int | None,
                  page_size: int | None) -> tuple[int, list[int]]:
    """Count and one page of certificate ids, ranked, for an actor who sees every
    certificate, in one statement."""
    ranked, params = ranked_page(names, page, page_size)
    found = session.execute(select(ranked.c.certificate_id, ranked.c.total)
                            .order_by(ranked.c.position), params).all()
    if not found:  # nothing, or a page past the end: the count by itself
        return (count_of(session, names) if page else 0), []
    return found[0].total, [row.certificate_id for row in found]


def named(pattern: str):
    """The ids of the certificates whose name matches one LIKE pattern (as ILIKE on the
    name would), for a term that may also be something else (console/views.py)."""
    return select(CertificateName.certificate_id).where(
        CertificateName.name_key.like(name_key(pattern)))
