"""Reads an attendee export back as JSON rows, as Excel users would see it.

Usage: read_export.py csv|xlsx FILE
CSV: checks the byte-order mark and CRLF line ends, then parses with csv.
XLSX: opens with openpyxl and reads the first sheet's values.
"""
import csv
import io
import json
import sys

kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if kind == "csv":
    if not data.startswith(b"\xef\xbb\xbf"):
        sys.exit("no UTF-8 byte-order mark")
    text = data[3:].decode("utf-8")
    if "\n" in text.replace("\r\n", ""):
        sys.exit("a line ends without CR")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    print(json.dumps({"rows": rows}, ensure_ascii=False))
else:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    print(json.dumps({"sheet": sheet.title, "rows": rows}, ensure_ascii=False))
