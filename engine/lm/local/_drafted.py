"""Greedy chat completions on the embedded model that check reply drafts in bulk.

Speculative decoding with drafts from the adapter (`reply_drafts`, `engine.core`) instead
of a draft model: the prompt's new suffix and the drafted tokens go to llama.cpp in one batch,
with logits at every drafted position; a drafted token is kept while it is the model's own
greedy choice (the arg-max of its logits there), and the first disagreement is replaced by that
choice. So the reply is the one greedy decoding gives, in fewer model passes (SmolLM2 writes
`[[ ## category ## ]]\\nlost_or_stolen_card` in 2-3 passes instead of ~13), up to rounding:
llama.cpp evaluates a batch with slightly different arithmetic than one token at a time, so a
near-tie can flip (469 of 480 banking77 replies were identical).

With `closed=True` the drafts are the only replies allowed (a choice among labels): drafted
tokens are kept whatever the model would pick, and where the drafts part ways the model's pick
is kept if it stays on some draft, else the best-scored token that starts one of them is taken.
The reply then is always one of the drafts (unless `max_tokens` cuts it short). Once a single
draft is left, its remaining tokens are written without a model pass (nothing the model says
can change them): a closed reply costs one pass per choice, not one more for the value's tail
(24 zero-shot tickets, three labels: 1.6-1.9 s -> 1.2-1.35 s, the same replies). A closed reply
may also be sampled (`temperature` > 0, as optimizers' rollouts are): where the drafts part
ways, the next token is drawn among the tokens that start one of them, by the model's
probabilities at that temperature. Free sampling there gives "{sentiment}" or a sentence about
half the time on SmolLM2, which no parse can read. A `number` reply ("int", "float") is
restricted the same way to the tokens a number takes (`engine.lm.local._numbers`).

It replaces llama-cpp-python's `create_chat_completion` for these calls and keeps the `Llama`
object's token bookkeeping (`input_ids`, `n_tokens`) as that would, so both kinds of call share
the KV cache prefix. The caller holds the model's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.core import Scores
from engine.lm.local._chat import ChatPrompt, text_tokens
from engine.lm.local._closed_logits import ClosedLogits, LogitsMiss
from engine.lm.local._draft_text import draft_continuation, last_line
from engine.lm.local._numbers import NumberTokens
from engine.lm.local._placeholder_echo import best_allowed, template_tokens
from engine.lm.local._prefixes import common_prefix_length

MAX_DRAFT_TOKENS = 24
Step = Callable[..., tuple[list[int], np.ndarray]]  # see DraftedGreedy._reply


@dataclass
class DraftedReply:
    """One completion and what the drafts saved."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    drafted_tokens: int  # drafted tokens the model checked
    accepted_tokens: int  # of those, the ones it would have written anyway
    passes: int  # llama_decode calls for this reply (prompt chunks included)
    choice_scores: Scores = field(default_factory=dict)  # see engine.lm.choice_scores


class DraftedGreedy:
    """Greedy completions with reply drafts on one `llama_cpp.Llama` (not thread-safe)."""

    def __init__(self, llama: Any) -> None:
        self.llama = llama
        self.closed_logits = ClosedLogits()
        self.n_vocab = llama.n_vocab()
        self._numbers: NumberTokens | None = None
        self._template_tokens: np.ndarray | None = None

    def number_tokens(self) -> NumberTokens:
        """The vocabulary's number tokens (scanned on first use)."""
        if self._numbers is None:
            self._numbers = NumberTokens.of(self.llama)
        return self._numbers

    def template_tokens(self) -> np.ndarray:
        """The tokens a plain-text value may not open with (scanned on first use)."""
        if self._template_tokens is None:
            self._template_tokens = template_tokens(self.llama)
        return self._template_tokens

    def complete(
        self,
        chat: ChatPrompt,
        *,
        max_tokens: int,
        stop: list[str],
        drafts: list[str],
        closed: bool = False,
        until: Callable[[str], bool] | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        number: str | None = None,
        bias: Scores | None = None,
        start: str = "",
        text: bool = False,
    ) -> DraftedReply:
        """The greedy reply to the rendered `chat`, stopping at `stop`, an end-of-generation
        token, `max_tokens` or once `until(reply so far)` holds; with `closed`, one of `drafts`,
        with `number`, a number and its line break (see the module doc); those two are sampled
        at `temperature` (with `seed`) when it is above 0. A closed reply reports its choice
        scores and shifts its choice by `bias` (`engine.lm.choice_scores`; `start` is the text
        the prompt ends with that the reply continues, for the scores' keys). A `text` reply
        never opens like the format section (`_placeholder_echo`). Raises ValueError when the
        prompt does not fit the context."""
        llama = self.llama
        prompt = chat.tokens
        n_ctx = llama.n_ctx()
        if len(prompt) >= n_ctx:
            raise ValueError(f"Requested tokens ({len(prompt)}) exceed context window of {n_ctx}")
        max_tokens = min(max_tokens, n_ctx - len(prompt))
        args = (chat, max_tokens, stop, drafts, closed, until,
                temperature, seed, number, bias or {}, start, text)  # fmt: skip
        prompt_key = ClosedLogits.key(prompt) if closed else None
        if prompt_key is not None:
            try:  # a closed reply on a prompt read before: replayed without a model pass
                reply = self._reply(*args, step=self._replayed(prompt_key))
                self.closed_logits.replayed += 1
                return reply
            except LogitsMiss:
                pass
        reuse = common_prefix_length(llama.input_ids[: llama.n_tokens], prompt)
        reuse = min(reuse, len(prompt) - 1)  # re-read at least one token to get fresh logits
        llama._ctx.kv_cache_seq_rm(-1, reuse, -1)
        llama.n_tokens = reuse
        llama._requires_eval = True
        return self._reply(*args, step=self._live(prompt_key), pending=list(prompt[reuse:]))

    def _replayed(self, prompt_key: bytes) -> Step:
        def step(pending: list[int], draft: list[int], written: list[int], reply: DraftedReply):
            logits = self.closed_logits.get(prompt_key, written, draft)
            return [*draft, int(logits.argmax())], logits

        return step

    def _live(self, prompt_key: bytes | None) -> Step:
        def step(pending: list[int], draft: list[int], written: list[int], reply: DraftedReply):
            picks, logits = self._decode(pending, draft, reply)
            if prompt_key is not None:
                self.closed_logits.put(prompt_key, written, draft, logits)
            return picks, logits

        return step

    def _reply(
        self, chat: ChatPrompt, max_tokens: int, stop: list[str], drafts: list[str],
        closed: bool, until: Callable[[str], bool] | None, temperature: float, seed: int,
        number: str | None, bias: Scores, start: str, plain: bool, *, step: Step,
        pending: list[int] | None = None,
    ) -> DraftedReply:  # fmt: skip
        """The reply loop of `complete`; `step(pending, draft, written, reply)` gives the picks
        and the logits after the draft: a model pass reading `pending` first, or (`pending`
        None) logits kept from an earlier pass, when the KV cache is left as it is."""
        import llama_cpp

        llama, prompt, live = self.llama, chat.tokens, pending is not None
        stops = [s.encode("utf-8") for s in [*stop, *chat.stops] if s]
        pending = list(pending or [])
        written: list[int] = []
        reply = DraftedReply("", "length", len(prompt), 0, 0, 0, 0)
        text = b""
        constrained = closed or number is not None
        rng = np.random.default_rng(seed) if constrained and temperature > 0 else None
        while True:
            settled = self._settled(drafts, text, written, prompt) if closed else None
            if settled is not None:  # the value is decided: its last tokens need no model pass
                picks, accepted = [*settled, settled[-1]], len(settled)
            else:
                room = max_tokens - len(written) - 1
                draft = [] if number is not None else self._draft(drafts, text, room=room)
                picks, last_logits = step(pending, draft, written, reply)
                agreed = 0
                while agreed < len(draft) and picks[agreed] == draft[agreed]:
                    agreed += 1
                accepted = agreed
                if closed:  # every drafted token is the only text allowed there: keep them all
                    accepted = len(draft)
                    picks[:accepted] = draft
                    so_far = llama.detokenize(written + draft, prev_tokens=prompt)
                    logits, choice = self._choice(drafts, so_far, last_logits, reply, bias, start)
                    if rng is None and choice is not None:
                        picks[accepted] = choice
                    elif rng is None:
                        picks[accepted] = self._allowed_pick(
                            drafts, so_far, picks[accepted], logits
                        )
                    else:
                        picks[accepted] = self._sampled_pick(
                            drafts, so_far, logits, temperature, rng
                        )
                elif number is not None:  # no drafts are made for a number: one token picked
                    value = text.decode("utf-8", errors="ignore")
                    allowed = self.number_tokens().allowed(value, number)
                    if allowed is not None:
                        picks[0] = _pick_among(allowed, last_logits, temperature, rng)
                elif plain and not written and not draft:  # never opens like the format section
                    picks[0] = best_allowed(last_logits, self.template_tokens())
                reply.drafted_tokens += len(draft)
                reply.accepted_tokens += agreed
                if live:  # the KV cache holds `pending` and the drafts; keep the accepted ones
                    llama.n_tokens -= len(draft) - accepted
                    llama._ctx.kv_cache_seq_rm(-1, llama.n_tokens, -1)
            finished = False
            for token in picks[: accepted + 1]:
                if llama_cpp.llama_vocab_is_eog(llama._model.vocab, token):
                    reply.finish_reason, finished = "stop", True
                    break
                written.append(token)
                text = llama.detokenize(written, prev_tokens=prompt)
                if closed and text.decode("utf-8", errors="ignore") in drafts:
                    reply.finish_reason, finished = "stop", True
                    break
                hit = next((s for s in stops if s in text), None)
                if hit is not None:
                    text = text[: text.index(hit)]
                    reply.finish_reason, finished = "stop", True
                    break
                if until is not None and until(text.decode("utf-8", errors="ignore")):
                    reply.finish_reason, finished = "stop", True
                    break
                if number is not None and b"\n" in text:  # the number and its line break
                    reply.finish_reason, finished = "stop", True
                    break
                if len(written) >= max_tokens:
                    finished = True  # finish_reason stays "length"
                    break
            if finished:
                break
            pending = [picks[accepted]]
        reply.text = text.decode("utf-8", errors="ignore")
        reply.completion_tokens = len(written)
        return reply

    def _settled(
        self, drafts: list[str], text: bytes, written: list[int], prompt: list[int]
    ) -> list[int] | None:
        """The tokens that end a closed reply (`text` so far, from the tokens `written`) once a
        single draft still continues it (its value is decided), when they detokenize to that
        draft; else None. They are the reply's whatever the model would say, so they need no
        model pass (and are not drafted tokens: the model does not check them)."""
        llama = self.llama
        tails = _tails(drafts, text.decode("utf-8", errors="ignore"))
        if len(tails) != 1:
            return None
        rest = text_tokens(llama, tails[0])
        whole = llama.detokenize(written + rest, prev_tokens=prompt)
        return rest if rest and whole.decode("utf-8", errors="ignore") in drafts else None

    def _choice(
        self, drafts: list[str], written: bytes, logits: np.ndarray, reply: DraftedReply,
        bias: Scores, start: str,
    ) -> tuple[np.ndarray, int | None]:  # fmt: skip
        """At a point where each allowed next token decides one value: record the values'
        scores in `reply` and shift `logits` by `bias`; returns the logits to pick from and,
        when `bias` applies here, the greedy pick (else None: the usual pick stands)."""
        so_far = written.decode("utf-8", errors="ignore")
        tails = _tails(drafts, so_far)
        firsts = [text_tokens(self.llama, tail)[0] for tail in tails] if len(tails) > 1 else []
        if len(set(firsts)) != len(tails) or len(tails) < 2:
            return logits, None  # no choice here, or a token that leaves several values open
        values = [tail.strip() for tail in tails]
        line = last_line(start + so_far)
        chosen = logits[firsts].astype(np.float64)
        normalised = chosen - np.logaddexp.reduce(chosen)
        reply.choice_scores.setdefault(line, dict(zip(values, normalised.tolist(), strict=True)))
        offsets = bias.get(line)
        if not offsets:
            return logits, None
        shifted = logits.copy()
        for token, value in zip(firsts, values, strict=True):
            shifted[token] -= offsets.get(value, 0.0)
        best = max(firsts, key=lambda token: shifted[token])
        return shifted, int(best)

    def _allowed_pick(
        self, drafts: list[str], written: bytes, pick: int, logits: np.ndarray
    ) -> int:
        """`pick` if the reply stays on some draft with it, else the first token of what a
        still-possible draft continues with that `logits` (at the pick's position) rate best."""
        so_far = written.decode("utf-8", errors="ignore")
        tails = _tails(drafts, so_far)
        if not tails:
            return pick
        piece = self.llama.detokenize([pick]).decode("utf-8", errors="ignore")
        if piece and any(tail.startswith(piece) for tail in tails):
            return pick
        firsts = {text_tokens(self.llama, tail)[0] for tail in tails}
        return max(firsts, key=lambda token: logits[token])

    def _sampled_pick(
        self,
        drafts: list[str],
        written: bytes,
        logits: np.ndarray,
        temperature: float,
        rng: np.random.Generator,
    ) -> int:
        """A token drawn among those that start what a still-possible draft continues with,
        by softmax(logits / temperature) over them; the arg-max when no draft is left."""
        so_far = written.decode("utf-8", errors="ignore")
        tails = _tails(drafts, so_far)
        if not tails:
            return int(logits.argmax())
        firsts = sorted({text_tokens(self.llama, tail)[0] for tail in tails})
        return _pick_among(firsts, logits, temperature, rng)

    def _draft(self, drafts: list[str], text: bytes, room: int) -> list[int]:
        """Tokens every draft consistent with the reply so far continues with (at most `room`)."""
        if room <= 0 or not drafts:
            return []
        so_far = text.decode("utf-8", errors="ignore")
        tails = _tails(drafts, so_far)
        if not tails or not draft_continuation(drafts, so_far):  # cheap: no tokenizing
            return []
        # Common tokens, not common characters: "find_team" and "finish" share "fin", but
        # forcing a "fin" token makes "ish" the natural next token (a ReAct agent finished
        # instead of calling its tool), where the model would have written a "find" token.
        common: list[int] = []
        for column in zip(*(text_tokens(self.llama, tail) for tail in tails), strict=False):
            if len(set(column)) > 1:
                break
            common.append(column[0])
        return common[: min(room, MAX_DRAFT_TOKENS)]

    def _decode(
        self, pending: list[int], draft: list[int], reply: DraftedReply
    ) -> tuple[list[int], np.ndarray]:
        """Evaluate `pending` then `draft`; the greedy pick after the last pending token and
        after each drafted token (len(draft) + 1 picks), and the logits after the last token."""
        import llama_cpp

        llama = self.llama
        tokens = pending + draft
        first_pick = len(pending) - 1
        picks: list[int] = []
        batch = llama._batch.batch
        for start in range(0, len(tokens), llama.n_batch):
            chunk = tokens[start : start + llama.n_batch]
            batch.n_tokens = len(chunk)
            for i, token in enumerate(chunk):
                batch.token[i] = token
                batch.pos[i] = llama.n_tokens + i
                batch.seq_id[i][0] = 0
                batch.n_seq_id[i] = 1
                batch.logits[i] = start + i >= first_pick
            llama._ctx.decode(llama._batch)
            reply.passes += 1
            llama.input_ids[llama.n_tokens : llama.n_tokens + len(chunk)] = chunk
            llama.n_tokens += len(chunk)
            for i in range(len(chunk)):
                if start + i >= first_pick:
                    row = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, i)
                    logits = np.ctypeslib.as_array(row, shape=(self.n_vocab,))
                    picks.append(int(logits.argmax()))
        return picks, logits.copy()


def _tails(drafts: list[str], so_far: str) -> list[str]:
    """What each draft that continues the reply `so_far` has left to write."""
    return [d[len(so_far) :] for d in drafts if d.startswith(so_far) and len(d) > len(so_far)]


def _pick_among(
    tokens: Any, logits: np.ndarray, temperature: float, rng: np.random.Generator | None
) -> int:
    """The best-scored of `tokens`, or (with `rng`) one drawn by softmax(logits / temperature)."""
    candidates = np.asarray(tokens, dtype=np.int64)
    scores = logits[candidates].astype(np.float64)
    if rng is None or temperature <= 0:
        return int(candidates[int(scores.argmax())])
    weights = np.exp((scores - scores.max()) / temperature)
    return int(candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))])
