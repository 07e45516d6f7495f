from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.analysis.diff import diff_documents, diff_text, diff_words
from monitor.types import DiffKind, Document, DocumentKind, Item


def doc(*items: Item) -> Document:
    return Document(kind=DocumentKind.PAGE, items=items)


def item(key: str, text: str = "", title: str | None = None, **fields: str) -> Item:
    return Item(key=key, title=title or key, text=text, fields=fields)


CASES = [
    pytest.param(doc(item("a", "x")), doc(item("a", "x")), [], id="identical"),
    pytest.param(
        doc(item("a", "x"), item("b", "y")),
        doc(item("b", "y"), item("a", "x")),
        [],
        id="reorder-is-not-a-change",
    ),
    pytest.param(
        doc(item("a", "x")),
        doc(item("a", "x"), item("b", "y")),
        [(DiffKind.ADDED, "b")],
        id="added",
    ),
    pytest.param(
        doc(item("a", "x"), item("b", "y")),
        doc(item("a", "x")),
        [(DiffKind.REMOVED, "b")],
        id="removed",
    ),
    pytest.param(
        doc(item("a", "x")), doc(item("a", "z")), [(DiffKind.MODIFIED, "a")], id="modified-text"
    ),
    pytest.param(
        doc(item("a", status="OPEN")),
        doc(item("a", status="CLOSED")),
        [(DiffKind.MODIFIED, "a")],
        id="modified-field",
    ),
    pytest.param(
        doc(item("a", "x", title="Old")),
        doc(item("a", "x", title="New")),
        [(DiffKind.MODIFIED, "a")],
        id="renamed",
    ),
    pytest.param(
        doc(item("a"), item("b")),
        doc(item("c"), item("b")),
        [(DiffKind.ADDED, "c"), (DiffKind.REMOVED, "a")],
        id="added-and-removed",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_diff_documents(old: Document, new: Document, expected: list[tuple[DiffKind, str]]):
    assert [(d.kind, d.key) for d in diff_documents(old, new)] == expected


def test_field_changes_name_old_and_new_values():
    [change] = diff_documents(
        doc(item("i", feedback_end="2025-09-10", stage="X")),
        doc(item("i", feedback_end="2025-09-18", stage="X")),
    )
    assert [(f.name, f.old, f.new) for f in change.fields] == [
        ("feedback_end", "2025-09-10", "2025-09-18")
    ]


def test_only_changed_blocks_are_reported_with_word_ops():
    old = "First paragraph stays.\nThe deadline is 10 September 2025.\nLast one stays."
    new = "First paragraph stays.\nThe deadline is 18 September 2025.\nLast one stays."
    [block] = diff_text(old, new)
    assert block.old == "The deadline is 10 September 2025."
    assert block.new == "The deadline is 18 September 2025."
    assert [(op.op, op.text) for op in block.ops] == [
        ("equal", "The deadline is"),
        ("delete", "10"),
        ("insert", "18"),
        ("equal", "September 2025."),
    ]


def test_inserted_paragraph_is_whole_block_insert():
    [block] = diff_text("a\nc", "a\nb\nc")
    assert (block.old, block.new) == (None, "b")


def test_added_item_carries_its_text_as_inserted():
    [change] = diff_documents(doc(), doc(item("n", "New guidelines published.\nSecond.")))
    assert change.inserted_text() == "New guidelines published. Second."
    assert change.deleted_text() == ""


def test_modified_item_inserted_and_deleted_text():
    [change] = diff_documents(
        doc(item("a", "open until 10 June")), doc(item("a", "open until 30 June"))
    )
    assert (change.deleted_text(), change.inserted_text()) == ("10", "30")


words = st.lists(st.sampled_from(["a", "b", "c", "deadline", "2025", "June"]), max_size=12)
texts = st.lists(words.map(" ".join).filter(bool), max_size=6).map("\n".join)


@given(texts)
def test_text_equal_to_itself_has_no_blocks(text: str):
    assert diff_text(text, text) == ()


@given(words.map(" ".join).filter(bool), words.map(" ".join).filter(bool))
def test_word_ops_rebuild_both_sides(old: str, new: str):
    ops = diff_words(old, new)
    rebuilt_new = " ".join(op.text for op in ops if op.op != "delete" and op.text)
    rebuilt_old = " ".join(op.text for op in ops if op.op != "insert" and op.text)
    assert (rebuilt_old, rebuilt_new) == (old, new)


@given(st.lists(st.sampled_from("abcdef"), unique=True), st.randoms())
def test_any_permutation_of_items_is_no_change(keys: list[str], rnd):
    items = [item(k, f"text {k}") for k in keys]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert diff_documents(doc(*items), doc(*shuffled)) == []


def test_a_huge_repetitive_paragraph_is_diffed_by_sentence_and_rebuilds():
    # difflib alone is quadratic here (minutes); the sentence pass keeps it bounded.
    old = " ".join(f"Point {i}: the AI Office shall assess the model." for i in range(3000))
    new = old.replace("Point 1500: the AI Office shall", "Point 1500: the AI Office must")
    ops = diff_words(old, new)
    assert [op.text for op in ops if op.op != "equal"] == ["shall", "must"]
    assert " ".join(op.text for op in ops if op.op != "delete") == new
    assert " ".join(op.text for op in ops if op.op != "insert") == old
