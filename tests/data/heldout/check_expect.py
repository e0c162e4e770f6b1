#!/usr/bin/env python3
"""Check that a held-out question file only expects facts that occur in its document.

Usage: check_expect.py DOCUMENT.md QUESTIONS.jsonl [more QUESTIONS.jsonl ...]
       check_expect.py --cross CROSS.jsonl DIR [DIR ...]   (each row's "doc" names DIR/<doc>.md)

The document is folded the way shared/eval/score.py folds answers (lower case, no diacritics, đ→d,
whitespace collapsed) after removing Markdown emphasis (`*`). Two derived forms are added so that the
usual ways of writing a fact can be checked: every "ngày D tháng M năm YYYY" also as D/M/YYYY (with and
without leading zeros), and a copy with the stray spaces after "/" and "-" closed up ("22/11/ 2019" ->
"22/11/2019", "1790/QĐ- UBND" -> "1790/qđ-ubnd").

Rules:
- every `expect` string must occur, except bot-usage commands ("/baocao" ...);
- in every `expect_any` group at least one string must occur, except groups made only of answer-form
  phrases that no document contains (corrections "không đúng", silence "không nêu", period ended
  "đã kết thúc", and commands).
Rows with `turns` (follow-up pairs) are checked on their last turn. Exit 1 on any problem.
"""

import json
import os
import re
import sys
import tempfile
import unicodedata

ANSWER_FORM = {
    "khong dung",
    "khong phai",
    "chua chinh xac",
    "chua dung",
    "nham",
    "sai",
    "khong neu",
    "khong quy dinh",
    "chua quy dinh",
    "khong de cap",
    "khong co",
    "khong ghi",
    "khong giao rieng",
    "khong neu rieng",
    "khong quy dinh rieng",
    "da ket thuc",
    "da het",
    "ket thuc",
    "het giai doan",
    "het han",
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d").replace("Đ", "d")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip()


def haystack(doc: str) -> str:
    text = fold(doc.replace("*", ""))
    closed = re.sub(r"([/-]) +", r"\1", text)
    dates = []
    for d, m, y in re.findall(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})", text):
        for dd in {d, d.zfill(2), d.lstrip("0")}:
            for mm in {m, m.zfill(2), m.lstrip("0")}:
                dates.append(f"{dd}/{mm}/{y}")
    return "\n".join([text, closed, " ".join(dates)])


def is_command(s: str) -> bool:
    return s.startswith("/") and s[1:].isalpha()


def check(doc_text: str, path: str) -> int:
    hay = haystack(doc_text)
    bad = 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row = json.loads(line)
        last = row["turns"][-1] if "turns" in row else row
        if "turns" not in row and "q" not in row:
            print(f"{path}:{n}: no q")
            bad += 1
        if last.get("oos"):
            continue
        if not last.get("expect") and not last.get("expect_any"):
            print(f"{path}:{n} {row['id']}: in-scope row without expectations")
            bad += 1
        for e in last.get("expect", []):
            if not is_command(fold(e)) and fold(e) not in hay:
                print(f"{path}:{n} {row['id']}: expect {e!r} not in document")
                bad += 1
        for group in last.get("expect_any", []):
            folded = [fold(e) for e in group]
            if all(f in ANSWER_FORM or is_command(f) for f in folded):
                continue
            if not any(f in hay for f in folded):
                print(f"{path}:{n} {row['id']}: no string of {group!r} in document")
                bad += 1
    return bad


def check_cross(path: str, dirs: list[str]) -> int:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    bad = 0
    for doc in sorted({r["doc"] for r in rows}):
        found = [os.path.join(d, doc + ".md") for d in dirs if os.path.exists(os.path.join(d, doc + ".md"))]
        if not found:
            print(f"{path}: no document {doc}.md in {dirs}")
            bad += 1
            continue
        with open(found[0], encoding="utf-8") as f:
            text = f.read()
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as tmp:
            tmp.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows if r["doc"] == doc)
        bad += check(text, tmp.name)
        os.unlink(tmp.name)
    return bad


def main() -> int:
    if sys.argv[1] == "--cross":
        bad = check_cross(sys.argv[2], sys.argv[3:])
        print("ok" if not bad else f"{bad} problem(s)")
        return 1 if bad else 0
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = f.read()
    bad = sum(check(doc, p) for p in sys.argv[2:])
    print("ok" if not bad else f"{bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
