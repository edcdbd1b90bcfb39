"""`python -m audiodiag.model_cards [README.md]`: rewrite the README's licence table (the `models:licences` block)
from the cards; tests/test_model_cards.py fails until it equals them."""
import sys
from pathlib import Path

from audiodiag.model_cards import licence_table

START, END = "<!-- models:licences -->\n", "\n<!-- /models:licences -->"


def rewrite(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(head + START + licence_table() + END + tail, encoding="utf-8")


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    rewrite(readme)
    print(f"{readme}: licence table rewritten from the model cards")
