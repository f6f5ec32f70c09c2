#!/usr/bin/env python3
"""The limit for bench/registrations.sh: the same rows musubi writes for one
registration (seat count, registration, confirmation + reminders in the
outbox, personal feed row, check-in hash), as raw SQLite transactions on one connection
with musubi's pragmas. Usage: sqlite_reference.py DB N EVENT_SLUG
Prints the transactions per second."""

import hashlib
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone


def main() -> None:
    path, n, slug = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    started = time.perf_counter()
    for i in range(n):
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        email = f"ref-{i}@bench.example.jp"
        db.execute("BEGIN IMMEDIATE")
        event_id, revision, starts_at = db.execute(
            "SELECT id, revision, starts_at FROM events WHERE slug = ?", (slug,)).fetchone()
        db.execute("SELECT id FROM registrations WHERE event_id = ? AND email_key = ? AND status <> 'cancelled'",
                   (event_id, email)).fetchone()
        seat = db.execute(
            "UPDATE events SET confirmed_count = confirmed_count + 1 WHERE id = ? "
            "AND (capacity IS NULL OR confirmed_count < capacity)", (event_id,)).rowcount == 1
        position = None
        if not seat:
            position = db.execute("SELECT COALESCE(MAX(waitlist_position), 0) + 1 FROM registrations WHERE event_id = ?",
                                  (event_id,)).fetchone()[0]
        rid = str(uuid.uuid4())
        token_hash = hashlib.sha256(rid.encode()).hexdigest()
        db.execute(
            "INSERT INTO registrations (id, event_id, email, email_key, name, furigana, organization, country, "
            "time_zone, language, status, waitlist_position, token_hash, check_in_hash, reminders, consented_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'JP', 'Asia/Tokyo', 'ja', ?, ?, ?, ?, 1, ?, ?, ?)",
            (rid, event_id, email, email, f"ゲスト {i}", "げすと", "大阪バイオ株式会社",
             "confirmed" if seat else "waitlisted", position, token_hash,
             hashlib.sha256(("check-in:" + rid).encode()).hexdigest(), stamp, stamp, stamp))
        db.execute("SELECT id FROM registrations WHERE id = ?", (rid,)).fetchone()
        rows = [("confirmed" if seat else "waitlisted", None, stamp)]
        if seat:
            start = datetime.fromisoformat(starts_at)
            rows += [("reminder", m, (start - timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:%S")) for m in (1440, 60)]
        for kind, minutes, due in rows:
            db.execute(
                "INSERT INTO outbox (id, dedupe_key, kind, registration_id, event_id, revision, reminder_minutes, "
                "status, due_at, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (str(uuid.uuid4()), f"{kind}:{rid}:{minutes}", kind, rid, event_id, revision, minutes, due, stamp, stamp))
        db.execute("INSERT INTO guest_feeds (email_key, generation, token_hash, updated_at) VALUES (?, 1, ?, ?) "
                   "ON CONFLICT DO NOTHING", (email, hashlib.sha256(email.encode()).hexdigest(), stamp))
        db.execute("SELECT generation FROM guest_feeds WHERE email_key = ?", (email,)).fetchone()
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    print(f"{n / elapsed:.1f}")


if __name__ == "__main__":
    main()
