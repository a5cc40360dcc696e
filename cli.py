"""Thin entry: ``python cli.py ...`` does what ``lineage ...`` does."""

from lineage.cli import main

if __name__ == "__main__":
    main()
