"""`python -m rdq ...` runs the CLI (the same as the `rdq` script)."""

from rdq.cli import main

if __name__ == "__main__":
    main()
