"""Knowledge packs (the directive as data) and the Vietnamese question-answering engine.

Public API (stable, see docs/DESIGN.md)::

    from knowledge import load_pack, QAEngine
    pack = load_pack()                      # default: knowledge/packs/4321-UBND-NC/
    qa = QAEngine(pack)
    ans = qa.answer("Sở Y tế dùng kinh phí nào?", unit=None, context=None)
    ans.text, ans.answered, ans.confidence, ans.sources, ans.suggestions, ans.context, ans.to_json()

Also: ``knowledge.normalize.fold``, ``knowledge.units.UnitMatcher``, ``knowledge.numbers.NumberRecognizer``.
This package imports no channel library and no database code (``directive-bot ask`` must start fast).
"""

from knowledge.pack import DEFAULT_PACK_DIR, Pack, PackError, Passage, Source, Unit, load_pack
from knowledge.qa import Answer, QAEngine

__all__ = [
    "DEFAULT_PACK_DIR",
    "Answer",
    "Pack",
    "PackError",
    "Passage",
    "QAEngine",
    "Source",
    "Unit",
    "load_pack",
]
