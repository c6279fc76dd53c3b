"""The grader flags part-2 code that starts from a network of the model zoo, which the rules
forbid (the zoo's networks were trained on the capstone's 6000 training and dev images, outside
any budget). The weights cannot tell (an honest ``mlp([784, 256, 128, 10], seed=0)`` starts
from the zoo networks' own initialization), so the code is read: its plain forms are caught."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dlnotes import capstone
from dlnotes.capstone.harness import submission_from_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade_capstone  # noqa: E402

from tests.test_grade_capstone import _notebook  # noqa: E402
from tests.test_grade_capstone_hostile_runs import _hidden  # noqa: E402

ANSWER = "def train_best_model(data, budget):\n    {start}\n    return model\n"

ZOO_STARTS = {
    "from dlnotes import zoo\n" + ANSWER.format(start='model = zoo.load("fashion10_mlp")'):
        ["calls zoo.load", "names 'fashion10_mlp'"],
    "from dlnotes import zoo as z\n" + ANSWER.format(start="model = z.load(NAME)"):
        ["calls z.load"],
    "from dlnotes.zoo import load\n" + ANSWER.format(start="model = load(NAME)"):
        ["imports dlnotes.zoo.load"],
    "from dlnotes.zoo import *\n" + ANSWER.format(start="model = load(NAME)"):
        ["calls load from dlnotes.zoo import *"],
    "import dlnotes.zoo\nZ = dlnotes.zoo\n" + ANSWER.format(start="model = Z.load(N)"):
        ["calls Z.load"],
    "from pathlib import Path\nimport dlnotes\n" + ANSWER.format(
        start="model = mlp(S).load(next((Path(dlnotes.__file__).parent / 'zoo')"
        ".glob('*10_mlp.npz')))"
    ): ["names the zoo's folder and an .npz file"],
    "import dlnotes.zoo\n" + ANSWER.format(start="model = dlnotes.zoo.load(NAME)"):
        ["calls dlnotes.zoo.load"],
    "import dlnotes.zoo as Z\n" + ANSWER.format(start="model = Z.load(NAME)"):
        ["calls Z.load"],
    ANSWER.format(start="model = Sequential.load(DIR + '/zoo/fashion5_mlp.npz')"):
        ["names 'fashion5_mlp.npz'", "names the zoo's folder and an .npz file"],
}  # fmt: skip


@pytest.mark.parametrize("source", list(ZOO_STARTS))
def test_a_zoo_start_written_plainly_is_flagged(source: str) -> None:
    note = capstone.zoo_note(source)
    assert note.startswith("the part-2 code uses the model zoo ("), note
    for why in ZOO_STARTS[source]:
        assert why in note, (why, note)
    assert note.endswith(
        "a start from a pretrained network of dlnotes.zoo is not allowed (trained on the same "
        "6000 training and dev images, outside any budget), read the cell"
    ), note


HONEST = [
    "from dlnotes.zoo import ParamGroups\nfrom dlnotes.model import mlp\n"
    + ANSWER.format(start="model = mlp([784, 256, 128, 10], seed=0)"),
    "# not from the zoo (zoo.load('fashion10_mlp') is not allowed)\n"
    + ANSWER.format(start="model = mlp([784, 10])"),
    "import json\n" + ANSWER.format(start="model = json.load(open('m.json'))"),  # another load
    ANSWER.format(start="model = load(NAME)"),  # a load of its own
    "from dlnotes import zoo\n" + ANSWER.format(start="print(zoo.available()); model = None"),
    # a sentence that mentions a zoo network (a docstring, a print) is not a load
    'def train_best_model(data, budget):\n    """From scratch; not fashion10_mlp."""\n'
    "    print('no fashion5_mlp here')\n    return None\n",
    "from dlnotes.zoo import *\n" + ANSWER.format(start="model = ParamGroups(P)"),
    "def broken(:\n",  # no code to read: nothing to say here (the run says it)
    "x = '" + "a" * 200_000 + "'",  # too long to read here: source_note flags its size
]


@pytest.mark.parametrize("source", HONEST)
def test_code_that_does_not_start_from_the_zoo_is_not_flagged(source: str) -> None:
    assert capstone.zoo_note(source) == ""


def test_the_reference_answer_is_not_flagged(tmp_path: Path) -> None:
    sub = submission_from_notebook(ROOT / "notebooks" / "16_capstone.ipynb", tmp_path / "s.py")
    code = sub.read_text(encoding="utf-8")
    assert "def train_best_model" in code and "mlp(" in code
    assert capstone.zoo_note(code) == ""


def test_the_grader_flags_a_zoo_start_for_review(tmp_path: Path, monkeypatch) -> None:
    source = next(iter(ZOO_STARTS))
    nb = _notebook(tmp_path / "zoo.ipynb", source)
    data = capstone.capstone_data()
    plain = capstone.model_to_plain(capstone.reference_train_best_model(data, capstone.Budget()))
    monkeypatch.setattr(capstone, "run_submission", lambda sub, wrap: (plain, "returned"))
    row = grade_capstone.grade_one("zoo", nb, _hidden(tmp_path / "hidden.npz"))
    assert "REVIEW: the part-2 code uses the model zoo (calls zoo.load" in str(row["run"]), row
    assert float(row["points"]) > 0  # a REVIEW flag: the points stand, the instructor decides
