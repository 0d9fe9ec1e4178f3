"""The application shell every flow runs in: configuration, the live or sandbox
resources, the in-process runtime, secrets, the write lock, delivery and artifacts."""
