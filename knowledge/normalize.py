"""Vietnamese text normalization for matching.

Two levels:

* :func:`nfc` / :func:`modern_tones` keep the diacritics (for display and storage): Unicode NFC and the
  "new" tone placement (``hoà`` -> ``hòa``, ``thuỷ`` -> ``thủy``), so that two spellings of the same word
  compare equal.
* :func:`fold` removes them (for matching): lower case, NFD, combining marks dropped, ``đ`` -> ``d``,
  punctuation -> space, whitespace collapsed.  ``fold("Hằng năm")== fold("hàng năm") == "hang nam"``.

:func:`tokens` goes further for the question-answering engine: it folds, repairs Telex leftovers
(``kinh phis`` -> ``kinh phi``, ``dd`` -> ``d``), splits glued syllables, and expands the abbreviations
officials use (UBND, BCĐ, QĐ, CV, CA, KP, TP, TX, "sở ngành" ...).  Both the questions and the pack's
phrasings go through the same function, so matching is symmetric.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from knowledge import lexicon

__all__ = ["expand", "fold", "modern_tones", "nfc", "tokens"]

_PUNCT = re.compile(r"[^0-9a-z/]+")
_SPACES = re.compile(r"\s+")

# Old-style tone placement on the second vowel of oa/oe/uy when nothing follows ("hoà" -> "hòa").
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook, dot below
_OLD_TONE = re.compile(
    r"(?i)([oO])([aAeE])([" + _TONES + r"])(?![a-zA-Z\u0300-\u036f])"
    r"|(?<![qQ])([uU])([yY])([" + _TONES + r"])(?![a-zA-Z\u0300-\u036f])"
)


def nfc(text: str) -> str:
    """Unicode NFC (what most keyboards produce); input may be NFD (macOS, some web forms)."""
    return unicodedata.normalize("NFC", text)


def modern_tones(text: str) -> str:
    """Move the tone mark of final ``oa, oe, uy`` to the first vowel: ``hoà`` -> ``hòa``, ``thuỷ``->``thủy``.

    Only open syllables are touched (``hoàn``, ``khuyến`` keep their placement, as both styles agree there);
    in ``qu`` the ``u`` belongs to the consonant, so ``quý`` stays.
    Returns NFC text.
    """
    decomposed = unicodedata.normalize("NFD", text)

    def swap(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(1) + m.group(3) + m.group(2)
        return m.group(4) + m.group(6) + m.group(5)

    return unicodedata.normalize("NFC", _OLD_TONE.sub(swap, decomposed))


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` -> ``d``, punctuation -> space (``/`` kept), spaces collapsed."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", _PUNCT.sub(" ", text)).strip()


# --- abbreviations --------------------------------------------------------------------------------
# Keys and values are folded token sequences; longer keys are tried first.  Ambiguous short forms that are
# also ordinary syllables ("ca" = cả/cá/ca, "so" = số/sở) are only expanded in the context given by the key.
# Abbreviations and spelling variants: data (knowledge/data/lexicon.yaml, key ABBREVIATIONS).
ABBREVIATIONS: dict[str, str] = lexicon.ABBREVIATIONS
# "công văn", "CV", "VB", "chỉ thị" and "văn bản" are the same thing for this bot (the directive is an
# official letter).  Expansion runs left to right, longest key first:
# "công văn ban hành" -> "van ban ban hanh".

_MAX_KEY = max(len(k.split()) for k in ABBREVIATIONS)

# Telex leftovers: "phis" (phí typed without conversion), "ddaauf" ... We only strip a final tone key when the
# result is a known syllable (checked by the caller through ``known``).
_TELEX_TONE = set("sfrxj")
_TELEX_DOUBLE = (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"), ("uw", "u"))


def telex_fix(token: str, known: frozenset[str] | set[str]) -> str:
    """``phis`` -> ``phi``, ``ddaauf`` -> ``dau`` when the repair is a known syllable, else unchanged."""
    if token in known or not token.isalpha():
        return token
    cand = token
    for a, b in _TELEX_DOUBLE:
        cand = cand.replace(a, b)
    if cand in known:
        return cand
    if len(cand) > 1 and cand[-1] in _TELEX_TONE and cand[:-1] in known:
        return cand[:-1]
    # a tone key typed inside the syllable ("nafo" = nào, "huyeenj" handled above); never inside a real
    # syllable ("triệu" is not "tiêu" with a hook)
    if _SYLLABLE.fullmatch(cand):
        return token
    for i in range(1, len(cand) - 1):
        if cand[i] in _TELEX_TONE and (cand[:i] + cand[i + 1 :]) in known:
            return cand[:i] + cand[i + 1 :]
    return token


# VNI leftovers: tone and shape digits typed after (or inside) a syllable without conversion ("huye65n" =
# huyện, "phi1" = phí, "the61 na2o" = thế nào, "d9i" = đi).  Only 1-3 digits 1-9 mixed into letters, and only
# when the letters alone form a syllable: "qd3579", "bcd247" (document and committee numbers) keep theirs.
_VNI = re.compile(r"[a-z]+(?:[1-9]+[a-z]*)+")
_VNI_KEEP = frozenset(("muc", "dieu", "khoan", "diem", "phan", "chuong", "lan", "ky", "tt"))
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def vni_fix(word: str) -> str:
    """``huye65n`` -> ``huyen``, ``phi1`` -> ``phi``; anything else unchanged."""
    if not _VNI.fullmatch(word):
        return word
    digits = sum(c.isdigit() for c in word)
    letters = "".join(c for c in word if not c.isdigit()).replace("dd", "d")  # Telex "dd" mixed in
    if digits > 3 or letters in _VNI_KEEP or not _SYLLABLE.fullmatch(letters):
        return word
    return letters


def expand(words: list[str]) -> list[str]:
    """Replace abbreviations (longest key first) in a folded token list."""
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        for size in range(min(_MAX_KEY, n - i), 0, -1):
            key = " ".join(words[i : i + size])
            rep = ABBREVIATIONS.get(key)
            if rep is not None:
                out.extend(rep.split())
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out


# Final "i" / "y" are two spellings of one syllable after these onsets ("kí" = "ký", "lí do" = "lý do",
# "tỉ đồng" = "tỷ đồng", "quí" = "quý").  "hi" is left alone (a greeting).
_I_Y = {"ki": "ky", "li": "ly", "mi": "my", "ti": "ty", "qui": "quy", "si": "sy"}


# Slash abbreviations, recognised before "/" splits them: "V/v" (về việc, the subject line).  "v.v." (etc.)
# has no slash and stays as it is.
_SLASHED = {"v/v": "ve viec"}
# A number glued to its abbreviation ("QĐ3579", "CV4321", "BCĐ247") is split before the expansion.
_GLUED_NUMBER = re.compile(r"(?<=[a-z])(?=[0-9])")


def tokens(text: str, known: frozenset[str] | set[str] | None = None) -> list[str]:
    """Folded, abbreviation-expanded tokens.  With ``known`` syllables, Telex leftovers are repaired first.

    Document numbers keep their digits (``4321/ubnd-vx`` -> ``4321 uy ban nhan dan vx``).
    """
    folded = " ".join(vni_fix(_SLASHED.get(w, w)) for w in fold(text).split()).replace("/", " ")
    folded = _GLUED_NUMBER.sub(" ", folded)
    words = [_I_Y.get(w, w) for w in folded.split()]
    if known:
        words = [telex_fix(w, known) for w in words]
    return expand(words)
