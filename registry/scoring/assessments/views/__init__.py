"""Assessment pages: the list, one assessment and its forms (assessments.py), and the auditor's
review queue (review.py)."""
