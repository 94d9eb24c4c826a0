"""exams.services.bank: what an editor writes is what a worker reads."""

from __future__ import annotations

import pytest

from exams.models import QuestionKind
from exams.services.bank import BankError, QuestionData, question_save

pytestmark = pytest.mark.django_db


def test_full_width_punctuation_is_kept_and_still_finds_duplicates(personas):
    data = QuestionData(kind=QuestionKind.SINGLE, stem="噪声作业，应当怎样保护听力？（单选）",
                        options=["佩戴耳塞，并正确插入", "不用保护"], answer="A", explanation="耳塞要搓细后插入。")
    question = question_save(actor=personas.editor, data=data)
    assert question.stem == "噪声作业，应当怎样保护听力？（单选）"
    assert question.current_version.options[0] == "佩戴耳塞，并正确插入"
    ascii_copy = QuestionData(kind=QuestionKind.SINGLE, stem="噪声作业,应当怎样保护听力?(单选)",
                              options=["不用保护", "佩戴耳塞,并正确插入"], answer="B")
    with pytest.raises(BankError):
        question_save(actor=personas.editor, data=ascii_copy)


def test_a_stem_longer_than_a_question_is_refused(personas):
    data = QuestionData(kind=QuestionKind.TRUE_FALSE, stem="长" * 1001, options=[], answer="对")
    with pytest.raises(BankError) as refused:
        question_save(actor=personas.editor, data=data)
    assert refused.value.field == "stem"


@pytest.mark.parametrize("answer", ["X", "x", "?"])
def test_an_ambiguous_true_false_answer_is_refused(personas, answer):
    data = QuestionData(kind=QuestionKind.TRUE_FALSE, stem="耳塞可以不洗手直接佩戴。", options=[], answer=answer)
    with pytest.raises(BankError):
        question_save(actor=personas.editor, data=data)
