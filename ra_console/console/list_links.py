"""The links of a list page (sort, page, page size, export, clear), in Flask-Admin's URL
scheme (`BaseModelView._get_list_url`: page, sort, desc, search, extra arguments, page size,
filters), made from one base URL and the page's arguments: a list page has about twenty of
them, and one `url_for` each cost a certificate list more than its rows
(docs/performance.md)."""

from __future__ import annotations

from urllib.parse import urlencode


class ListLinks:
    def __init__(self, base: str, export_base: str, *, page: int, sort: int | None,
                 desc: bool, search: str | None, extra_args: dict, page_size: int,
                 filter_args: dict, query_args: list[tuple[str, str]]):
        self.base = base
        self.export_base = export_base
        self.args = {"page": page or None, "sort": sort, "desc": 1 if desc else None,
                     "search": search or None, **extra_args, "page_size": page_size,
                     **filter_args}
        self.query_args = query_args  # the request's own arguments, for the export

    def url(self, **changes) -> str:
        """This page with some arguments changed (None drops one)."""
        args = {**self.args, **changes}
        query = urlencode([(k, v) for k, v in args.items() if v is not None])
        return f"{self.base}?{query}" if query else self.base

    def page(self, number: int) -> str:
        return self.url(page=number or None)

    def sort(self, column: int, invert: bool = False) -> str:
        """Sorted by `column`; `invert` turns the current order of the sorted column."""
        desc = 1 if invert and not self.args["desc"] else None
        return self.url(sort=column, desc=desc)

    def page_size(self, size: int) -> str:
        return self.url(page_size=size)

    def cleared(self) -> str:
        """The first page without search and filters, keeping order and page size."""
        filters = {k: None for k in self.args if k.startswith("flt")}
        return self.url(page=None, search=None, **filters)

    def export(self) -> str:
        query = urlencode(self.query_args)
        return f"{self.export_base}?{query}" if query else self.export_base
