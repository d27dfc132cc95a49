"""Did you mean ...? The closest of the names a marketer could have meant."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most likely a misspelling of, if one is close enough."""
    options = [choice for choice in dict.fromkeys(choices) if choice != word]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if match:
        return match[0]
    # A name cut short (`still` for `still_thinking`) is too unlike the whole for difflib.
    lowered = word.lower()
    started = [choice for choice in options if len(lowered) >= 3 and choice.startswith(lowered)]
    return started[0] if len(started) == 1 else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'trigger'?`, or nothing when no choice is close."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""
