"""Work queues: queues and assignment rules as versioned data, collectors' skills and capacity,
the nightly assignment of the book, retention (留案), and the next case for a collector."""
