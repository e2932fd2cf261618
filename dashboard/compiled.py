"""Compile a query's shape once per process; bind each request's values to it.

Building and compiling a Django queryset costs Python time on every request, and the
dashboard's queries are big (annotations, conditional counts, subqueries): at 10,000 pilots
their compilation cost more than half of the page's Python time. Their SQL text, though,
depends only on the query's *shape* (which filters are in use, who is reading), not on the
filter values, the reader's id or the time. SQLAlchemy caches compiled statements for the
same reason; this is that idea for a few hot querysets.

A `CompiledQuery` wraps a builder, `build(shape, values) -> QuerySet`. The first time a
shape is seen, the builder runs on stand-in values ("sentinels": a string, an integer or a
datetime no real value can equal), the queryset is compiled, and each SQL parameter is
traced back to the value it came from, or kept as a constant. Later requests of that shape
only fill the parameters in. Results go through the same converters as the queryset's own.

Rules for a builder: it branches only on `shape`; values only flow into the query. Derived
times are fine (`values["now"] - timedelta(days=30)`): sentinel datetimes remember their
offset. Anything else a builder does with a value (`.replace()`, `.date()`, formatting) is
caught, because each new shape is also compiled once with the real values and the two
compilations must agree; a shape that disagrees is never cached and is compiled on every
request instead (correct, only slower), with a warning in the log.

Nothing the database returns is cached: every call runs its query.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

log = logging.getLogger(__name__)

MAX_SHAPES = 256  # per query; the dashboard has a few hundred possible shapes at most


class _Moment(datetime):
    """A sentinel datetime: `base` plus `offset`, where base stands for the value `name`."""

    name: str
    offset: timedelta

    def __add__(self, other):
        if isinstance(other, timedelta):
            return _moment(self.name, self.offset + other, _Registry.current())
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, timedelta):
            return _moment(self.name, self.offset - other, _Registry.current())
        return NotImplemented  # moment - moment is a value the builder may not compute


class _Registry:
    """Sentinels made while one builder runs (derived moments included)."""

    _local = threading.local()

    def __init__(self, names: list[str]):
        self.bases = {name: index for index, name in enumerate(names)}
        self.moments: list[_Moment] = []

    @classmethod
    def current(cls) -> _Registry:
        return cls._local.registry

    def __enter__(self):
        self._local.registry = self
        return self

    def __exit__(self, *exc):
        self._local.registry = None


def _moment(name: str, offset: timedelta, registry: _Registry) -> _Moment:
    # Bases 50 years apart in the 11th century: no real time and no constant falls there,
    # and offsets of a few years never reach another base.
    base = datetime(1000 + 50 * registry.bases[name], 1, 1, tzinfo=UTC)
    value = base + offset
    moment = _Moment(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        tzinfo=UTC,
    )
    moment.name, moment.offset = name, offset
    registry.moments.append(moment)
    return moment


def _sentinel(name: str, value: Any, index: int, registry: _Registry) -> Any:
    if isinstance(value, datetime):
        return _moment(name, timedelta(0), registry)
    if isinstance(value, bool):
        raise TypeError(f"{name}: a boolean decides a query's shape; put it in the shape")
    if isinstance(value, int):
        return -1_900_000_000 - index  # within a 32-bit column, so no lookup drops it
    if isinstance(value, str):
        return f"\ue000{name}\ue000"
    if isinstance(value, list | tuple):
        # Items count from another base, so they never meet the other values' sentinels.
        return [
            _sentinel(f"{name}[{i}]", v, 100_000 * (index + 1) + i, registry)
            for i, v in enumerate(value)
        ]
    raise TypeError(f"{name}: no sentinel for {type(value).__name__}")


def _flatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """{"ids": [4, 9]} -> {"ids": [4, 9], "ids[0]": 4, "ids[1]": 9} (lists bind per item)."""
    flat = dict(values)
    for name, value in values.items():
        if isinstance(value, list | tuple):
            flat.update({f"{name}[{i}]": v for i, v in enumerate(value)})
    return flat


@dataclass(frozen=True)
class _Slot:
    """Where one SQL parameter comes from: a value (plus an offset for times) or a constant."""

    name: str | None
    constant: Any = None
    offset: timedelta | None = None
    adapt: Callable[[Any], Any] | None = None

    def bind(self, values: Mapping[str, Any]) -> Any:
        if self.name is None:
            return self.constant
        value = values[self.name]
        if self.offset is not None:
            value = value + self.offset
        return self.adapt(value) if self.adapt else value


@dataclass(frozen=True)
class _Compiled:
    sql: str | None  # None: the query can match nothing (Django's EmptyResultSet)
    slots: tuple[_Slot, ...]
    names: tuple[str, ...]
    converters: tuple  # ((position, (converter, ...), expression), ...)

    def params(self, values: Mapping[str, Any]) -> tuple:
        return tuple(slot.bind(values) for slot in self.slots)


def _names_of(queryset: QuerySet) -> tuple[str, ...]:
    query = queryset.query
    if query.selected:
        return tuple(query.selected)
    return (*query.extra_select, *query.values_select, *query.annotation_select)


def _compile(queryset: QuerySet, using: str):
    compiler = queryset.query.get_compiler(using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None, (), _names_of(queryset), ()
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = tuple(
        (position, tuple(convs), expression)
        for position, (convs, expression) in compiler.get_converters(fields).items()
    )
    return sql, tuple(params), _names_of(queryset), converters


class CompiledQuery:
    """A queryset builder whose compiled SQL is kept per shape (see the module docstring)."""

    def __init__(
        self, build: Callable[[Hashable, Mapping[str, Any]], QuerySet], *, using="default"
    ):
        self.build = build
        self.using = using
        self._shapes: OrderedDict[Hashable, _Compiled | None] = OrderedDict()
        self._lock = threading.Lock()

    # --- running --------------------------------------------------------------------

    def sql(self, shape: Hashable, values: Mapping[str, Any]) -> tuple[str | None, tuple]:
        """The SQL and parameters of the query for this shape and these values (SQL None:
        the query can match nothing)."""
        compiled = self._compiled(shape, values)
        return compiled.sql, compiled.params(_flatten(values))

    def rows(self, shape: Hashable, values: Mapping[str, Any]) -> list[list]:
        """Run the query; rows as lists, values converted as the queryset would."""
        return self._run(self._compiled(shape, values), values)

    def dicts(self, shape: Hashable, values: Mapping[str, Any]) -> list[dict]:
        """Run the query; rows as dicts keyed like .values() would key them."""
        compiled = self._compiled(shape, values)
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in self._run(compiled, values)]

    def _run(self, compiled: _Compiled, values: Mapping[str, Any]) -> list[list]:
        if compiled.sql is None:
            return []
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, compiled.params(_flatten(values)))
            rows = cursor.fetchall()
        if not compiled.converters:
            return [list(row) for row in rows]
        out = []
        for row in rows:
            row = list(row)
            for position, convs, expression in compiled.converters:
                value = row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[position] = value
            out.append(row)
        return out

    # --- compiling ------------------------------------------------------------------

    def _compiled(self, shape: Hashable, values: Mapping[str, Any]) -> _Compiled:
        with self._lock:
            compiled = self._shapes.get(shape, False)
            if compiled is not False:
                self._shapes.move_to_end(shape)
        if compiled is False:
            compiled = self._trace(shape, values)
            with self._lock:
                self._shapes[shape] = compiled
                if len(self._shapes) > MAX_SHAPES:
                    self._shapes.popitem(last=False)
        if compiled is None:  # a shape that cannot be cached: compile it every time
            return self._plain(shape, values)
        return compiled

    def _plain(self, shape: Hashable, values: Mapping[str, Any]) -> _Compiled:
        sql, params, names, converters = _compile(self.build(shape, values), self.using)
        return _Compiled(sql, tuple(_Slot(None, p) for p in params), names, converters)

    def _trace(self, shape: Hashable, values: Mapping[str, Any]) -> _Compiled | None:
        """Compile `shape` on sentinels and trace every parameter to its value; None if
        the result does not reproduce the compilation with the real values."""
        connection = connections[self.using]
        names = list(values)
        with _Registry(names) as registry:
            sentinels = {
                name: _sentinel(name, value, index, registry)
                for index, (name, value) in enumerate(values.items())
            }
            traced_sql, traced_params, result_names, converters = _compile(
                self.build(shape, sentinels), self.using
            )
        # Each sentinel as it may reach the driver: itself, or (times) as the backend
        # adapts it (SQLite binds times as text).
        known: dict[tuple[type, Any], _Slot] = {}
        for name, sentinel in _flatten(sentinels).items():
            if not isinstance(sentinel, list | datetime):
                known[(type(sentinel), sentinel)] = _Slot(name)
        adapt = connection.ops.adapt_datetimefield_value
        for moment in registry.moments:
            known[(datetime, datetime.fromisoformat(moment.isoformat()))] = _Slot(
                moment.name, offset=moment.offset or None
            )
            adapted = adapt(moment)
            if not isinstance(adapted, datetime):
                known[(type(adapted), adapted)] = _Slot(
                    moment.name, offset=moment.offset or None, adapt=adapt
                )
        slots = []
        for param in traced_params:
            kind = datetime if isinstance(param, datetime) else type(param)
            plain = datetime.fromisoformat(param.isoformat()) if kind is datetime else param
            slots.append(known.get((kind, plain), _Slot(None, param)))
        compiled = _Compiled(traced_sql, tuple(slots), result_names, converters)
        real = self._plain(shape, values)
        if (real.sql, real.params({})) != (compiled.sql, compiled.params(_flatten(values))):
            log.warning("query shape %r of %s cannot be cached", shape, self.build.__qualname__)
            return None
        return compiled

    def cached_shapes(self) -> int:
        with self._lock:
            return sum(1 for compiled in self._shapes.values() if compiled is not None)
