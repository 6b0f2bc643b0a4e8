"""Bounding the failure reasons stored in ``status_reason`` columns."""

# A MariaDB TEXT column holds 65,535 bytes, and a longer value fails the
# whole write. A reason is for a person to read: its head names the
# failing resource, so far less than the column is kept.
MAX_BYTES = 16384


def bounded(reason, limit=MAX_BYTES):
    """``reason`` if its UTF-8 form fits in ``limit`` bytes; else its head
    followed by a note that says it was cut, all within ``limit``."""
    if reason is None:
        return None
    data = reason.encode('utf-8', 'replace')
    if len(data) <= limit:
        return reason
    note = f' [... cut: the reason had {len(data)} bytes]'
    head = data[:limit - len(note.encode())]
    # A character split by the cut is dropped, not mangled.
    return head.decode('utf-8', 'ignore') + note
