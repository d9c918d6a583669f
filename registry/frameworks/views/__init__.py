"""Framework pages: public (public.py), admin forms for frameworks and lots (admin.py), and
for obligations and memberships (obligations.py)."""
