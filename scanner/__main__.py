"""`python -m scanner` behaves like the `piiwarden` command."""

from scanner.cli import main

if __name__ == "__main__":
    main()
