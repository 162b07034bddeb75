"""An instruction optimizer's search space as the run store sees it: per predictor, the
instructions and demo sets on offer (the `proposals` event), and which of them a candidate uses.

Pure functions over plain JSON data, shared by the optimizers (which emit `proposals`) and the
dashboard (which reads them back). See docs/design/instruction_search.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.optimizers.spine import content_hash


def demo_set_hash(demos: Iterable[Any]) -> str:
    """A content hash of a list of demos (Examples or dicts), as they appear in a state."""
    return content_hash([dict(d.items()) if hasattr(d, "items") else dict(d) for d in demos])


def predictor_states(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{predictor path: predictor state}; a bare Predict's state is reported under "self"."""
    if "signature" in state and "demos" in state:
        return {"self": state}
    return {path: s for path, s in state.items() if isinstance(s, dict) and "signature" in s}


def latest_proposals(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{predictor: the last `proposals` payload for it} from event payloads (or Event dicts)."""
    out: dict[str, dict[str, Any]] = {}
    for event in events:
        data = event.get("data", event) if isinstance(event, dict) else event.data
        if isinstance(event, dict) and event.get("type") not in (None, "proposals"):
            continue
        if "predictor" in data and "instructions" in data:
            out[data["predictor"]] = data
    return out


def locate(
    state: dict[str, Any], proposals: dict[str, dict[str, Any]]
) -> dict[str, tuple[int | None, int | None]]:
    """{predictor: (instruction index, demo set index)} of a candidate state; None where the
    candidate's instruction or demos are not among the proposals (e.g. a student with demos)."""
    out: dict[str, tuple[int | None, int | None]] = {}
    for path, pstate in predictor_states(state).items():
        offered = proposals.get(path)
        if offered is None:
            continue
        text = str((pstate.get("signature") or {}).get("instructions", ""))
        instruction = next(
            (i["index"] for i in offered.get("instructions", []) if i.get("text") == text), None
        )
        demos_hash = demo_set_hash(pstate.get("demos", []))
        demo_set = next(
            (d["index"] for d in offered.get("demo_sets", []) if d.get("hash") == demos_hash),
            None,
        )
        out[path] = (instruction, demo_set)
    return out
