"""`Configurable`: what every engine class with declared options (`chunkers.core.options`) shares: each option's
check at construction (which may also normalise the value, e.g. a sizer name to a `Sizer`), then the class's
`_validate` for checks across options and for derived state; `params` to rebuild it and `config` for cache keys."""

from __future__ import annotations

import inspect
from typing import Any

from .options import options_of
from .spec import describe, qualified_name


class OptionHelp:
    """``cls.OPTIONS``: option name -> help, read from the declarations."""

    def __get__(self, instance: Any, owner: type) -> dict[str, str]:
        return {name: option.help for name, option in options_of(owner).items()}


class Configurable:
    """What every engine class with declared options shares: checks at construction, `params` and `config`."""

    OPTIONS = OptionHelp()

    def __post_init__(self) -> None:
        for name, option in options_of(type(self)).items():
            if option.check is not None:
                setattr(self, name, option.check(name, getattr(self, name)))
        self._validate()

    def _validate(self) -> None:
        """Checks across options and derived state (subclasses); runs after every option's own check."""

    def params(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this object: ``type(c)(**c.params())`` behaves like ``c``. (Every
        constructor argument is kept as the attribute of its name: the options, and the arguments of a subclass
        that writes its own ``__init__``.)"""
        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def config(self) -> dict[str, Any]:
        """What decides this object's output, as a stable JSON-friendly dict (the faces' cache keys): the class and
        every option that affects the output."""
        options = options_of(type(self))
        settings = {k: describe(v) for k, v in self.params().items() if k not in options or options[k].affects_output}
        return {"class": qualified_name(type(self), "."), **settings}
