"""The command line (ra-console): main.py holds the commands, demo.py the demo instance."""
