"""Reading a prompt for the offline model: which of its labels ("digit 7", "brick", …) it asks for.

Prompts are often written for Stable Diffusion ("a seven, highly detailed, (masterpiece:1.2), 4k"),
so only whole words and lone numbers count: digit words ("seven") and single digits ("7") name
digits; attention weights ("(text:1.2)", "[from:to:0.5]"), extra-network tags ("<lora:name:0.8>"),
decimals ("1.2", ".5") and numbers glued to letters ("4k", "3d") do not.
"""

from __future__ import annotations

import re

from genart_core.api import GenArtError

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# <lora:name:0.8>, <hypernet:name:1>: they name files to load, not things to draw.
_EXTRA_NETWORK_TAG = re.compile(r"<[^<>]*>")
# The number after a colon is a weight or a step in A1111's syntax: (text:1.2), [from:to:0.5], [a:b:10].
_COLON_NUMBER = re.compile(r":\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
# A token is a run of letters and digits; a number token swallows its decimals (1.2, 1,000, .5) and
# any letters glued to it (4k, 3d), so none of those reads as a lone digit.
_TOKEN = re.compile(r"\.?\d+(?:[.,]\d+)*[a-z0-9]*|[a-z0-9]+")


def prompt_tokens(text: str) -> list[str]:
    """The words and numbers of a prompt, lower-cased, with weight syntax and tags removed."""
    plain = _COLON_NUMBER.sub(" ", _EXTRA_NETWORK_TAG.sub(" ", text.lower()))
    return _TOKEN.findall(plain)


def _label_phrases(label: str) -> list[tuple[str, ...]]:
    """The token sequences that name a label: a digit and its word, or the label and its plural."""
    if label.startswith("digit ") and label[6:].isdigit() and len(label) == 7:
        digit = label[-1]
        return [(digit,), (NUMBER_WORDS[int(digit)],)]
    words = tuple(prompt_tokens(label))
    if not words:
        return []
    return [words, words[:-1] + (words[-1] + "s",)]


def parse_prompt(text: str, labels: list[str]) -> int | None:
    """The index of the label a prompt asks for ("a seven" -> "digit 7", "a brick texture" -> "brick").

    The label named first in the prompt wins. None for a prompt without words (an unconditional
    sample); GenArtError for one that names nothing the model can draw.
    """
    tokens = prompt_tokens(text)
    if not tokens:
        return None
    first_mention: dict[int, int] = {}  # label index -> token position
    for index, label in enumerate(labels):
        for phrase in _label_phrases(label):
            for position in range(len(tokens) - len(phrase) + 1):
                if tuple(tokens[position : position + len(phrase)]) == phrase:
                    first_mention[index] = min(position, first_mention.get(index, position))
                    break
    if first_mention:
        return min(first_mention, key=lambda index: (first_mention[index], index))
    known = ", ".join(labels)
    raise GenArtError(f"The offline model does not know “{text}”. It can draw: {known}.")
