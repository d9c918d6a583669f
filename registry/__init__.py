"""The Supplier Accountability Registry."""

from pathlib import Path

# The project root holds templates/, schemas/ and seed_data/ beside the package; resolve them
# from here, never from the working directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
