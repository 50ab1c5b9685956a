"""``python -m leadscore``."""

from leadscore.cli import main

if __name__ == "__main__":
    main()
