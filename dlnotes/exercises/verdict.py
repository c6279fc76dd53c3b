"""How a check's verdict is shown: folded text, HTML in a notebook, and :class:`CheckFailed`.

:func:`report` is the one place a verdict leaves dlnotes. A pass is printed (in a Jupyter
front end, displayed as HTML with a green border, as a failure's feedback is). A failure raises
:class:`CheckFailed` (an ``AssertionError``, so a graded cell fails), whose feedback IPython
shows without traceback frames. In a Jupyter front end (JupyterLab, Notebook, VS Code) the
feedback is displayed as HTML above a one-line error: JupyterLab styles every text output with
``word-break: break-all``, which cuts words in two once the output area is narrower than the
folded text, while HTML wraps between words at any width. In Colab, whose "Run all" stops at
the first error, a failure is printed instead of raised.

Used by :func:`dlnotes.exercises.check` and :func:`dlnotes.capstone.scoring.model_check`.
Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import html
import re
import sys
import textwrap

#: The width feedback is folded to when shown as text: the book's 88 columns, so that no line
#: of a verdict scrolls sideways on the website or in a terminal.
FEEDBACK_WIDTH = 88

#: How much further in than its line a folded row continues, in columns.
HANG = 4

#: The spaces never broken at: around ``=``, ``<``, ``+`` and their kin, before a unit ``s``,
#: after ``shape`` and in numpy's padded brackets and commas, so that a name stays with its
#: value, a comparison or a sum with its terms, and no row starts with a comma.
_GLUED = re.compile(r" (?=[=<>≤≥+,\]]|s\b)|(?<=[=<>≤≥+\[]) |(?<=shape) ")

#: Code in a hint, in backticks (`xs.append(x.copy())` in the text), set as code in HTML.
_CODE = re.compile(r"`([^`\n]+)`")

#: The label a named mistake starts with, set in bold in HTML.
_MISTAKE = "Likely mistake:"


class _ShownAlone(Exception):
    """An exception that IPython shows as its message alone, without traceback frames from
    inside dlnotes (see :class:`CheckFailed`)."""

    #: Whether the feedback has been displayed as HTML (then IPython shows the title alone).
    displayed = False

    def _render_traceback_(self) -> list[str]:
        """The lines IPython shows in place of the traceback: a red title and the feedback
        folded to :data:`FEEDBACK_WIDTH` columns, or, in a Jupyter front end, the title alone
        under the feedback displayed as HTML (:func:`feedback_html`), once: IPython 9 renders
        an error a second time to keep it in its history."""
        title = f"\x1b[1;31m✗ {type(self).__name__}\x1b[0m"
        if self.displayed or _display_html(str(self)):
            self.displayed = True
            # short rows: JupyterLab wraps a long error line anywhere, inside words too
            # ("0 of 6 checks pass" / "ed" at 900 px), so the summary is wrapped between
            # words to rows it shows whole (see error_rows)
            said = summary(str(self), ERROR_LINE_WIDTH)
            rows = error_rows(f"✗ {type(self).__name__}: ", said)
            first = f"{title}: " + rows[0][len(type(self).__name__) + 4 :]
            return ["\n".join([first, *rows[1:]]), "  (the feedback is above)"]
        return [title, fold(str(self))]


class CheckFailed(_ShownAlone, AssertionError):
    """A learner's answer failed its checks; the message is the feedback.

    An ``AssertionError``, so graders (nbgrader, nbval, pytest) see a failing cell. IPython
    (7.34 as on Colab, 8 and 9) shows it as the feedback alone, without traceback frames from
    inside dlnotes: ``__tracebackhide__`` is not honoured by IPython's default traceback mode,
    but an exception's ``_render_traceback_`` is.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """


class CheckUsageError(_ShownAlone, ValueError):
    """A check called with what it cannot take (an exercise name that does not exist, an
    unknown suite, a time limit out of range): a ``ValueError`` that IPython shows as its
    message alone, as it shows :class:`CheckFailed`, without dlnotes' traceback frames.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """


#: the widest summary on the error line under the HTML feedback (then wrapped to rows of
#: :data:`ERROR_ROW_WIDTH`): what nbgrader's *Validate* dialog shows of a failure
ERROR_LINE_WIDTH = 72

#: the widest row of the error under the HTML feedback, in characters, "✗ CheckFailed: "
#: included. JupyterLab breaks error text anywhere, inside words too, and at 900 px its
#: notebook (about 470 px of output) shows 58 characters a row ("✗ CheckFailed:
#: ch11_update_running_stats: 1 of 3 checks pa" / "ssed"): rows of 56 leave a margin.
ERROR_ROW_WIDTH = 56


def error_rows(title: str, said: str, width: int = ERROR_ROW_WIDTH) -> list[str]:
    """The error line ``title + said`` (``"✗ CheckFailed: "`` and the :func:`summary`) as rows
    of at most ``width`` characters, broken between words only: one row when it fits, else the
    title and the exercise's name (``ch11_update_running_stats:``) on the first row and the
    rest wrapped under it, two spaces in. A word longer than a row is kept whole."""
    if len(title) + len(said) <= width:
        return [title + said]
    name, colon, rest = said.partition(": ")
    if not colon or not re.fullmatch(r"ch\d\d_\w+", name):
        name, rest = "", said
    head = (title + name + colon).rstrip()
    rows = textwrap.wrap(
        rest,
        width=width,
        initial_indent="  " if name else " " * len(title),
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    if not name:  # the title starts the first row
        return [title + rows[0].lstrip(), *rows[1:]] if rows else [head]
    return [head, *rows]


def summary(message: str, width: int = 80) -> str:
    """The verdict's first sentence (``ch04_nesterov: 0 of 4 checks passed``), cut at a word
    with ``…`` when longer than ``width``: what the error line under the HTML feedback says,
    and all that nbgrader's *Validate* dialog shows of a failure. The sentence is that of the
    verdict's own line (the one that starts with the exercise's name), not of a note above it,
    and an "e.g." does not end it."""
    lines = message.strip().splitlines()
    first = next((ln for ln in lines if re.match(r"ch\d\d_\w+: ", ln)), lines[0] if lines else "")
    first = _without_case_label(first)
    sentence = re.split(r"(?<!\be\.g)(?<!\bi\.e)\.(?:\s|$)", first)[0].rstrip(".:")
    sentence = sentence.replace("`", "")  # plain text: the HTML above shows the code as code
    if len(sentence) <= width:
        return sentence
    cut = sentence[: width - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(",;: ") + "…"


def _without_case_label(line: str) -> str:
    """``ch01_standardize: check 1 of 6: your function raised ...`` from a verdict that names
    the check's case in parentheses after ``check 1 of 6`` (a label that can hold parentheses
    itself): the error line has room for what happened, not for the case."""
    found = re.match(r"(ch\d\d_\w+: (?:hidden )?check \d+ of \d+) \(", line)
    if not found:
        return line
    depth = 0
    for i in range(found.end() - 1, len(line)):
        depth += {"(": 1, ")": -1}.get(line[i], 0)
        if depth == 0:
            return found.group(1) + line[i + 1 :]
    return line


def report(passed: bool, message: str, *, note: str = "") -> None:
    """Show a verdict: a pass as ``message`` (and ``note``, if any, under it), else raise
    :class:`CheckFailed` with it, or in Colab print it on stderr.

    In a Jupyter kernel a pass is displayed as HTML, as a failure's feedback is, with a green
    border (its note with an amber one) and the folded text for plain front ends and graders:
    folded text would be wrapped again by a notebook narrower than 88 columns. Elsewhere (a
    terminal, plain Python, Colab) it is printed, and the note on stderr."""
    __tracebackhide__ = True
    if not passed:
        if in_colab():
            print(fold(f"✗ {message}"), file=sys.stderr)
            return
        raise CheckFailed(message) from None
    if not _display_html(message, tone="pass"):
        print(fold(message), flush=True)
    if note and not _display_html(note, tone="note"):
        print(fold(note), file=sys.stderr, flush=True)  # on stderr, where it shows most


def in_colab() -> bool:
    """True in Colab, whose "Run all" stops at the first failing cell and ignores the
    ``raises-exception`` tag: there :func:`report` prints a failure instead of raising."""
    return "google.colab" in sys.modules


def fold(text: str, width: int = FEEDBACK_WIDTH) -> str:
    """``text`` with every line longer than ``width`` folded, for display as text.

    A folded line continues :data:`HANG` columns further in than it starts. A check's
    ``inputs:`` line breaks between its ``; ``-separated arguments first; everything breaks
    between words, and a single word longer than the line is kept whole.
    """
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        more = indent + " " * HANG
        row = ""
        body = line.strip()
        parts = re.split(r"(?<=;) ", body) if body.startswith("inputs: ") else [body]
        for part in parts:
            if row and len(row) + 1 + len(part) <= width:
                row += " " + part
                continue
            if row:
                out.append(row)
            rows = textwrap.wrap(
                _GLUED.sub("\0", part),  # no break inside "eps = 1e-05" or "[ 1.4 ,  0.2]"
                width=width,
                initial_indent=more if row else indent,
                subsequent_indent=more,
                break_long_words=False,
                break_on_hyphens=False,
            )
            out.extend(r.replace("\0", " ") for r in rows[:-1])
            row = rows[-1].replace("\0", " ")
        out.append(row)
    return "\n".join(out)


#: The colour of the border of a verdict shown as HTML, by its tone: a failure's feedback, a
#: pass, and a note under a pass (JupyterLab's theme colours, with fallbacks elsewhere).
BORDERS = {
    "error": "var(--jp-error-color1, #d32f2f)",
    "pass": "var(--jp-success-color1, #388e3c)",
    "note": "var(--jp-warn-color1, #f57c00)",
}


def feedback_html(text: str, tone: str = "error") -> str:
    """``text`` as an HTML block that wraps between words at any width.

    One ``<div>`` a line, monospace, indented as in the text, a wrapped line continuing
    :data:`HANG` columns further in (as :func:`fold` does), code in backticks as ``<code>``.
    No ``<pre>`` (JupyterLab breaks its lines inside words) and no ``white-space`` rule: runs
    of spaces are kept as non-breaking ones, and the spaces :func:`fold` never breaks at do
    not break here either, so the block reads the same where a sanitizer strips its styles.
    Its left border is coloured by ``tone`` (:data:`BORDERS`): red for a failure.
    """
    rows = []
    for line in text.splitlines():
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        body = html.escape(_GLUED.sub("\0", body), quote=False)
        body = re.sub(r" {2,}", lambda m: "\u00a0" * (len(m.group()) - 1) + " ", body)
        body = _CODE.sub(_code_span, body.replace("\0", "\u00a0"))
        if body.startswith(_MISTAKE):
            body = f"<b>{_MISTAKE}</b>{body[len(_MISTAKE) :]}"
        style = f"padding-left: {indent + HANG}ch; text-indent: -{HANG}ch"
        rows.append(f'<div style="{style}">{body or "&nbsp;"}</div>')
    box = (
        "font-family: var(--jp-code-font-family, monospace); "
        "font-size: var(--jp-code-font-size, 13px); line-height: 1.45; "
        "overflow-wrap: anywhere; padding: 2px 0 2px 8px; "
        f"border-left: 3px solid {BORDERS[tone]}"
    )
    return f'<div class="dlnotes-feedback" style="{box}">{"".join(rows)}</div>'


#: Code in backticks up to this long is kept on one line (``X -= mu`` must not break into
#: ``X -`` and ``= mu``); longer code may break between its words.
_NOWRAP_CODE = 24


def _code_span(found: re.Match[str]) -> str:
    """A backticked piece of feedback as ``<code>``, its spaces non-breaking when it is short
    (:data:`_NOWRAP_CODE`)."""
    code = found.group(1)
    if len(html.unescape(code)) <= _NOWRAP_CODE:
        code = code.replace(" ", "\u00a0")
    return f"<code>{code}</code>"


def _display_html(text: str, tone: str = "error") -> bool:
    """Display ``text`` as HTML (with the folded text for plain front ends) when IPython runs
    in a Jupyter kernel, its border coloured by ``tone``; ``True`` if it was shown. ``False`` in
    a terminal, in plain Python, and in Colab (where :func:`report` prints instead)."""
    if in_colab():
        return False
    try:
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if shell is None or getattr(shell, "kernel", None) is None:
            return False  # not a kernel: a terminal shows the text
        bundle = {"text/plain": fold(text), "text/html": feedback_html(text, tone)}
        display(bundle, raw=True)
    except Exception:  # no IPython, or a display that failed: show the text instead
        return False
    return True
