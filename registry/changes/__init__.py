"""What changed, and when: the data version public pages' ETags derive from, and the change log
incremental detection and scoring read (issue 21)."""
