"""The one settings object: read from the environment and `.env`; nothing else reads the env."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.db import sqlite_url

DEFAULT_API_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    data_dir: Path = Field(default=Path("./data"), alias="TUIJIE_DATA_DIR")
    database_url_override: str | None = Field(default=None, alias="TUIJIE_DATABASE_URL")
    embedding_model: str | None = Field(default=None, alias="TUIJIE_EMBEDDING_MODEL")
    admin_ids_raw: str = Field(default="", alias="TUIJIE_ADMIN_IDS")
    telegram_api_url: str = Field(default=DEFAULT_API_URL, alias="TUIJIE_TELEGRAM_API_URL")
    # how often the running bot looks for catalog changes other processes made (0: never)
    catalog_poll_seconds: float = Field(default=3.0, ge=0, alias="TUIJIE_CATALOG_POLL_SECONDS")
    # one process at a time sends the outbox: its lease lasts this long unless renewed (every
    # fifth of it), so another process takes over this long after the sender died
    sender_lease_seconds: float = Field(default=30.0, gt=0, alias="TUIJIE_SENDER_LEASE_SECONDS")
    # a `tuijie run` that started while another instance polls with the same token (409
    # Conflict) exits when the conflict still lasts after this long (0: at the first conflict)
    poll_conflict_seconds: float = Field(default=30.0, ge=0, alias="TUIJIE_POLL_CONFLICT_SECONDS")

    @field_validator("admin_ids_raw")
    @classmethod
    def _admin_ids_are_user_ids(cls, value: str) -> str:
        _parse_ids(value)  # raises with one sentence naming the bad part
        return value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def database_url(self) -> str:
        return self.database_url_override or sqlite_url(self.data_dir)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def admin_ids(self) -> frozenset[int]:
        return _parse_ids(self.admin_ids_raw)

    @property
    def telegram_file_url(self) -> str:
        """File downloads use the same server's /file/bot path."""
        base = self.telegram_api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


class BadSettings(ValueError):
    """The environment (or .env) holds a setting the bot cannot run with; one sentence."""


def _parse_ids(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ValueError(
                f"TUIJIE_ADMIN_IDS: {part[:40]!r} is not a Telegram user id "
                "(write numbers separated by commas, e.g. 12345,67890)"
            )
        ids.add(int(part))
    return frozenset(ids)


def load_settings() -> Settings:
    """The settings from the environment and .env, checked once; BadSettings says what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        raise BadSettings(_sentence(exc)) from None


def _sentence(exc: ValidationError) -> str:
    """One sentence per bad setting, named by its variable, never quoting a secret."""
    parts = []
    for error in exc.errors():
        name = ".".join(str(loc) for loc in error["loc"]) or "setting"
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(message if message.startswith(name) else f"{name}: {message}")
    return "; ".join(parts)
