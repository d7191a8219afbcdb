"""Incidents: messages about the same problem in the same place within a time window.

Thirty people writing about one burst pipe are one incident for the agency. :func:`find_incidents`
groups the rows of a scored archive so:

1. **Text** — each message is cleaned (lowercase, ё→е, markup, digits and punctuation dropped,
   the names of towns/districts/settlements that the scored ``locations`` point at masked out,
   so that a shared town name does not make unrelated messages look alike) and turned into two
   hashed TF-IDF vectors: pymorphy3 lemmas (stop words dropped; «воды», «воду» → «вода») and
   character 3–4-grams inside words (typos: «вады»); the score is 0.7 × lemma cosine + 0.3 ×
   character cosine, on the first ``max_chars`` characters.
2. **Blocking** (never all pairs) — rows are compared only inside one municipality (the scored
   ``municipality``; unknown places form their own block) and only with rows at most ``window``
   apart: time is cut into buckets of ``window`` and each bucket is compared with itself and the
   previous one. A block with a bucket of more than ``block_cap`` rows (a big city at scale) is
   split further by topic group, then by topic. Cost grows with rows × rows-in-a-window-of-a-block, not rows².
3. **Score** — + ``street_bonus`` when both name the same street, − ``group_penalty`` when both
   have a different topic group.
4. **Linking** — a pair is a link when it scores ≥ ``strong``, or ≥ ``threshold`` and each is
   among the other's ``neighbours`` best partners (a short generic message cannot bridge two
   groups); rows without a municipality link only at ``unknown_threshold``. Links are merged
   strongest first (Kruskal), refusing a merge that would make an incident last longer than
   ``max_span`` (default 2 × window).
5. **Pruning** — members of an incident whose cosine with the incident's centroid is below
   ``prune_threshold`` leave it, and both parts are linked again from their own pairs (cuts
   chains such as water → pipe → heating → lighting in a big city).
6. **Attaching** — a message left alone (or in a pair) joins a large incident (≥
   ``attach_min_size``) within the window when its cosine with the incident's centroid reaches
   ``attach_threshold`` (same municipality) or ``attach_unplaced_threshold`` (a message naming no
   town: no municipality, or one guessed from a street name alone).

Every input row gets an ``incident`` id (``INC-000001`` is the largest; a message with no
partner is an incident of size 1) and ``incident_size``; rows with an ``error`` or no time get none.

**Memory** — no matrix of all texts is ever held. One pass (10,000 rows at a time) keeps each
row's words as ids into one vocabulary (about 5 bytes per distinct word of a row) and the
archive's document frequencies; vectors are made when needed, for one bucket of a block and the
previous one (pairs), or for a batch of incidents (pruning, attaching, the table), and dropped.
Pairs are ranked as they arrive and only undecided ones are held; labels are integer codes.
The vectors of a row are bit for bit those of one global matrix, so the incidents are the same.

The package: :mod:`.vectors` (masked texts, word ids, TF-IDF of any rows), :mod:`.links` (pairs,
mutual neighbours, merging, pruning, attaching), :mod:`.table` (the incident table) and
:mod:`.api` (:func:`find_incidents`, its result types, the files written).
"""
from __future__ import annotations

from .api import Incident, Incidents, find_incidents, table_path, write_incidents, write_table
from .vectors import MASKED_KINDS, text_vectors

__all__ = ["Incident", "Incidents", "find_incidents", "write_incidents", "write_table", "table_path",
           "MASKED_KINDS", "text_vectors"]
