"""Instruction proposals shared by the optimizers that write instructions (MIPROv2, COPRO,
GEPA, SIMBA): the proposer, the cleaning of its replies, and where proposals are stored."""

from engine.optimizers.proposing._search_space import latest_proposals, locate

__all__ = ["latest_proposals", "locate"]
