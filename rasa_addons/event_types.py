"""Look up Rasa event classes by type name in a table, instead of walking the class tree for every event.

Rasa 3.6's `Event.resolve_by_type` lists every subclass of `Event` (recursively, checking each one for being
abstract) each time it turns one serialised event back into an object. The in-memory tracker store does that
for every event of the conversation whenever it loads a tracker, and again for the events an action returns:
about 8 % of the CPU Rasa spent per message in `make bench`. The table is built from the same list, in the
same order, so the first class with a type name wins as before; a name not in it (a class imported later)
rebuilds it once before falling back to the default or raising the same error as Rasa.

`install()` is called when the Neuvo channel is imported (credentials.yml loads it in every Rasa process).
"""

from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_table: Dict[Text, Type[Event]] = {}


def _rebuild() -> None:
    table: Dict[Text, Type[Event]] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    _table.clear()
    _table.update(table)


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Returns the event class for a type name (Rasa's `Event.resolve_by_type`, with a table)."""
    cls = _table.get(type_name)
    if cls is None:
        _rebuild()
        cls = _table.get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # as in Rasa: old TopicSet events are ignored
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]
