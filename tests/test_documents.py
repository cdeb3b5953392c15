"""Sources cite documents by name, not by their number in the seed collection."""

from sim.documents import cite, documents, name


def test_every_document_has_a_name_in_both_languages():
    assert set(documents()) == {"000", "001", "002", "003", "004"}
    for number in documents():
        assert name(number, "zh") and name(number, "en")
        assert "seed" not in name(number, "zh").lower() and "seed" not in name(number, "en").lower()


def test_a_citation_names_the_document():
    text = "seed 000: 宁波户口新政施行两个月 12727人受益落户宁波 (Ningbo public security, 2019)"
    assert cite(text, "zh") == "宁波公安 2019：宁波户口新政施行两个月 12727人受益落户宁波"  # the title is not repeated
    detail = cite("seed 000: 连续3年 → 4年内累计缴纳36个月", "zh")
    assert detail == "“宁波公安 2019：宁波户口新政施行两个月 12727人受益落户宁波”: 连续3年 → 4年内累计缴纳36个月"
    assert "seed" not in cite("seed 001's national tiers; seeds 004 and more", "en")
    assert cite("seed 999: unknown", "en") == "seed 999: unknown"
    assert cite("no reference", "en") == "no reference"
