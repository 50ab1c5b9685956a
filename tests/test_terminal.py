"""What the command line prints: library terms become options, the user's text stays inert."""

from __future__ import annotations

import pandas as pd

from leadscore import terminal
from leadscore.terminal import in_cli_terms, plain


def test_backquoted_parameters_become_options_and_unknown_names_plain_words() -> None:
    flags = {"min_class_rows": "--min-class-rows", "id_col": "--id", "path": "--table"}
    assert (
        in_cli_terms("x.csv: too few rows. Lower `min_class_rows` to train anyway.", flags)
        == "x.csv: too few rows. Lower --min-class-rows to train anyway."
    )
    assert in_cli_terms("`id_col` 'Lead ID' is not a column of `path`.", flags) == (
        "--id 'Lead ID' is not a column of --table."
    )
    assert in_cli_terms("give `frame` or `rows`", flags) == "give frame or rows"
    # Text without backquotes, and backquotes around what is no name, are left as they are.
    assert in_cli_terms("'Budget [EUR]': 3 `x y` values", flags) == "'Budget [EUR]': 3 `x y` values"


def test_plain_keeps_markup_as_text_and_escapes_control_characters() -> None:
    shown = plain("[link=http://evil]x[/link] \x1b[2J\x07 line\n\tnext")
    assert shown.plain == "[link=http://evil]x[/link] \\x1b[2J\\x07 line\n\tnext"
    assert not shown.spans  # no style or link came from the text


def test_the_typing_table_shows_library_advice_with_the_commands_options() -> None:
    kinds = pd.DataFrame(
        {
            "header": ["Email", "\x1b[2JNotes"],
            "type": ["drop", "category"],
            "missing_share": [0.0, 0.5],
            "distinct_values": [1200, 3],
            "example": ["", "call back"],
            "action": ["dropped: personal data (`keep` it if it is not)", "used"],
        }
    )
    with terminal.console.capture() as captured:
        terminal.print_typing_table(kinds, 1500, 0.123, None, {"keep": "--keep"})
    shown = " ".join(captured.get().split())
    assert "1,500 rows, 12.3% converted; 1 columns used, 1 dropped:" in shown
    assert "dropped: personal data (--keep it if it is not)" in shown
    assert "\x1b" not in captured.get() and "\\x1b[2JNotes" in shown
