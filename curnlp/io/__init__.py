"""Reading and writing tables: formats, encoding and delimiter detection, broken-record recovery,
whole tables as DataFrames, and the date rules (:mod:`curnlp.io.dates`).

One detector (:func:`detect_encoding`, :func:`sniff_delimiter`) and one set of readers serve
training (:func:`curnlp.corpus.read_table`), scoring (:func:`curnlp.batch.score_file`) and the
analytics (``curnlp report``, ``curnlp incidents``).
"""
from __future__ import annotations

from .detect import DELIMITERS, HEAD_BYTES, decode, detect_encoding, sniff_delimiter
from .frames import plain_value, read_frame, write_frame
from .readers import FORMATS, SUFFIXES, Row, Table, format_of, open_table
from .writers import (FORMULA_START, PARTS_SUFFIX, PartsWriter, StreamWriter, Writer, csv_safe, json_default,
                      text_value, write_xlsx)

__all__ = ["detect_encoding", "sniff_delimiter", "decode", "DELIMITERS", "HEAD_BYTES", "FORMATS", "SUFFIXES",
           "Row", "Table", "format_of", "open_table", "read_frame", "write_frame", "plain_value", "Writer",
           "StreamWriter", "PartsWriter", "write_xlsx", "text_value", "json_default", "csv_safe", "FORMULA_START",
           "PARTS_SUFFIX"]
