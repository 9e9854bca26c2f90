"""How fast the messaging channels acknowledge a webhook, with many people writing at once.

    .venv/bin/python bench/webhook_ack.py [--senders 50] [--messages 4] [--channel all|telegram|...]

Starts the real action server and Rasa (as the end-to-end tests do, on free ports, with every
channel's variables set) and a fake of the providers' APIs on loopback (tests/fake_providers.py),
then lets `--senders` people each send `--messages` correctly signed webhooks at once, and
prints the time from sending a webhook to its HTTP answer: p50, p95 and the slowest. The
providers give up (and retry) after 5-20 s; the acknowledgement must not wait for the answer,
which is processed in the background. Finally it waits for the replies and prints how many
reached the fake provider.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from e2e_support import Servers  # noqa: E402
from fake_providers import CLIENTS, Client, FakeProviders  # noqa: E402

MESSAGES = ["Përshëndetje", "Si mund të punoj ligjërisht në Gjermani?", "sa kushton pasaporta?",
            "me kanë marrë pasaportën dhe s'më lënë të dal", "How do I send money home safely?"]


class BenchServers(Servers):
    channel_env: dict[str, str]

    def allocate_ports(self) -> None:
        super().allocate_ports()
        self.env.update(self.channel_env)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def sender(session: aiohttp.ClientSession, url: str, client: Client, person: str, count: int,
                 timings: list[float], statuses: list[int]) -> None:
    for _ in range(count):
        hook = client.text(person, random.choice(MESSAGES), str(random.randint(10**8, 10**9 - 1)))
        started = time.perf_counter()
        async with session.post(f"{url}/webhooks/{client.name}/webhook", data=hook.body,
                                headers=hook.headers) as answer:
            await answer.read()
            statuses.append(answer.status)
        timings.append(time.perf_counter() - started)


async def load(url: str, clients: list[Client], senders: int, messages: int) -> tuple[list[float], list[int],
                                                                                        list[tuple[Client, str]]]:
    timings: list[float] = []
    statuses: list[int] = []
    people = [(clients[i % len(clients)], f"+3556{random.randint(10**7, 10**8 - 1)}"
               if clients[i % len(clients)].name == "twilio" else str(random.randint(10**9, 10**10)))
              for i in range(senders)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(sender(session, url, client, person, messages, timings, statuses)
                               for client, person in people))
    return timings, statuses, people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4, help="webhooks per sender")
    parser.add_argument("--channel", default="all", choices=["all", *(c.name for c in CLIENTS)])
    args = parser.parse_args()
    fake = FakeProviders().start()
    clients = [c(fake.url) for c in CLIENTS if args.channel in ("all", c.name)]
    with tempfile.TemporaryDirectory(prefix="webhook-ack-") as workdir:
        servers = BenchServers(Path(workdir))
        servers.channel_env = {k: v for c in CLIENTS for k, v in c(fake.url).env().items()}
        try:
            servers.start()
            timings, statuses, people = asyncio.run(load(servers.url, clients, args.senders, args.messages))
            ms = [t * 1000 for t in timings]
            print(f"{len(ms)} webhooks from {args.senders} concurrent senders "
                  f"({', '.join(c.name for c in clients)}): "
                  f"ack p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
                  f"max {max(ms):.1f} ms; HTTP {sorted(set(statuses))}")
            fake.wait(lambda record: True, timeout=600, quiet=5.0)  # until the replies stop coming
            answered = sum(bool(fake.to(client.to(person))) for client, person in people)
            print(f"senders who got replies: {answered} of {len(people)}")
        finally:
            servers.stop()
            fake.stop()


if __name__ == "__main__":
    main()
