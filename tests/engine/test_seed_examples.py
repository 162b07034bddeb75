"""The code examples of ../shared/seeds/ that use the engine core, run with `import engine as dspy`.

Only the model differs: a ScriptedLM stands in for the hosted models the seeds name (the real
embedded model runs the same shapes in test_real_model.py).
"""

from __future__ import annotations

from typing import Literal

import engine as dspy
from engine.lm import ScriptedLM


def test_sentiment_signature_with_predict():  # seed 003
    dspy.configure(lm=ScriptedLM(answers=[{"sentiment": "negative"}]))

    class Sentiment(dspy.Signature):
        """Classify the sentiment of a product review."""

        review: str = dspy.InputField()
        sentiment: str = dspy.OutputField(desc="positive, negative, or neutral")

    classify = dspy.Predict(Sentiment)
    result = classify(review="The keyboard feels mushy and the trackpad lags.")
    assert result.sentiment == "negative"


def test_chain_of_thought_qa_module_save_and_load(tmp_path):  # seed 003
    dspy.configure(
        lm=ScriptedLM(answers=[{"reasoning": "It was designed by Google in C++.", "answer": "C++"}])
    )

    class QA(dspy.Signature):
        """Answer a question with a single concise sentence."""

        question: str = dspy.InputField()
        answer: str = dspy.OutputField()

    class SimpleQA(dspy.Module):
        def __init__(self):
            self.cot = dspy.ChainOfThought(QA)

        def forward(self, question):
            return self.cot(question=question)

    trainset = [
        dspy.Example(question="What year was Python created?", answer="1991").with_inputs(
            "question"
        ),
        dspy.Example(question="Who wrote Hamlet?", answer="William Shakespeare").with_inputs(
            "question"
        ),
    ]

    def exact_match(example, pred, trace=None):
        return example.answer.lower() in pred.answer.lower()

    program = SimpleQA()
    prediction = program(question="What language is TensorFlow written in?")
    assert prediction.answer == "C++" and prediction.reasoning
    assert exact_match(dspy.Example(answer="c++"), prediction)
    program.cot.predict.demos = trainset
    program.save(tmp_path / "my_program.json")
    reloaded = SimpleQA()
    reloaded.load(tmp_path / "my_program.json")
    assert [d.answer for d in reloaded.cot.predict.demos] == ["1991", "William Shakespeare"]


def test_two_module_rag_style_program():  # seed 003's RAGPipeline shape, with a function retriever
    passages = {"castle": ["David Gregory inherited Kinnairdy Castle in 1664."]}

    def retrieve(question: str) -> list[str]:
        return passages["castle"]

    dspy.configure(
        lm=ScriptedLM(
            answers=[
                {"search_query": "David Gregory castle"},
                {"reasoning": "The context names the castle.", "answer": "Kinnairdy Castle"},
            ]
        )
    )

    class RAGPipeline(dspy.Module):
        def __init__(self):
            self.rewrite = dspy.Predict("question -> search_query")
            self.generate = dspy.ChainOfThought("context, question -> answer")

        def forward(self, question):
            query = self.rewrite(question=question).search_query
            context = retrieve(query)
            return self.generate(context=context, question=question)

    program = RAGPipeline()
    assert program(question="What castle did David Gregory inherit?").answer == "Kinnairdy Castle"
    assert [name for name, _ in program.named_predictors()] == ["rewrite", "generate.predict"]


def test_typed_outputs_classify_and_extract():  # seed 001
    dspy.configure(
        lm=ScriptedLM(
            answers=[
                {"sentiment": "positive", "confidence": "0.75"},
                {
                    "title": "Apple Inc. Announces iPhone 14",
                    "headings": '["Introduction", "New Features"]',
                    "entities": '[{"name": "Tim Cook", "type": "Person"}]',
                },
                {"reasoning": "1 of 36 outcomes.", "answer": "0.0277"},
            ]
        )
    )

    class Classify(dspy.Signature):
        """Classify sentiment of a given sentence."""

        sentence: str = dspy.InputField()
        sentiment: Literal["positive", "negative", "neutral"] = dspy.OutputField()
        confidence: float = dspy.OutputField()

    out = dspy.Predict(Classify)(
        sentence="This book was super fun to read, though not the last chapter."
    )
    assert out.sentiment == "positive" and out.confidence == 0.75

    class ExtractInfo(dspy.Signature):
        """Extract structured information from text."""

        text: str = dspy.InputField()
        title: str = dspy.OutputField()
        headings: list[str] = dspy.OutputField()
        entities: list[dict[str, str]] = dspy.OutputField(
            desc="a list of entities and their metadata"
        )

    response = dspy.Predict(ExtractInfo)(text="Apple Inc. announced its latest iPhone 14 today.")
    assert response.headings == ["Introduction", "New Features"]
    assert response.entities == [{"name": "Tim Cook", "type": "Person"}]

    math = dspy.ChainOfThought("question -> answer: float")
    assert (
        math(
            question="Two dice are tossed. What is the probability that the sum equals two?"
        ).answer
        == 0.0277
    )


def test_with_updated_fields_literal_and_set_lm():  # seed 001 (classification)
    classes = ["card_arrival", "pin_blocked"]
    signature = dspy.Signature("text, hint -> label").with_updated_fields(
        "label", type_=Literal[tuple(classes)]
    )
    classify = dspy.ChainOfThought(signature)
    lm = ScriptedLM(answers=[{"reasoning": "PIN.", "label": "Pin_Blocked"}])
    classify.set_lm(lm)
    assert classify(text="My PIN is blocked", hint="pin_blocked").label == "pin_blocked"


def test_calling_the_lm_directly():  # seed 001
    lm = ScriptedLM(answers=["This is a test!", "This is a test!"])
    assert lm("Say this is a test!", temperature=0.7) == ["This is a test!"]
    assert lm(messages=[{"role": "user", "content": "Say this is a test!"}]) == ["This is a test!"]


def test_multi_stage_draft_article():  # seed 001 (multi-stage pipelines)
    dspy.configure(
        lm=ScriptedLM(
            answers=[
                {
                    "reasoning": "Outline.",
                    "title": "World Cup 2002",
                    "sections": '["Qualification"]',
                    "section_subheadings": '{"Qualification": ["UEFA Qualifiers"]}',
                },
                {"reasoning": "Draft.", "content": "The qualification process ..."},
            ]
        )
    )

    class Outline(dspy.Signature):
        """Outline a thorough overview of a topic."""

        topic: str = dspy.InputField()
        title: str = dspy.OutputField()
        sections: list[str] = dspy.OutputField()
        section_subheadings: dict[str, list[str]] = dspy.OutputField(
            desc="mapping from section headings to subheadings"
        )

    class DraftSection(dspy.Signature):
        """Draft a top-level section of an article."""

        topic: str = dspy.InputField()
        section_heading: str = dspy.InputField()
        section_subheadings: list[str] = dspy.InputField()
        content: str = dspy.OutputField(desc="markdown-formatted section")

    class DraftArticle(dspy.Module):
        def __init__(self):
            self.build_outline = dspy.ChainOfThought(Outline)
            self.draft_section = dspy.ChainOfThought(DraftSection)

        def forward(self, topic):
            outline = self.build_outline(topic=topic)
            sections = []
            for heading, subheadings in outline.section_subheadings.items():
                section, subheadings = (
                    f"## {heading}",
                    [f"### {subheading}" for subheading in subheadings],
                )
                section = self.draft_section(
                    topic=outline.title, section_heading=section, section_subheadings=subheadings
                )
                sections.append(section.content)
            return dspy.Prediction(title=outline.title, sections=sections)

    article = DraftArticle()(topic="World Cup 2002")
    assert article.title == "World Cup 2002" and article.sections == [
        "The qualification process ..."
    ]
