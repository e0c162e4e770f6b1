"""Directive ingestion: a document's text becomes a knowledge pack (``python -m``-free: used by
``directive-bot ingest`` and the chat's /themvanban).

One job per module: :mod:`.reader` (file -> text), :mod:`.lines` (text -> logical lines), :mod:`.header`
(number, date, issuer, type, subject ...), :mod:`.structure` (sections and passages with their references),
:mod:`.bodies` (bodies named and what they must do), :mod:`.dates` (deadlines and periods), :mod:`.build`
(the pack's files) and :mod:`.writer` (atomic write).  Nothing here is specific to one directive.
"""
