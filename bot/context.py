"""The context every handler gets: typed `.services`, `.settings` and `.lang` instead of string
keys into bot_data and user_data. bot/app.py installs it with `CONTEXT_TYPES`."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.services import Services, ServicesNotReady
from bot.settings import Settings

LANG_KEY = "lang"  # the one user_data key this module owns (a user's /lang choice, cached)


class BotData:
    """What the application holds for all users: the services, once post_init opened them."""

    def __init__(self) -> None:
        self.services: Services | None = None


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """python-telegram-bot's CallbackContext with the bot's own state, typed."""

    @property
    def services(self) -> Services:
        """The long-lived services; ServicesNotReady before post_init opened them."""
        return services_of(self.application)

    @property
    def settings(self) -> Settings:
        """The settings the bot runs with (kept once, on the services)."""
        return self.services.settings

    @property
    def lang_known(self) -> bool:
        """Whether this user's stored /lang choice has been looked up (see `lang`)."""
        return self.user_data is not None and LANG_KEY in self.user_data

    @property
    def lang(self) -> str | None:
        """This user's /lang choice as cached; None when they made none (or not looked up)."""
        value = (self.user_data or {}).get(LANG_KEY)
        return str(value) if value else None

    @lang.setter
    def lang(self, value: str | None) -> None:
        if self.user_data is not None:
            self.user_data[LANG_KEY] = value


BotApplication = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)


def services_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The application's services; ServicesNotReady before post_init opened them."""
    data = app.bot_data
    found = data.services if isinstance(data, BotData) else None
    if found is None:
        raise ServicesNotReady("services are not open yet")
    return found
