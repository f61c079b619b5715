"""`python -m server` runs the account360 command line."""

from server.cli import main

main()
