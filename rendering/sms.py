"""SMS text: the opt-out line every marketing SMS carries, and what a text costs to send.

An SMS travels in 140-byte segments, in one of two encodings:

- **GSM-7** when every character is in the GSM 03.38 default alphabet (basic table) or its
  extension table. A basic character takes one septet, an extension character
  (`€ [ ] { } ^ ~ \\ |` and form feed) two: an escape and the character. One SMS holds 160
  septets; a longer text is split into parts of 153 (the rest carries the part header).
- **UCS-2** otherwise: 70 UTF-16 code units in one SMS, 67 per part of a longer one; an
  emoji outside the Basic Multilingual Plane counts 2.

Turkish needs care: ş ğ ı İ Ş Ğ are not in the GSM-7 tables (ü Ü ö Ö Ç é are, and so is
plain ASCII), so one of those letters makes the whole message UCS-2 and Turkish text is
usually UCS-2: 70 characters per SMS, not 160. Lowercase ç is not in the table either: the
standard's code 0x09 is the capital Ç, which some providers use as a lossy stand-in for ç;
counting ç as UCS-2 never promises fewer segments than are billed. The Turkish national
language shift tables (3GPP TS 23.038) would fit these letters into GSM-7, but few
providers use them, so they are not assumed here.

Segments are counted as an encoder packs them: an escape pair, or a UTF-16 surrogate pair,
is never split across two parts, so such a character at a boundary starts the next part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SmsEncoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (basic table), in code order 0x00-0x7F; 0x1B (the escape to
# the extension table) is left out because it is not a character of its own.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_LIMITS: dict[SmsEncoding, tuple[int, int]] = {
    # (one SMS, each part of a concatenated SMS)
    "GSM-7": (160, 153),
    "UCS-2": (70, 67),
}

OPT_OUT: dict[str, str] = {
    "en": "Reply STOP to opt out.",
    "tr": "SMS almamak için RET yazıp yanıtlayın.",
}
_DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class SmsSegments:
    """How a text is sent: its encoding, its length in that encoding, and its parts."""

    encoding: SmsEncoding
    characters: int  # septets for GSM-7 (extension characters count 2), UTF-16 units for UCS-2
    segments: int

    def __str__(self) -> str:
        noun = "segment" if self.segments == 1 else "segments"
        return f"{self.segments} {noun} ({self.encoding}, {self.characters} characters)"


def opt_out_instruction(language: str) -> str:
    """The opt-out sentence for a language (`tr`, `en`, ...); English for any other."""
    return OPT_OUT.get(language.lower(), OPT_OUT[_DEFAULT_LANGUAGE])


def with_opt_out(text: str, language: str) -> str:
    """`text` with the opt-out instruction on its own last line, unless it already has it.

    `language` is the language of the rendered template (`tr` for `nudge/tr.sms`), so the
    instruction is in the same language as the message; unknown languages get English.
    """
    instruction = opt_out_instruction(language)
    if instruction.casefold() in text.casefold():
        return text
    body = text.rstrip()
    return f"{body}\n{instruction}" if body else instruction


def sms_segments(text: str) -> SmsSegments:
    """The encoding, length and number of SMS segments `text` is sent as."""
    units = _gsm7_units(text)
    encoding: SmsEncoding = "GSM-7"
    if units is None:
        encoding = "UCS-2"
        units = [2 if ord(char) > 0xFFFF else 1 for char in text]
    single, part = _LIMITS[encoding]
    characters = sum(units)
    if characters <= single:
        return SmsSegments(encoding, characters, 1)
    return SmsSegments(encoding, characters, _packed_parts(units, part))


def _gsm7_units(text: str) -> list[int] | None:
    """Septets per character, or None if a character has no GSM-7 encoding."""
    units = []
    for char in text:
        if char in _GSM7_BASIC:
            units.append(1)
        elif char in _GSM7_EXTENSION:
            units.append(2)
        else:
            return None
    return units


def _packed_parts(units: list[int], capacity: int) -> int:
    """Parts needed when no character (escape or surrogate pair) is split between two."""
    parts, used = 1, 0
    for size in units:
        if used + size > capacity:
            parts, used = parts + 1, 0
        used += size
    return parts
