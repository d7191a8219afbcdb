"""The settings of one running service and the limits it enforces on requests."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

#: environment variable holding the admin token; admin endpoints are disabled while it is unset
ADMIN_TOKEN_ENV = "CURNLP_ADMIN_TOKEN"
#: request bodies above this many bytes are refused with 413. Under 2 MB on purpose: a
#: 2 MB body is refused, while 1,000 messages of the Kursk archive's typical length fit
#: even when the client escapes Cyrillic as ``\uXXXX`` (about 1.8 MB; 0.7 MB as UTF-8).
MAX_BODY = 1_900_000
#: at most this many messages in one ``POST /route_many``
MAX_TEXTS = 1_000
#: the default SQLite file of ``POST /feedback`` (relative to the working directory)
DEFAULT_FEEDBACK_DB = "curnlp-feedback.db"


@dataclass(frozen=True)
class ServeConfig:
    """What ``curnlp serve`` was asked for; workers receive it as JSON.

    ``model`` None is the shipped bundle; ``runtime_dir`` is the private folder of this
    service instance (the reload state file and the Prometheus files of its workers).
    """

    model: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    entities: bool = True
    workers: int = 1
    feedback_db: str = DEFAULT_FEEDBACK_DB
    max_body: int = MAX_BODY
    max_texts: int = MAX_TEXTS
    runtime_dir: str | None = None
    log_level: str = "info"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServeConfig":
        return cls(**json.loads(text))

    @property
    def state_path(self) -> str | None:
        """The JSON file that says which bundle every worker must serve (see :mod:`.holder`)."""
        return os.path.join(self.runtime_dir, "state.json") if self.runtime_dir else None


def admin_token() -> str | None:
    """The admin token from the environment, or None (admin endpoints disabled)."""
    token = os.environ.get(ADMIN_TOKEN_ENV, "").strip()
    return token or None
