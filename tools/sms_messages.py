"""Generated text messages labelled spam/ham, a new message set for each generator seed.

The messages are composed from our own templates and slot values with a seeded random
generator, so a test or a study gets a repeatable CSV shaped like a support team's spam filter
data (short informal texts, about a third spam, some hard cases: real delivery and bank notices
beside their phishing look-alikes). `make_rows(n, seed)` is the first n rows of
`make_rows(m, seed)` for any m > n: the same seed is the same messages. Which seeds levers were
chosen on (0-2: the forecast's) and which are kept for checks is in bench/DATA.md; a seed is
unseen only until a lever is chosen by looking at it.

    python tools/sms_messages.py -n 90 --seed 0 -o sms.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

NAMES = ["Sam", "Priya", "Tom", "Aisha", "Leo", "Marta", "Ken", "Jo", "Dana", "Ravi", "Ellie"]
PLACES = ["the station", "Luigi's", "the gym", "your mum's", "the office", "the park", "Tesco"]
TIMES = ["7", "half 6", "8pm", "noon", "10ish", "after work", "tmrw morning", "tonight"]
SHOPS = ["ParcelGo", "QuickPost", "Northbank", "CityMobile", "StreamPlus", "FlyDirect"]
PRIZES = ["an iPhone 16", "a £500 voucher", "$1000 cash", "a free cruise", "2 free flights"]
AMOUNTS = ["£2.99", "£1.45", "$3.20", "£4.50", "$0.99", "£12.00"]

HAM = [
    "are we still on for {time}? meet at {place}",
    "running late, be there in 10",
    "{name} says hi, call her when you can",
    "can you grab milk on the way home pls",
    "Happy birthday!! hope you have a lovely day x",
    "lol that was hilarious, send me the video",
    "did you leave your keys at {place}?",
    "Your {shop} order has shipped and arrives tomorrow. Track it in the app.",
    "{shop}: your appointment is confirmed for {time}. Reply C to cancel.",
    "ok see you at {time}",
    "thanks for dinner, it was great to catch up",
    "{shop}: your code is {code}. Don't share it with anyone.",
    "can't talk now, in a meeting. call you {time}",
    "Reminder: your {shop} bill of {amount} will be taken on the 3rd.",
    "got the tickets! row F, seats 12 and 13",
    "where did you park? i'm at {place}",
    "sorry i missed your call, what's up?",
    "Mum: dinner at {time}, bring {name}",
    "the wifi password is on the fridge",
    "Your {shop} payment of {amount} was received. Thank you.",
    "just landed, will text when i'm out",
    "{name} can't make it {time}, shall we move it?",
    "I won the office quiz haha, drinks on me at {place}",
    "Free tonight? fancy a film at {place}",
]

SPAM = [
    "CONGRATULATIONS! You have won {prize}. Call {phone} now to claim. T&Cs apply",
    "URGENT: your {shop} account is locked. Verify at {url} within 24 hrs",
    "You have been selected for {prize}! Reply YES to claim your reward",
    "{shop}: your parcel is on hold, a {amount} fee is due. Pay at {url}",
    "FREE entry to win {prize}! Text WIN to {short} now. 18+ only",
    "Get a loan of up to $5000 today, no credit check. Apply: {url}",
    "Your number won {prize} in our monthly draw. Claim code {code}, call {phone}",
    "Hot singles in your area want to meet you! {url}",
    "Final notice: unpaid toll charge {amount}. Avoid a fine: {url}",
    "Earn $300/day from home with crypto! Limited spots: {url}",
    "{shop} refund of {amount} is waiting. Confirm your card details at {url}",
    "You are our lucky winner! {prize} is yours, text CLAIM to {short}",
    "Dear customer, suspicious login on your {shop} account. Secure it: {url}",
    "Cheap meds online, no prescription needed {url}",
    "STOP paying too much! Switch to {shop} and get {prize} free. Call {phone}",
    "Hi mum, this is my new number, my phone broke. Can you send {amount} for a taxi?",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        name=rng.choice(NAMES),
        place=rng.choice(PLACES),
        time=rng.choice(TIMES),
        shop=rng.choice(SHOPS),
        prize=rng.choice(PRIZES),
        amount=rng.choice(AMOUNTS),
        code=rng.randint(100000, 999999),
        phone=f"0{rng.randint(7000, 7999)} {rng.randint(100000, 999999)}",
        short=rng.randint(80000, 89999),
        url=f"{rng.choice(['bit.ly', 'tinyurl.com', 'secure-verify.net', 'claim-now.info'])}/"
        f"{rng.randint(1000, 9999):x}",
    )


def make_rows(n: int = 90, seed: int = 0, spam_share: float = 0.35) -> list[dict[str, str]]:
    """`n` distinct messages (`message`, `label` in {spam, ham}), about `spam_share` spam."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(rows) < n:
        label = "spam" if rng.random() < spam_share else "ham"
        text = _fill(rng.choice(SPAM if label == "spam" else HAM), rng)
        if text not in seen:
            seen.add(text)
            rows.append({"message": text, "label": label})
    return rows


def write_csv(path: Path, n: int = 90, seed: int = 0) -> Path:
    """Write `make_rows(n, seed)` to `path` as a CSV with a header row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["message", "label"])
        writer.writeheader()
        writer.writerows(make_rows(n, seed))
    return path


SPEC = """name: Spam filter (generated messages)
description: Decide whether a text message is spam or a normal message (ham).
pipeline:
  - name: classify
    module: Predict
    instructions: Read the text message and decide whether it is spam or ham.
    fields:
      - {name: message, role: input, type: str, description: the text message}
      - {name: label, role: output, type: literal, choices: [spam, ham], description: spam or ham}
data:
  csv: sms.csv
  columns: {message: message, label: label}
  train_size: 30
  val_size: 30
  test_size: 30
  seed: 0
metric: {kind: exact, field: label}
models:
  task: {model: local/smollm2-135m, temperature: 0.0, max_tokens: 128}
optimizer:
  name: auto
  params: {}
  budget: {max_calls: 500, max_minutes: 15}
"""


def write_project(folder: Path, n: int = 90, seed: int = 0) -> Path:
    """A project spec (`sms.yaml`) beside a generated `sms.csv` in `folder`; returns the spec."""
    write_csv(folder / "sms.csv", n, seed)
    spec = folder / "sms.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=90, help="rows (default 90)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", type=Path, required=True, help="CSV to write")
    args = parser.parse_args(argv)
    write_csv(args.out, args.n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
