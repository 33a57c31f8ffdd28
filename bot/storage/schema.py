"""Every table of the app, in one metadata: the core models plus the console's and the roaming advisory's."""

from __future__ import annotations

import bot.roaming.models
import bot.storage.console_models  # noqa: F401  (registers its tables)
from bot.storage.models import Base

metadata = Base.metadata
