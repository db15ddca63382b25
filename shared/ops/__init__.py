"""Operations: what the admin API shows about backends, and the switches it holds.

    backends.py   each guard-holding process reports its backends; any instance merges the reports
    pauses.py     pause or resume a backend's asynchronous work (stored, so it holds everywhere)
    signing.py    Standard Webhooks signatures for the operator webhook
"""
