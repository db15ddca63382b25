"""Operations: what the admin API shows about backends, and the switches it holds.

    backends.py   each guard-holding process reports its backends; any instance merges the reports
    pauses.py     pause or resume a backend's asynchronous work (stored, so it holds everywhere)
    audit.py      the audit log: who did what (dead-letter replays, resolutions, deletions), when
    signing.py    Standard Webhooks signatures for the operator webhook
"""
