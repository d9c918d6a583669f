"""Remedies: breach and termination notices, remediation plans, exclusions, and the supplier's
membership status changes, recorded by auditors and published on the scorecard."""
