"""Every write and every rule of learning: study.py (heartbeats, the one device, the 学时 ledger),
enrolment.py (enrolling, lessons, checks, completion)."""
