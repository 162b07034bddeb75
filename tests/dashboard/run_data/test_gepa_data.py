"""The GEPA views name one best candidate: the run's chosen one, whatever ties say."""

from dashboard.run_data.gepa import LineageNode, best_node


def node(number: int, score: float, parents: list[int] | None = None) -> LineageNode:
    return LineageNode(
        number=number, hash=f"h{number}", parents=parents or [], score=score, depth=0,
        origin="", instructions={"classify": f"instruction {number}"},
    )  # fmt: skip


def test_the_runs_chosen_candidate_wins_a_tie():
    nodes = [node(0, 0.5), node(1, 0.8, [0]), node(2, 0.8, [0])]
    assert best_node(nodes, "h2").number == 2
    assert best_node(nodes[1:], "h2").number == 2  # the picker looks at children only


def test_without_a_chosen_candidate_the_earliest_top_score_is_best():
    nodes = [node(0, 0.5), node(1, 0.8, [0]), node(2, 0.8, [0])]
    assert best_node(nodes).number == 1
    assert best_node(nodes, "not-in-the-pool").number == 1
