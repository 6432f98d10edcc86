"""Cursor pagination: newest first, the cursor names the last row seen (stable under
inserts, and an index range scan at any depth, unlike OFFSET)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_LIMIT = 200
NO_NUL = validate.Regexp(r"^[^\x00]*$")  # the app refuses NUL in any input (T17)


def sized(min: int | None = None, max: int | None = None) -> list:
    """A text's validators: its length, and no NUL (stated in the document too)."""
    return [validate.Length(min=min, max=max), NO_NUL]


class PageArgs(Schema):
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,9}$"),
                           metadata={"description": "next_cursor of the previous page "
                                                    "(opaque: pass it back as it is)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema), required=True),
                             "next_cursor": fields.String(allow_none=True, required=True)},
                            name=name)


def paginate(session, query, id_column, args: dict) -> dict:
    """One page of `query` (a select of model rows) by descending `id_column`."""
    if args.get("cursor"):
        query = query.where(id_column < int(args["cursor"]))
    limit = args["limit"]
    rows = list(session.exec(query.order_by(id_column.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": str(rows[-1].id) if more else None}
