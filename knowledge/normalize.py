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
ABBREVIATIONS: dict[str, str] = {
    "ubnd": "uy ban nhan dan",
    "hdnd": "hoi dong nhan dan",
    "bcd": "ban chi dao",
    "qd": "quyet dinh",
    "qd ubnd": "quyet dinh ubnd",
    "cv": "van ban",
    "cong van": "van ban",
    "ca tinh": "cong an tinh",
    "ca huyen": "cong an huyen",
    "cat": "cong an tinh",
    "kp": "kinh phi",
    "nv": "nhiem vu",
    "tp": "thanh pho",
    "tx": "thi xa",
    "vp": "van phong",
    "vpub": "van phong uy ban",
    "nq": "nghi quyet",
    "kh": "ke hoach",
    "bchqs": "bo chi huy quan su",
    "chqs": "chi huy quan su",
    "bdbp": "bo doi bien phong",
    "ptth": "phat thanh truyen hinh",
    "pt th": "phat thanh truyen hinh",
    "mttq": "mat tran to quoc",
    "ldld": "lien doan lao dong",
    "lhpn": "lien hiep phu nu",
    "ccb": "cuu chien binh",
    "ct": "chu tich",
    "pct": "pho chu tich",
    "bql": "ban quan ly",
    "kkt": "khu kinh te",
    "antq": "an ninh to quoc",
    "ttxh": "trat tu xa hoi",
    "ctxh": "chinh tri xa hoi",
    "tc ctxh": "to chuc chinh tri xa hoi",
    # spelling variants that folding does not unify
    "so ban nganh": "so nganh",
    "so ban ngang": "so nganh",
    "cac ban nganh": "cac so nganh",
    "ban nganh": "so nganh",
    "tung nam": "hang nam",
    "chi thi": "van ban",
    "vb": "van ban",
    # question words: one canonical form per meaning ("ngày bao nhiêu" = "ngày nào" = "khi nào" = "bao giờ")
    "ngay nao": "khi nao",
    "ngay bao nhieu": "khi nao",
    "ngay may": "khi nao",
    "hom nao": "khi nao",
    "ngay thang nam nao": "khi nao",
    "ngay thang nao": "khi nao",
    "thoi diem nao": "khi nao",
    "thoi gian nao": "khi nao",
    "luc nao": "khi nao",
    "bao gio": "khi nao",
    "nam bao nhieu": "nam nao",
    "nam may": "nam nao",
    "so bao nhieu": "so hieu",
    "so may": "so hieu",
    "boi": "do",
    "huong den": "nham",
    "huong toi": "nham",
    "nhung gi": "gi",
    "cai gi": "gi",
    "dieu gi": "gi",
    "nhung ai": "ai",
    "nguoi nao": "ai",
    "o dau": "dau",
    "tu dau": "dau",
    "noi nao": "dau",
    "cho nao": "dau",
    "nhu the nao": "the nao",
    "ra sao": "the nao",
    "nhu nao": "the nao",
}
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
    # tone key in the middle: "phsi"? too rare; "nhieemj" handled above
    return token


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
# A number glued to its abbreviation ("QĐ1790", "CV5500", "BCĐ138") is split before the expansion.
_GLUED_NUMBER = re.compile(r"(?<=[a-z])(?=[0-9])")


def tokens(text: str, known: frozenset[str] | set[str] | None = None) -> list[str]:
    """Folded, abbreviation-expanded tokens.  With ``known`` syllables, Telex leftovers are repaired first.

    Document numbers keep their digits (``5500/ubnd-nc`` -> ``5500 uy ban nhan dan nc``).
    """
    folded = " ".join(_SLASHED.get(w, w) for w in fold(text).split()).replace("/", " ")
    folded = _GLUED_NUMBER.sub(" ", folded)
    words = [_I_Y.get(w, w) for w in folded.split()]
    if known:
        words = [telex_fix(w, known) for w in words]
    return expand(words)
