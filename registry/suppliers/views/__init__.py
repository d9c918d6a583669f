"""Supplier and group pages: public (public.py) and admin forms (admin.py)."""
