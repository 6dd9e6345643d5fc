"""``insert_rows``: new rows in one INSERT whose SQL Django's compiler writes once per shape, not per call.

A report's submission writes seven rows in its transaction (the form token, the case, its keys, the receipt
key, the clocks, the acknowledgement, the audit events). Through ``Model.save`` or ``bulk_create`` each insert
spends most of its time compiling the same SQL again (about 70 µs for a two-column row, against 22 µs for the
statement itself); on a server busy with Argon2id that compiling runs with cold caches and costs twice as much.
Here the statement is compiled by Django's own ``SQLInsertCompiler`` the first time a model is inserted with a
given set of fields and number of rows, and kept; every later call only prepares the values, exactly as the
compiler does (``Field.pre_save`` then ``Field.get_db_prep_save``), and runs it.

It lives in ``audit/``, the bottom of the package graph, so every package's hot write path can use it. Rows must
be plain values (no ``F()`` or other expressions), of a model without parents, and their primary keys are not
read back: an automatic key stays ``None`` on the object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=models.Model)

MAX_ROWS_PER_STATEMENT = 32
# (database alias, model, field names, number of rows) -> (statement, whether it takes one array per column).
_STATEMENTS: dict[tuple[str, type[models.Model], tuple[str, ...], int], tuple[str, bool]] = {}


def insert_rows(rows: Sequence[models.Model], *, using: str = "default") -> None:
    """INSERT ``rows`` (all of one model; one statement per 32), inside the caller's transaction if there is one.

    As ``bulk_create`` without reading keys back: fields are filled as a save fills them (defaults, ``auto_now``),
    no signal is sent, and each row is marked as saved (``_state.adding`` False). Raises what the database raises
    (e.g. ``IntegrityError`` for a duplicate).
    """
    if not rows:
        return
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        raise TypeError("insert_rows: every row must be of the same model")
    opts = model._meta
    if opts.parents:
        raise TypeError("insert_rows: models with parents are not supported")
    connection = connections[using]
    # An automatic primary key left empty is the database's to fill, as in bulk_create.
    auto = opts.auto_field
    keyless = [auto is not None and getattr(row, auto.attname) is None for row in rows]
    if any(keyless) and not all(keyless):
        raise TypeError("insert_rows: either every row has its automatic key or none has")
    fields = [field for field in opts.local_concrete_fields if not (field is auto and all(keyless))]
    # At most this many rows per statement: the statements kept stay few, and far below any limit on parameters.
    # (One row is one statement: most inserts are, and asking the backend costs more than the insert's values.)
    size = 1 if len(rows) == 1 else max(1, min(MAX_ROWS_PER_STATEMENT, connection.ops.bulk_batch_size(fields, rows)))
    for start in range(0, len(rows), size):
        _insert(connection, model, fields, rows[start : start + size])
    for row in rows:
        row._state.adding = False
        row._state.db = using


def new_row(model: type[M], **values: Any) -> M:
    """Return a new, unsaved ``model`` instance: what ``model(**values)`` returns, made directly.

    ``values`` name concrete fields by name or attname (``case=case`` or ``case_id=case.id``); the other fields
    get their defaults. Django's constructor handles every way of calling it (positional values, properties,
    deferred fields, signals) and cost 15-95 µs per row of a report's submission on a busy server, a tenth of
    its Python; this sets the values as it does for these calls (a related object through its descriptor, so
    it is cached and checked as Django does). A model with ``pre_init`` or ``post_init`` receivers goes to
    Django.
    """
    if pre_init.receivers or post_init.receivers:
        if pre_init.has_listeners(model) or post_init.has_listeners(model):
            return model(**values)
    plan = _PLANS.get(model) or _plan(model)
    row = model.__new__(model)
    row._state = ModelState()
    data = row.__dict__
    data.update(plan.constants)
    for attname, name, make in plan.makers:
        if attname not in values and name not in values:
            data[attname] = make()
    related = []
    for key, value in values.items():
        target = plan.targets.get(key)
        if target is None:
            raise TypeError(f"{model.__name__}() got an unexpected keyword argument {key!r}")
        attname, by_relation = target
        if by_relation:
            related.append((key, value))
        else:
            data[attname] = value
    for name, value in related:
        setattr(row, name, value)
    return row


@dataclass(frozen=True)
class _Plan:
    """How ``new_row`` fills a model's concrete fields."""

    constants: dict[str, Any]  # attname -> the default Django's get_default gives every time (None, "", a value)
    makers: tuple[tuple[str, str, Any], ...]  # (attname, name, the field's get_default) for made defaults
    targets: dict[str, tuple[str, bool]]  # name or attname -> (attname, whether it is a related object's name)


def _plan(model: type[models.Model]) -> _Plan:
    constants: dict[str, Any] = {}
    makers = []
    targets: dict[str, tuple[str, bool]] = {}
    for field in model._meta.concrete_fields:
        targets[field.attname] = (field.attname, False)
        if field.is_relation:
            targets[field.name] = (field.attname, True)
        # Field.get_default for a fixed default (or none) returns the same value each time; a callable
        # default (uuid4, now) or a field's own get_default (BinaryField's) is asked for each row.
        if type(field).get_default is models.Field.get_default and not callable(field.default):
            constants[field.attname] = field.get_default()
        else:
            makers.append((field.attname, field.name, field.get_default))
    plan = _PLANS[model] = _Plan(constants=constants, makers=tuple(makers), targets=targets)
    return plan


# model -> how new_row fills it.
_PLANS: dict[type[models.Model], _Plan] = {}


def _insert(connection: Any, model: type[models.Model], fields: list[Any], rows: Sequence[models.Model]) -> None:
    values: list[list[Any]] = []
    for row in rows:
        prepared = []
        for field in fields:
            value = field.pre_save(row, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"insert_rows: {field.name} holds an expression")
            prepared.append(field.get_db_prep_save(value, connection=connection))
        values.append(prepared)
    # Compiled after the values are checked: Django's compiler would refuse an expression with its own error.
    key = (connection.alias, model, tuple(field.attname for field in fields), len(rows))
    compiled = _STATEMENTS.get(key)
    if compiled is None:
        compiled = _STATEMENTS[key] = _compile(model, fields, rows, connection.alias)
    statement, by_column = compiled
    # PostgreSQL's compiler inserts several rows as UNNEST of one array per column.
    params = [list(column) for column in zip(*values, strict=True)] if by_column else [v for row in values for v in row]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _compile(
    model: type[models.Model], fields: list[Any], rows: Sequence[models.Model], using: str
) -> tuple[str, bool]:
    """Return the INSERT statement Django writes for ``rows`` of ``model`` with ``fields`` (placeholders only),
    and whether it takes one array of values per column (PostgreSQL's UNNEST) instead of one value per cell."""
    query = InsertQuery(model)
    query.insert_values(fields, list(rows), raw=False)
    compiler = query.get_compiler(using=using)
    statements = compiler.as_sql()
    if len(statements) != 1:
        raise TypeError("insert_rows: Django split the insert; insert fewer rows at once")
    statement, _params = statements[0]
    placeholders = statement.count("%s")
    if placeholders == len(fields) * len(rows):
        return str(statement), False
    if len(rows) > 1 and placeholders == len(fields) and "UNNEST" in statement:
        return str(statement), True
    # A field with its own placeholder SQL (none in Peluit) would make the text depend on the values.
    raise TypeError(f"insert_rows: {model.__name__} needs placeholders this helper does not write")
