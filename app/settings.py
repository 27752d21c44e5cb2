"""Every knob and limit of the server, in one validated object.

Values come from the environment with the prefix ``BPP_`` (for example
``BPP_MAX_SESSIONS=50``); the defaults suit one laptop or a small classroom. The fields are
declared in groups, one module each: ``settings_limits.py`` (what one client's work may take),
``settings_serving.py`` (transport, streaming, hosts, store) and ``settings_classroom.py``
(classroom, activities, LTI, single sign-on); ``Settings`` is all of them.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from app.settings_classroom import ClassroomSettings
from app.settings_limits import LimitSettings
from app.settings_serving import ServingSettings


# The groups are listed last first: pydantic orders the fields from the furthest base on, so
# that they keep the order of the groups (limits, serving, classroom), as /api/catalog lists them.
class Settings(ClassroomSettings, ServingSettings, LimitSettings, BaseSettings):
    """Server settings and the hard limits that keep one client from exhausting the host."""

    model_config = SettingsConfigDict(env_prefix="BPP_", extra="ignore")

    def trainer_count(self) -> int:
        """The number of trainer processes: ``trainers``, or one per core when unset."""
        if self.trainers is not None:
            return self.trainers
        return max(1, os.cpu_count() or 1)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings read from the environment (used when none are given)."""
    return Settings()
