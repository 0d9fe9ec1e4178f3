"""What every layer shares: the error tree, grouped by what the caller does."""
