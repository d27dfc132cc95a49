"""SMS text: the opt-out line, and how many segments (billed SMS) a text is sent as."""

from __future__ import annotations

import pytest

from rendering.sms import SmsSegments, opt_out_instruction, sms_segments, with_opt_out

# --- the opt-out line --------------------------------------------------------------------


def test_english_text_gets_the_english_opt_out_on_its_own_line() -> None:
    assert with_opt_out("Your cart is waiting.  \n", "en") == (
        "Your cart is waiting.\nReply STOP to opt out."
    )


def test_turkish_text_gets_the_turkish_opt_out() -> None:
    assert with_opt_out("Sepetin seni bekliyor.", "tr") == (
        "Sepetin seni bekliyor.\nSMS almamak için RET yazıp yanıtlayın."
    )


@pytest.mark.parametrize("language", ["de", "az", ""])
def test_other_languages_get_english(language: str) -> None:
    assert with_opt_out("Hallo", language) == "Hallo\nReply STOP to opt out."


def test_the_language_is_matched_whatever_its_case() -> None:
    assert opt_out_instruction("TR") == "SMS almamak için RET yazıp yanıtlayın."


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sale ends today. Reply STOP to opt out.", "en"),
        ("Sale ends today. reply stop to opt out. Thanks!", "en"),
        ("İndirim bugün bitiyor. SMS almamak için RET yazıp yanıtlayın.", "tr"),
    ],
)
def test_text_that_already_has_the_opt_out_is_left_alone(text: str, language: str) -> None:
    assert with_opt_out(text, language) == text


def test_the_opt_out_of_another_language_does_not_count() -> None:
    text = "Sepetin seni bekliyor. Reply STOP to opt out."

    assert with_opt_out(text, "tr").endswith("\nSMS almamak için RET yazıp yanıtlayın.")


# --- GSM-7 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_fits_160_in_one_sms_and_153_per_part(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == SmsSegments("GSM-7", length, segments)


@pytest.mark.parametrize("char", list("€[]{}^~\\|\f"))
def test_extension_characters_count_two(char: str) -> None:
    assert sms_segments(char) == SmsSegments("GSM-7", 2, 1)


def test_extension_characters_push_a_text_over_the_limit() -> None:
    assert sms_segments("€" * 80) == SmsSegments("GSM-7", 160, 1)
    assert sms_segments("€" * 80 + "a") == SmsSegments("GSM-7", 161, 2)


def test_an_extension_character_is_not_split_between_two_parts() -> None:
    # 306 septets would fit two parts of 153, but the € at septets 153-154 moves to part 2
    text = "a" * 152 + "€" + "a" * 152

    assert sms_segments(text) == SmsSegments("GSM-7", 306, 3)


def test_the_gsm7_basic_table_holds_these_accented_letters() -> None:
    text = "Çüéèàñ ÜÖÄÑ öä ß Ø å @£$¥ ΔΦΓΛΩΠΨΣΘΞ ¡¿§¤ \n\r"

    assert sms_segments(text).encoding == "GSM-7"
    assert sms_segments(text).characters == len(text)


# --- UCS-2 -------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["ş", "ğ", "ı", "İ", "Ş", "Ğ", "ç", "₺", "’", "\t", "\u00a0"])
def test_one_character_outside_gsm7_makes_the_whole_text_ucs2(char: str) -> None:
    assert sms_segments(f"Sepet {char}").encoding == "UCS-2"


@pytest.mark.parametrize(
    ("length", "segments"),
    [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_fits_70_in_one_sms_and_67_per_part(length: int, segments: int) -> None:
    assert sms_segments("ş" * length) == SmsSegments("UCS-2", length, segments)


def test_an_emoji_counts_two_utf16_units() -> None:
    assert sms_segments("😀" * 35) == SmsSegments("UCS-2", 70, 1)
    assert sms_segments("😀" * 35 + "a") == SmsSegments("UCS-2", 71, 2)


def test_an_emoji_is_not_split_between_two_parts() -> None:
    text = "ş" * 66 + "😀" + "ş" * 66

    assert sms_segments(text) == SmsSegments("UCS-2", 134, 3)


def test_a_turkish_reminder_with_its_opt_out() -> None:
    text = with_opt_out(
        "Merhaba Ayşe, sepetin seni bekliyor. Alışverişini tamamla: https://shop.example/c/1",
        "tr",
    )

    assert sms_segments(text) == SmsSegments("UCS-2", 122, 2)
    assert str(sms_segments(text)) == "2 segments (UCS-2, 122 characters)"


def test_an_english_reminder_with_its_opt_out() -> None:
    text = with_opt_out("Hi Alex, your cart is saved: https://shop.example/c/1", "en")

    assert sms_segments(text) == SmsSegments("GSM-7", 76, 1)
    assert str(sms_segments(text)) == "1 segment (GSM-7, 76 characters)"
