"""The `oneonone` command line."""
