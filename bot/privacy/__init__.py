"""Personal data: the retention limit, and export or erasure of one person's data on request."""
