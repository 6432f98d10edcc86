"""Cursor pagination: newest first, the cursor names the last row seen (stable under
inserts, and an index range scan at any depth, unlike OFFSET)."""

from __future__ import annotations

import base64
import binascii

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from ra_console.api.problems import refuse

MAX_LIMIT = 200


class PageArgs(Schema):
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item_schema), required=True),
                             "next_cursor": fields.String(allow_none=True, required=True)},
                            name=name)


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        refuse(400, "bad_cursor", _("This cursor is not valid; start again without one."))
    return value


def _encode(row_id: int) -> str:
    return base64.urlsafe_b64encode(str(row_id).encode()).rstrip(b"=").decode()


def paginate(session, query, id_column, args: dict) -> dict:
    """One page of `query` (a select of model rows) by descending `id_column`."""
    if args.get("cursor"):
        query = query.where(id_column < _decode(args["cursor"]))
    limit = args["limit"]
    rows = list(session.exec(query.order_by(id_column.desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": _encode(rows[-1].id) if more else None}
