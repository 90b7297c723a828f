"""Encrypting column values for their row while statements are prepared (write side of the binding).

The column types cannot do this themselves: a bind processor sees one value, never its row. So two
event listeners, installed once for every engine and mapper when :mod:`bot.privacy` is imported,
put the row key next to the value:

- ``before_execute`` on every engine: an INSERT or UPDATE of a table with encrypted columns has its
  parameters rewritten, each plaintext value replaced by a :class:`~bot.privacy.columns.Sealed`
  ciphertext for (table, column, the row's ``row_key``). INSERTs get a fresh row key when none is
  given and have Python-side defaults of encrypted columns (``default=dict``) applied here, encrypted
  too. An UPDATE that sets an encrypted value must carry ``row_key`` in its parameters; a bulk
  ``update(...).values(col=value)`` over many rows cannot be bound (``None`` is fine: it erases).
- ORM flush events: a new object gets its row key (and encrypted defaults) before the INSERT, so the
  object knows them; an object whose encrypted attribute changed sends its ``row_key`` along with the
  UPDATE (it is flagged modified; the value is unchanged).

Mapping a model whose table has encrypted columns but no ``row_key`` fails at mapper configuration.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Mapper, attributes
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import ClauseElement

from bot.privacy.columns import ROW_KEY, Sealed, UnsealedValueError, is_encrypted, new_row_key

#: Encrypted columns per table. Every INSERT and UPDATE asks; an ORM statement's annotated table
#: hashes and compares like the table itself, so both find the same entry.
_ENCRYPTED_COLUMNS: dict[Any, tuple[Any, ...]] = {}


def encrypted_columns(table: Any) -> tuple[Any, ...]:
    """The encrypted columns of ``table`` (a Table, or the annotated one of an ORM statement)."""
    try:
        return _ENCRYPTED_COLUMNS[table]
    except (KeyError, TypeError):  # TypeError: something unhashable that is not a table
        pass
    columns = tuple(c for c in getattr(table, "columns", ()) if is_encrypted(c))
    with contextlib.suppress(TypeError):
        _ENCRYPTED_COLUMNS[table] = columns
    return columns


def _default_of(column: Any) -> tuple[bool, Any]:
    default = column.default
    if default is None or not getattr(default, "is_scalar", False) and not getattr(default, "is_callable", False):
        return False, None
    return True, default.arg(None) if default.is_callable else default.arg


def _seal(column: Any, table: str, value: Any, row_key: str | None) -> Any:
    if value is None or isinstance(value, Sealed | ClauseElement):
        return value
    if row_key is None:
        raise UnsealedValueError(
            f"{table}.{column.name}: an UPDATE that sets an encrypted value needs the row's {ROW_KEY} in its "
            "parameters (update a loaded object, or pass row_key with each row)"
        )
    return column.type.seal(value, table, column.name, row_key)


def _inline_values(statement: Any) -> dict[str, Any]:
    """The ``.values(...)`` of a single-row statement by column key, literal values unwrapped."""
    values: dict[str, Any] = {}
    for key, value in (getattr(statement, "_values", None) or {}).items():
        literal = getattr(value, "_is_bind_parameter", False) and getattr(value, "unique", False)
        values[getattr(key, "key", key)] = value.value if literal else value
    return values


def _seal_insert(columns: tuple[Any, ...], table: str, row: dict[str, Any],
                 inline: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One row of an INSERT: (its parameters, encrypted values that must replace inline ones).

    Parameters not given inline may be added: the statement then binds them like the others.
    """
    row_key = row.get(ROW_KEY) or inline.get(ROW_KEY) or new_row_key()
    override: dict[str, Any] = {}
    for column in columns:
        if column.key in row:
            row[column.key] = _seal(column, table, row[column.key], row_key)
        elif column.key in inline:
            sealed = _seal(column, table, inline[column.key], row_key)
            if sealed is not inline[column.key]:
                override[column.key] = sealed
        else:
            has_default, value = _default_of(column)
            if has_default:
                row[column.key] = _seal(column, table, value, row_key)
    if ROW_KEY not in row and ROW_KEY not in inline:
        row[ROW_KEY] = row_key
    return row, override


@event.listens_for(Engine, "before_execute", retval=True)
def _seal_parameters(conn: Any, statement: Any, multiparams: Any, params: Any,
                     execution_options: Any) -> tuple[Any, Any, Any]:
    if not isinstance(statement, Insert | Update):
        return statement, multiparams, params
    columns = encrypted_columns(statement.table)
    if not columns:
        return statement, multiparams, params
    try:
        return _sealed(statement, columns, multiparams, params)
    except UnsealedValueError:
        raise
    except Exception as exc:
        # Reported like a failing bind processor, without parameters: they are plaintext personal data.
        raise StatementError(f"cannot encrypt a value for {statement.table.name}: {type(exc).__name__}",
                             None, None, exc, hide_parameters=True) from exc


def _sealed(statement: Any, columns: tuple[Any, ...], multiparams: Any, params: Any) -> tuple[Any, Any, Any]:
    table = statement.table.name
    if getattr(statement, "_multi_values", None):
        raise UnsealedValueError(f"{table}: multi-row .values([...]) with encrypted columns; pass the rows as "
                                 "parameters: session.execute(insert(Model), rows)")
    inline = _inline_values(statement)
    if isinstance(statement, Update):
        for column in columns:
            if column.key in inline:
                _seal(column, table, inline[column.key], None)  # None and SQL pass; plaintext cannot be bound

        def update_row(row: Mapping[str, Any]) -> dict[str, Any]:
            out = dict(row)
            for column in columns:
                if column.key in out:
                    out[column.key] = _seal(column, table, out[column.key], out.get(ROW_KEY))
            return out

        if multiparams:
            return statement, [update_row(row) for row in multiparams], params
        return statement, multiparams, update_row(params) if params else params
    if multiparams and len(multiparams) > 1:
        if ROW_KEY in inline or any(c.key in inline for c in columns):
            raise UnsealedValueError(f"{table}: several rows cannot share inline encrypted values or a row key")
        return statement, [_seal_insert(columns, table, dict(row), inline)[0] for row in multiparams], params
    row, override = _seal_insert(columns, table, dict(multiparams[0] if multiparams else params or {}), inline)
    if override:
        statement = statement.values(**override)
    return statement, ([row] if multiparams else multiparams), (params if multiparams else row)


# Mapper -> ((attribute key, column), ...) of its encrypted columns, filled at mapper configuration.
_ENCRYPTED: weakref.WeakKeyDictionary[Mapper[Any], tuple[tuple[str, Any], ...]] = weakref.WeakKeyDictionary()


def _mapped_encrypted(mapper: Mapper[Any]) -> tuple[tuple[str, Any], ...]:
    return _ENCRYPTED.get(mapper, ())


@event.listens_for(Mapper, "mapper_configured")
def _check_row_key(mapper: Mapper[Any], class_: type) -> None:
    table = mapper.local_table
    columns = encrypted_columns(table)
    if not columns:
        return
    if ROW_KEY not in getattr(table, "c", {}):
        raise TypeError(
            f"{class_.__name__} ({table.name}) has encrypted columns but no {ROW_KEY}: "
            "inherit bot.privacy.RowKeyed (and add the column in its migration)"
        )
    _ENCRYPTED[mapper] = tuple(
        (mapper.get_property_by_column(c).key, c) for c in columns
    )


@event.listens_for(Mapper, "before_insert")
def _prepare_insert(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    encrypted = _mapped_encrypted(mapper)
    if not encrypted:
        return
    if getattr(target, ROW_KEY, None) is None:
        setattr(target, ROW_KEY, new_row_key())
    state = attributes.instance_state(target)
    for key, column in encrypted:
        if key not in state.dict:
            has_default, value = _default_of(column)
            if has_default:
                setattr(target, key, value)  # the object holds the plaintext the row gets


@event.listens_for(Mapper, "before_update")
def _send_row_key(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    encrypted = _mapped_encrypted(mapper)
    if not encrypted:
        return
    state = attributes.instance_state(target)
    if not any(attributes.get_history(target, key).added for key, _ in encrypted):
        return
    if ROW_KEY not in state.dict:  # expired since loading: read it on the flush's own connection
        table = mapper.local_table
        pk = mapper.primary_key_from_instance(target)
        where = [c == v for c, v in zip(mapper.primary_key, pk, strict=True)]
        attributes.set_committed_value(target, ROW_KEY, connection.scalar(select(table.c[ROW_KEY]).where(*where)))
    if state.dict.get(ROW_KEY) is None:  # a row inserted outside the application: it gets its key now
        setattr(target, ROW_KEY, new_row_key())
    else:
        attributes.flag_modified(target, ROW_KEY)
