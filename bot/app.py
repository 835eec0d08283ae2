"""The composition root: build_application() creates the Application and registers every handler."""

from __future__ import annotations

import asyncio
import functools
import logging

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.delivery.ratelimit import TelegramRateLimiter
from bot.delivery.throttle import Verdict
from bot.handlers import conversation
from bot.handlers.common import Context
from bot.handlers.investor import (
    details,
    forget,
    inline,
    interest,
    language,
    match,
    profile,
    search,
    start,
)
from bot.permissions import is_admin
from bot.services import KEY, Services, ServicesNotReady, open_services
from bot.settings import Settings
from bot.updates import PerUserUpdateProcessor
from bot.views.i18n import lang_from_code, t

_log = logging.getLogger(__name__)
SETTINGS_KEY = "tuijie.settings"
LOCAL_TOKEN = "1:local-chat-mode"  # a syntactically valid token for `tuijie chat` and tests
# Commands shown in Telegram's menu, in this order; each has a "cmd.<name>" message key
# (the subscription ones in the admin side's catalogs, next to the rest of their strings).
MENU_COMMANDS = [
    "start", "search", "match", "profile", "interests",
    "subscribe", "subscriptions", "unsubscribe", "lang", "forget", "help",
]  # fmt: skip
# Handler groups, run in this order for each update until one raises ApplicationHandlerStop.
# Each conversation has a group of its own, so every one of them sees a command that ends it
# (bot/handlers/conversation.py) before the command's own handler runs in the main group.
THROTTLE_GROUP = -1
PROFILE_GROUP, INTEREST_GROUP, ADD_GROUP = 0, 1, 2
MAIN_GROUP = 10


def build_application(
    settings: Settings,
    *,
    services: Services | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> Application:
    """The bot: handlers registered, services opened in post_init unless given."""
    token = (
        settings.telegram_bot_token.get_secret_value()
        if settings.telegram_bot_token is not None
        else LOCAL_TOKEN
    )
    builder = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .concurrent_updates(PerUserUpdateProcessor())
        .rate_limiter(TelegramRateLimiter())  # admin side: one outbound budget for all sends
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application = builder.build()
    application.bot_data[SETTINGS_KEY] = settings
    if services is not None:
        application.bot_data[KEY] = services
    _register(application)
    return application


def _register(app: Application) -> None:
    """Every handler of the bot, in priority order."""
    from bot.handlers.admin import (
        add as admin_add,
    )
    from bot.handlers.admin import commands as admin
    from bot.handlers.admin import (
        leads as admin_leads,
    )
    from bot.handlers.admin import (
        stats as admin_stats,
    )
    from bot.handlers.admin import (
        upload as admin_import,
    )
    from bot.handlers.investor import subscribe, unknown

    app.add_handler(TypeHandler(Update, throttle_gate), group=THROTTLE_GROUP)
    app.add_error_handler(on_error)

    # ---- conversations: a step's answer stops the update; something else ends them -----------
    app.add_handler(profile.profile_conversation(), group=PROFILE_GROUP)
    app.add_handler(interest.interest_conversation(), group=INTEREST_GROUP)
    app.add_handler(admin_add.add_conversation(), group=ADD_GROUP)  # admin side

    # ---- investor side (issue 4) -------------------------------------------------------------
    # The main group: the first matching handler wins; the plain-text search comes last.
    add = functools.partial(app.add_handler, group=MAIN_GROUP)
    add(CommandHandler("start", start.start))
    add(CommandHandler("help", start.help_command))
    add(CommandHandler("search", search.search_command))
    add(CommandHandler("match", match.match_command))
    add(CommandHandler("interests", interest.interests_command))
    add(CommandHandler("lang", language.lang_command))
    add(CommandHandler("forget", forget.forget_command))
    add(CommandHandler("cancel", conversation.nothing_to_cancel))
    add(CallbackQueryHandler(search.more_results, pattern=r"^m:q:"))
    add(CallbackQueryHandler(match.more_matches, pattern=r"^m:p:"))
    add(CallbackQueryHandler(details.show_details, pattern=r"^d:"))
    add(CallbackQueryHandler(details.show_similar, pattern=r"^sim:"))
    add(CallbackQueryHandler(language.lang_chosen, pattern=r"^lang:"))
    add(CallbackQueryHandler(forget.forget_chosen, pattern=r"^f:"))
    add(CallbackQueryHandler(stale_button, pattern=conversation.STALE_STEPS))
    add(InlineQueryHandler(inline.inline_query))

    # ---- admin side (issue 5): registrations go in this block --------------------------------
    add(CommandHandler("edit", admin.cmd_edit))
    add(CommandHandler("withdraw", admin.cmd_withdraw))
    add(CommandHandler("restore", admin.cmd_restore))
    add(CommandHandler("export", admin.cmd_export))
    add(CommandHandler("audit", admin.cmd_audit))
    add(CommandHandler("publish", admin.cmd_publish))
    add(CommandHandler("stats", admin_stats.cmd_stats))
    add(CallbackQueryHandler(admin.on_audit_page, pattern=r"^adm:au:"))
    add(CommandHandler("import", admin_import.cmd_import))
    add(MessageHandler(admin_import.DOCUMENTS, admin_import.on_document))
    add(CallbackQueryHandler(admin_import.on_import_button, pattern=r"^adm:imp:"))
    add(CommandHandler("subscribe", subscribe.cmd_subscribe))
    add(CommandHandler("unsubscribe", subscribe.cmd_unsubscribe))
    add(CommandHandler("subscriptions", subscribe.cmd_subscriptions))
    add(CallbackQueryHandler(subscribe.on_choice, pattern=r"^sub:"))
    add(CommandHandler("leads", admin_leads.cmd_leads))  # issue 15: the office's follow-up
    add(CommandHandler("note", admin_leads.cmd_note))
    add(CommandHandler("report", admin_stats.cmd_report))
    add(CallbackQueryHandler(admin_leads.on_lead_button, pattern=r"^ld:"))

    # ---- catch-all: plain text in a private chat is a search (keep last) ---------------------
    text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & ~filters.VIA_BOT
    add(MessageHandler(text, search.text_message))
    private_command = filters.COMMAND & filters.ChatType.PRIVATE
    add(MessageHandler(private_command, unknown.unknown_command))


def settings_of(app: Application) -> Settings:
    """The settings the application was built with."""
    value = app.bot_data[SETTINGS_KEY]
    assert isinstance(value, Settings)
    return value


async def post_init(app: Application) -> None:
    """Open the services (unless given), set the command menu in both languages."""
    if KEY not in app.bot_data:
        app.bot_data[KEY] = await asyncio.to_thread(open_services, settings_of(app))
    for lang, code in (("en", None), ("zh", "zh")):
        commands = [BotCommand(name, t(lang, f"cmd.{name}")) for name in MENU_COMMANDS]
        await app.bot.set_my_commands(commands, language_code=code)
    # ---- admin side (issue 5): startup work goes here ----------------------------------------
    from bot.delivery.broadcast import start_broadcast

    await start_broadcast(app)  # the outbox sender; resumes what a previous process left
    from bot.handlers.admin.leads import schedule_reminder

    schedule_reminder(app)  # the daily list of leads untouched for a week
    from bot.catalog_watch import start_catalog_watch

    start_catalog_watch(app)  # imports made by other processes reach the index


async def post_shutdown(app: Application) -> None:
    """Close the services post_init opened."""
    from bot.catalog_watch import stop_catalog_watch
    from bot.delivery.broadcast import stop_broadcast  # admin side: let in-flight digests finish

    await stop_catalog_watch(app)
    await stop_broadcast(app)
    svc = app.bot_data.get(KEY)
    if isinstance(svc, Services) and svc.owned:
        await asyncio.to_thread(svc.close)


async def throttle_gate(update: Update, context: Context) -> None:
    """Per-user flood control of messages: one polite warning, then silence.

    Only messages that arrive while an earlier one of the same user is still being answered
    count: a user who waits for each reply is never dropped, however quick the replies.

    Button presses are not counted (ticking options quickly is normal); inline queries come
    one per keystroke and are cheap to answer from the index. Admins are never held back:
    they are few and trusted, and answer /add's questions in quick succession.
    """
    user = update.effective_user
    if user is None or update.message is None:
        return
    if is_admin(settings_of(context.application), user.id):
        return
    svc = context.application.bot_data.get(KEY)
    if not isinstance(svc, Services):
        return
    processor = context.application.update_processor
    if isinstance(processor, PerUserUpdateProcessor) and processor.arrived_busy(update) is False:
        return  # sent once the earlier ones were answered: a patient user is never held back
    verdict = svc.throttle.hit(user.id)
    if verdict is Verdict.OK:
        return
    lang = (context.user_data or {}).get("lang") or lang_from_code(user.language_code)
    if verdict is Verdict.WARN and update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, t(lang, "throttle.slow_down"))
    raise ApplicationHandlerStop


async def stale_button(update: Update, context: Context) -> None:
    """A button of a conversation that has ended: say the message is out of date."""
    query = update.callback_query
    assert query is not None
    user = update.effective_user
    lang = (context.user_data or {}).get("lang") or lang_from_code(
        user.language_code if user else None
    )
    await query.answer(t(lang, "search.expired"))


async def on_error(update: object, context: Context) -> None:
    """Log the failure with its traceback and tell the user politely (never the details)."""
    _log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = (context.user_data or {}).get("lang") or lang_from_code(
        user.language_code if user else None
    )
    key = "error.not_ready" if isinstance(context.error, ServicesNotReady) else "error.generic"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id, t(lang, key), parse_mode=ParseMode.HTML
        )
    except Exception:  # the apology itself failed (network, blocked): nothing more to do
        _log.warning("could not tell the user about the failure", exc_info=True)
