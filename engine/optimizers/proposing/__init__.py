"""Instruction proposals shared by the optimizers that write instructions (MIPROv2, COPRO,
GEPA, SIMBA): the proposer, the cleaning of its replies, and where proposals are stored."""

from engine.optimizers.proposing._cleaning import (
    ProposalCleaner,
    instruction_reply_kwargs,
    normalize,
)
from engine.optimizers.proposing._grounding import (
    FROM_RECORDS,
    TaskFacts,
    data_summary,
    reflection_variations,
    task_facts,
)
from engine.optimizers.proposing._proposer import (
    GroundedProposer,
    ProposalSet,
    describe_step,
    draw_cap,
    emit_proposals,
)
from engine.optimizers.proposing._search_space import (
    demo_set_hash,
    latest_proposals,
    locate,
    predictor_states,
)

__all__ = [
    "data_summary", "demo_set_hash", "describe_step", "draw_cap", "emit_proposals", "FROM_RECORDS",
    "GroundedProposer", "instruction_reply_kwargs", "latest_proposals", "locate", "normalize",
    "predictor_states", "ProposalCleaner", "ProposalSet", "reflection_variations",
    "task_facts", "TaskFacts",
]  # fmt: skip
