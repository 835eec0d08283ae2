"""Reply latency of the running bot: 20 simulated users, mixed queries, over real HTTP.

Imports the dev catalog with `tuijie import`, starts `tuijie run` as a separate process against
the fake Bot API server (tests/fakebotapi.py), then 20 users each send a mix of searches,
questions, paging and details presses, /match and inline queries at a human pace (one action
every ~1 s per user: about 20 replies/s in all, within Telegram's 30 messages/s per bot and the
bot's own outbound limiter of 24/s; the flood limit is 5 messages per 3 s per user).
Latency = from the update being queued at the server to
the bot's answering call arriving there (getUpdates long polling included).

    .venv/bin/python tests/benchmarks/bench_bot.py [--users 20] [--actions 12]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fakebotapi import FakeBotAPI  # noqa: E402

from bot.local.api import Call  # noqa: E402

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev"  # beside the repository
TOKEN = "123:bench-token"
TUIJIE = str(Path(sys.executable).with_name("tuijie"))
QUESTIONS = [
    "贵安新区绿色数据中心二期项目需要多少民间资本?",
    "乌兰察布绿色算力产业园项目的联系方式是什么?",
    "How much private capital does the Ulanqab computing park seek?",
    "榆林定边县光伏治沙项目总投资多少?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def user_session(
    server: FakeBotAPI, user_id: int, queries: list[str], actions: int, pace: float,
    samples: dict[str, list[float]], rng: random.Random,
) -> None:  # fmt: skip
    """One investor: searches, questions, paging, details, /match, inline."""
    server.user(user_id, first_name=f"U{user_id}", language_code=rng.choice(["zh", "en"]))
    last_results: Call | None = None

    async def timed(
        kind: str, push: Coroutine[Any, Any, dict[str, Any]], method: str, chat: int | None
    ) -> Call:
        since = server.mark()
        queued = time.monotonic()
        update = await push
        inline_id = update.get("inline_query", {}).get("id")

        def mine(call: Call) -> bool:
            return inline_id is None or call.params.get("inline_query_id") == inline_id

        call = await server.wait_for(method, chat_id=chat, since=since, timeout=60, where=mine)
        samples[kind].append((call.at - queued) * 1000)
        return call

    await asyncio.sleep(rng.random() * pace)
    for _ in range(actions):
        roll = rng.random()
        if roll < 0.45 or last_results is None:
            text = rng.choice(queries)
            last_results = await timed("search", server.send_text(user_id, text), "sendMessage",
                                       user_id)  # fmt: skip
        elif roll < 0.6:
            await timed("question", server.send_text(user_id, rng.choice(QUESTIONS)),
                        "sendMessage", user_id)  # fmt: skip
        elif roll < 0.72 and any(
            "m:q:" in b.get("callback_data", "") for b in last_results.buttons
        ):
            data = next(b["callback_data"] for b in last_results.buttons
                        if b.get("callback_data", "").startswith("m:q:"))  # fmt: skip
            message_id = last_results.result["message_id"]
            await timed("more (edit)", server.press(user_id, message_id, data),
                        "editMessageText", user_id)  # fmt: skip
        elif roll < 0.84 and last_results.buttons:
            data = last_results.buttons[0].get("callback_data", "")
            if data.startswith("d:"):
                await timed("details", server.press(user_id, last_results.result["message_id"],
                                                    data), "sendMessage", user_id)  # fmt: skip
        elif roll < 0.92:
            await timed("inline", server.inline(user_id, rng.choice(queries)),
                        "answerInlineQuery", None)  # fmt: skip
        else:
            await timed("match", server.send_text(user_id, "/match"), "sendMessage", user_id)
        await asyncio.sleep(pace * (0.7 + 0.6 * rng.random()))


async def run(users: int, actions: int, pace: float) -> int:
    queries = [json.loads(line)["query"] for line in (DEV / "queries.jsonl").open(encoding="utf-8")]
    with tempfile.TemporaryDirectory(prefix="tuijie-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TUIJIE_", "TELEGRAM_"))}
        env["TUIJIE_DATA_DIR"] = str(Path(tmp) / "data")
        subprocess.run([TUIJIE, "import", str(DEV / "catalog.jsonl")], env=env, cwd=tmp,
                       check=True, capture_output=True)  # fmt: skip
        async with FakeBotAPI(TOKEN) as server:
            env.update(TELEGRAM_BOT_TOKEN=TOKEN, TUIJIE_TELEGRAM_API_URL=server.base_url)
            proc = await asyncio.create_subprocess_exec(
                TUIJIE, "run", env=env, cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                started = time.monotonic()
                await server.wait_for("setMyCommands", count=2, timeout=300)
                while server.get_updates_calls == 0:
                    await asyncio.sleep(0.05)
                print(f"bot ready in {time.monotonic() - started:.1f} s "
                      f"(model load + index of the dev catalog)")  # fmt: skip
                warm: dict[str, list[float]] = defaultdict(list)
                await user_session(server, 99, queries, 6, 0.2, warm, random.Random(0))
                samples: dict[str, list[float]] = defaultdict(list)
                rng = random.Random(42)
                t0 = time.monotonic()
                await asyncio.gather(*[
                    user_session(server, 1000 + u, queries, actions, pace, samples,
                                 random.Random(rng.random()))
                    for u in range(users)
                ])  # fmt: skip
                elapsed = time.monotonic() - t0
            finally:
                proc.send_signal(signal.SIGINT)
                await asyncio.wait_for(proc.wait(), 60)
    every = [v for values in samples.values() for v in values]
    print(f"{users} users x {actions} actions, one action every ~{pace:.1f} s per user; "
          f"{len(every)} replies in {elapsed:.1f} s ({len(every) / elapsed:.1f}/s)")  # fmt: skip
    print(f"{'kind':<14}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind, values in sorted(samples.items()):
        print(f"{kind:<14}{len(values):>5}{statistics.median(values):>9.1f}"
              f"{percentile(values, 95):>9.1f}{max(values):>9.1f}")  # fmt: skip
    p50, p95 = statistics.median(every), percentile(every, 95)
    print(f"{'all':<14}{len(every):>5}{p50:>9.1f}{p95:>9.1f}{max(every):>9.1f}")
    target = 150.0
    print(f"target p95 <= {target:.0f} ms: {'met' if p95 <= target else 'NOT met'}")
    return 0 if p95 <= target else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--actions", type=int, default=12)
    parser.add_argument(
        "--pace", type=float, default=1.0, help="seconds between one user's actions"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.users, args.actions, args.pace))


if __name__ == "__main__":
    sys.exit(main())
