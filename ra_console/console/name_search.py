"""The certificate list's search by name, answered from the narrow `certificate_name` table
(models/certificate_name.py): the same rows as Flask-Admin's ILIKE on common_name, found
through a trigram index on a lower-cased copy, counted and ranked without touching the wide
certificate rows (docs/performance.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, literal, select

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

    def rank(self):
        """0 the name as typed, 1 every term a whole word (in any order; a hyphen
        separates words), 2 every term the start of a word, 3 a part of a word: "Lena"
        finds Lena before Helena."""
        padded = literal(" ") + func.replace(CertificateName.name_key, "-", " ") + literal(" ")
        return case(
            (CertificateName.name_key == " ".join(self.words), 0),
            (and_(*[padded.like(f"% {w} %") for w in self.words]), 1),
            (and_(*[padded.like(f"% {w}%") for w in self.words]), 2),
            else_=3)


def ranked_page(names: NameTerms, page: int | None, page_size: int | None):
    """A subquery of one page of matching certificate ids (`certificate_id`), ranked
    (then newest first) as `position`, with the count of all matches as `total` (window
    functions over the narrow table: one index scan for both)."""
    order = (names.rank(), CertificateName.created_at.desc(),
             CertificateName.certificate_id.desc())
    ranked = (select(CertificateName.certificate_id, func.count().over().label("total"),
                     func.row_number().over(order_by=order).label("position"))
              .where(*names.conditions()).order_by(*order))
    if page_size:
        ranked = ranked.limit(page_size).offset((page or 0) * page_size)
    return ranked.subquery("ranked")


def count_of(session, names: NameTerms) -> int:
    return session.execute(select(func.count()).select_from(CertificateName)
                           .where(*names.conditions())).scalar_one()


def count_and_ids(session, names: NameTerms, page: int | None,
                  page_size: int | None) -> tuple[int, list[int]]:
    """Count and one page of certificate ids, ranked, for an actor who sees every
    certificate, in one statement."""
    ranked = ranked_page(names, page, page_size)
    found = session.execute(select(ranked.c.certificate_id, ranked.c.total)
                            .order_by(ranked.c.position)).all()
    if not found:  # nothing, or a page past the end: the count by itself
        return (count_of(session, names) if page else 0), []
    return found[0].total, [row.certificate_id for row in found]
